import type { BrainContext, TranscriptEntry } from '@autonoma/core';
import { jsonSchema, tool, type JSONSchema7, type JSONValue, type ModelMessage, type ToolSet } from 'ai';

/** What one model call is sent. */
export interface ModelPrompt {
  instructions: string;
  messages: ModelMessage[];
  /** Absent when the agent may call no tool. */
  tools: ToolSet | undefined;
}

/** Instructions used when an agent has none of its own. */
export const defaultInstructions =
  'You are Autonoma, an autonomous agent. Work towards the goal step by step with the tools you are given. ' +
  'When the goal is reached, or cannot be reached, answer with a short final text and call no tool.';

/** Builds the system instructions, the conversation and the tool set of one `decide`. */
export function buildModelPrompt(context: BrainContext): ModelPrompt {
  return {
    instructions: buildInstructions(context),
    messages: [
      ...conversationMessages(context),
      goalMessage(context),
      ...transcriptMessages(context.transcript),
    ],
    tools: buildTools(context),
  };
}

function buildInstructions(context: BrainContext): string {
  const sections = [context.agent.instructions.trim() || defaultInstructions];
  if (context.recalled.length > 0) {
    sections.push(
      [
        '## What you remember from earlier runs',
        ...context.recalled.map((memory) => `- (${memory.kind}) ${memory.text}`),
      ].join('\n'),
    );
  }
  const plan = context.reusablePlan;
  if (plan && plan.steps.length > 0) {
    sections.push(
      [
        `## A plan that worked for a similar goal ("${plan.goalText}", ${plan.successes} successes)`,
        ...plan.steps.map((step, index) => `${index + 1}. ${step.tool} ${safeJson(step.args)}`),
        'Reuse it where it fits; adapt the arguments to this goal.',
      ].join('\n'),
    );
  }
  if (context.learnedCosts.size > 0) {
    const costs = [...context.learnedCosts].sort(([, a], [, b]) => a - b);
    sections.push(
      [
        '## Learned tool costs (lower is better: cheaper and more reliable so far)',
        ...costs.map(([name, cost]) => `- ${name}: ${round(cost)}`),
      ].join('\n'),
    );
  }
  return sections.join('\n\n');
}

/**
 * The conversation's earlier turns, when the run answers one: its summary, then each turn as the
 * user's message and the agent's answer, so the model sees the thread as a thread.
 */
function conversationMessages(context: BrainContext): ModelMessage[] {
  const conversation = context.conversation;
  if (!conversation) return [];
  const messages: ModelMessage[] = [];
  if (conversation.summary)
    messages.push({
      role: 'user',
      content: `Earlier in this conversation (summary): ${conversation.summary}`,
    });
  for (const turn of conversation.turns) {
    messages.push({ role: 'user', content: turn.user });
    messages.push({
      role: 'assistant',
      content: turn.agent ?? `(no answer: that turn ended ${turn.status})`,
    });
  }
  return messages;
}

function goalMessage(context: BrainContext): ModelMessage {
  const { goal } = context.run;
  // In a conversation, the run's goal is the user's latest message: it reads as one.
  if (context.conversation && !goal.spec) return { role: 'user', content: goal.text };
  const parts = [`Goal: ${goal.text}`];
  if (goal.spec) {
    parts.push(`Facts to make true: ${goal.spec.facts.join('; ')}`);
    if (Object.keys(goal.spec.inputs).length > 0) parts.push(`Inputs: ${safeJson(goal.spec.inputs)}`);
  }
  return { role: 'user', content: parts.join('\n') };
}

/**
 * Replays working memory as a conversation. Every tool call gets a result message (a missing one is
 * reported as such) because providers reject a call left unanswered.
 */
function transcriptMessages(transcript: readonly TranscriptEntry[]): ModelMessage[] {
  const messages: ModelMessage[] = [];
  let open = new Map<string, string>();
  const closeOpenCalls = (): void => {
    if (open.size === 0) return;
    messages.push({
      role: 'tool',
      content: [...open].map(([callId, toolName]) => ({
        type: 'tool-result',
        toolCallId: providerCallId(callId),
        toolName,
        output: { type: 'error-text', value: 'no result was recorded for this call' },
      })),
    });
    open = new Map();
  };

  for (const entry of transcript) {
    switch (entry.kind) {
      case 'assistant':
        closeOpenCalls();
        messages.push({
          role: 'assistant',
          content: [
            ...(entry.text.trim() === '' ? [] : [{ type: 'text' as const, text: entry.text }]),
            ...entry.calls.map((call) => ({
              type: 'tool-call' as const,
              toolCallId: providerCallId(call.callId),
              toolName: call.tool,
              input: call.args ?? {},
            })),
          ],
        });
        for (const call of entry.calls) open.set(call.callId, call.tool);
        break;
      case 'tool-result': {
        if (!open.has(entry.callId)) {
          // Its call was summarized away: keep the fact as plain context.
          closeOpenCalls();
          messages.push({ role: 'user', content: `Result of ${entry.tool}: ${resultText(entry)}` });
          break;
        }
        open.delete(entry.callId);
        const part = {
          type: 'tool-result' as const,
          toolCallId: providerCallId(entry.callId),
          toolName: entry.tool,
          output: entry.ok
            ? { type: 'json' as const, value: toJsonValue(entry.result) }
            : { type: 'error-text' as const, value: errorText(entry) },
        };
        const last = messages.at(-1);
        if (last?.role === 'tool') last.content.push(part);
        else messages.push({ role: 'tool', content: [part] });
        break;
      }
      case 'note':
        closeOpenCalls();
        messages.push({ role: 'user', content: `Note: ${entry.text}` });
        break;
      case 'summary':
        closeOpenCalls();
        messages.push({ role: 'user', content: `Summary of steps 1–${entry.coversSteps}: ${entry.text}` });
        break;
    }
  }
  closeOpenCalls();
  return messages;
}

function buildTools(context: BrainContext): ToolSet | undefined {
  if (context.tools.length === 0) return undefined;
  // No execute functions: the agent loop runs tools itself, so one `decide` is one model call.
  return Object.fromEntries(
    context.tools.map((descriptor) => [
      descriptor.name,
      tool({
        description: descriptor.description,
        inputSchema: jsonSchema(descriptor.inputSchema as JSONSchema7),
      }),
    ]),
  );
}

const providerIdPattern = /[^a-zA-Z0-9_-]/g;
const maxProviderIdLength = 40;

/**
 * A transcript call id (`runId:step:index`) as a provider accepts it: Anthropic allows only
 * `[a-zA-Z0-9_-]`, OpenAI at most 40 characters. Deterministic, so a call and its result still match.
 */
export function providerCallId(callId: string): string {
  const safe = callId.replace(providerIdPattern, '_');
  if (safe.length <= maxProviderIdLength) return safe;
  return `${safe.slice(0, maxProviderIdLength - 9)}_${fnv1a(callId)}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Any value as JSON: `undefined` becomes null, values JSON cannot carry become strings. */
export function toJsonValue(value: unknown): JSONValue {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as JSONValue);
  } catch {
    return String(value);
  }
}

function safeJson(value: unknown): string {
  return JSON.stringify(toJsonValue(value));
}

function errorText(entry: Extract<TranscriptEntry, { kind: 'tool-result' }>): string {
  return entry.error ? `${entry.error.code}: ${entry.error.message}` : 'the tool failed';
}

function resultText(entry: Extract<TranscriptEntry, { kind: 'tool-result' }>): string {
  return entry.ok ? safeJson(entry.result) : `error ${errorText(entry)}`;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
