/**
 * How a turn looks in the chat: the agent's text as it streams (`text-delta`), tool calls as compact
 * lines under it, and the answer once the run ends. Deltas a client missed (a stream joined late) are
 * made up from the step's stored `model-call-end` text, so the reply is always shown whole, once.
 */
import type { RunEvent } from '@autonoma/core';
import { controlOf } from '@autonoma/core';
import type { RunView } from '../../api/views/runs.ts';
import { describeEvent, formatUsage } from '../progress.ts';

/** Where the chat writes, and how. */
export interface ChatScreen {
  /** Writes text as is (no newline added). */
  write(text: string): void;
  /** ANSI styles (off when the output is not a terminal, or NO_COLOR is set). */
  readonly color: boolean;
}

/** Styles of the chat's lines. */
export function styles(color: boolean) {
  const wrap = (code: string) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { dim: wrap('2'), bold: wrap('1'), red: wrap('31'), yellow: wrap('33'), cyan: wrap('36') };
}

const short = (value: unknown, max: number): string => {
  const text = (typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).replace(/\s*\n\s*/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** A renderer of one turn's events. */
export interface TurnRenderer {
  sink(event: RunEvent): void;
  /** Ends any line left open. */
  breakLine(): void;
  /** Shows how the run ended: its answer (unless it was streamed), or why it did not succeed. */
  finish(run: RunView): void;
}

/**
 * Renders the events of the run `runId` (and, indented, the delegations it makes) for the chat.
 * `agent` labels the agent's text.
 */
export function createTurnRenderer(screen: ChatScreen, runId: string, agent: string): TurnRenderer {
  const style = styles(screen.color);
  const label = `${style.cyan(`${agent}>`)} `;
  /**
   * Per step, the text streamed so far, and how much of it the step's stored `model-call-end`s have
   * accounted for: the stored events of a step arrive after its commit, after its deltas.
   */
  const streamed = new Map<number, { text: string; accounted: number }>();
  /** The text of the last model call that said anything: what a final answer is compared with. */
  let lastReply = '';
  /** True while the agent's text is being written (the next delta continues it). */
  let speaking = false;
  let lineOpen = false;

  const breakLine = (): void => {
    if (lineOpen) screen.write('\n');
    lineOpen = false;
  };
  const line = (text: string): void => {
    breakLine();
    speaking = false;
    screen.write(`${text}\n`);
  };
  const say = (text: string): void => {
    if (text === '') return;
    if (!speaking) {
      breakLine();
      screen.write(label);
      speaking = true;
    }
    screen.write(text);
    lineOpen = !text.endsWith('\n');
  };

  return {
    sink(event) {
      if (event.runId !== runId) return;
      switch (event.type) {
        case 'text-delta': {
          const step = streamed.get(event.step) ?? { text: '', accounted: 0 };
          step.text += event.delta;
          streamed.set(event.step, step);
          say(event.delta);
          return;
        }
        case 'model-call-end': {
          const text = event.text ?? '';
          if (text === '') return;
          lastReply = text;
          const step = streamed.get(event.step) ?? { text: '', accounted: 0 };
          const pending = step.text.slice(step.accounted);
          if (pending === '') {
            // Nothing of it was streamed here (this client joined the stream after it): show it now.
            say(text);
            speaking = false;
          } else if (text.startsWith(pending)) {
            say(text.slice(pending.length));
            step.accounted = step.text.length;
          } else {
            step.accounted += Math.min(pending.length, text.length);
          }
          streamed.set(event.step, step);
          return;
        }
        case 'tool-call-end': {
          const control = event.ok ? controlOf(event.result) : undefined;
          // Questions and delegations are shown by the prompt and by `delegate-*`; so is the answer.
          if (control || (event.ok && event.tool === 'ask_user')) return;
          const described = describeEvent(event);
          if (described) line(style.dim(described));
          return;
        }
        case 'tool-call-start':
          if (event.tool === 'ask_user' || event.tool === 'delegate') return;
          line(style.dim(`  → ${event.tool} ${short(event.args, 100)}`));
          return;
        // Shown by the prompt that asks for the decision.
        case 'approval-request':
          return;
        case 'plan-update':
        case 'delegate-start':
        case 'delegate-end':
        case 'approval-resolve':
        case 'budget-warning':
        case 'error': {
          const described = describeEvent(event);
          if (described) line(style.dim(described));
          return;
        }
        default:
          return;
      }
    },
    breakLine: () => {
      breakLine();
      speaking = false;
    },
    finish(run) {
      breakLine();
      speaking = false;
      const answer = run.answer?.trim() ?? '';
      if (run.status === 'succeeded') {
        // A model's answer was streamed as it was written; a planner's is shown here.
        if (answer !== '' && answer !== lastReply.trim()) line(`${label}${answer}`);
        line(style.dim(`  ✓ ${run.id} · ${formatUsage(run.usage)}`));
        return;
      }
      if (answer !== '' && answer !== lastReply.trim() && answer !== run.reason) line(`${label}${answer}`);
      line(
        style.yellow(
          `  ✗ ${run.id} ${run.status}${run.reason ? ` — ${run.reason}` : ''} · ${formatUsage(run.usage)}`,
        ),
      );
    },
  };
}
