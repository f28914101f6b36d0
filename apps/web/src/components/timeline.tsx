/**
 * A run's live timeline: every row of {@link buildTimeline}, in a virtualized list (only the rows in
 * view are in the DOM, so a run of thousands of events stays responsive), following the end while the
 * reader is at the end.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { duration, score, usd } from '../format.ts';
import { Link } from '../router.tsx';
import type { ApprovalDecision } from './approval-controls.tsx';
import { ApprovalControls } from './approval-controls.tsx';
import { DecisionView } from './decision-view.tsx';
import { JsonValue } from './json-value.tsx';
import { Markdown } from './markdown.tsx';
import { QuestionForm } from './question-form.tsx';
import { StatusBadge } from './status-badge.tsx';
import type { EventRow, TimelineRow, ToolCallRow } from './timeline-model.ts';

/** Props of {@link Timeline}. */
export interface TimelineProps {
  rows: readonly TimelineRow[];
  /** May the user approve, deny and answer? (viewers may not) */
  canAct: boolean;
  onDecide(callId: string, decision: ApprovalDecision): Promise<void>;
  /** The key of the question row still waiting for an answer, if any. */
  openQuestionKey?: string | undefined;
  onAnswer(answer: string): Promise<void>;
  /** Height of the scrolling area. @default '70vh' */
  height?: string;
}

function ToolCallView({ row }: { row: ToolCallRow }) {
  const tool = row.start?.tool ?? row.end?.tool ?? '?';
  const state = row.end ? (row.end.ok ? 'ok' : 'failed') : 'running';
  return (
    <section className={`tool-call tool-call-${state}`} aria-label={`tool call ${tool}`}>
      <header>
        <strong>Tool</strong> <code>{tool}</code> <span className={`badge badge-call-${state}`}>{state}</span>
        {row.end ? <span className="muted"> · {duration(row.end.latencyMs)}</span> : null}
        {row.end?.fromJournal ? <span className="muted"> · from the journal</span> : null}
      </header>
      {row.start ? <JsonValue value={row.start.args} label="arguments" /> : null}
      {row.end?.ok === true && row.end.result !== undefined ? (
        <JsonValue value={row.end.result} label="result" />
      ) : null}
      {row.end?.error ? (
        <p className="bad">
          <code>{row.end.error.code}</code>: {row.end.error.message}
        </p>
      ) : null}
    </section>
  );
}

function EventView({ event }: { event: EventRow['event'] }) {
  switch (event.type) {
    case 'run-start':
      return (
        <div className="event run-start">
          <strong>Run {event.resumed ? 'resumed' : 'started'}</strong> · agent <code>{event.agent}</code> ·
          brain {event.brain}
        </div>
      );
    case 'step-start':
      return <h3 className="step-heading">Step {event.step}</h3>;
    case 'step-end':
      return (
        <div className="event muted">
          step {event.step} ended: {event.outcome.kind}
          {event.outcome.kind === 'interrupt' ? ` (waits for ${event.outcome.on})` : ''} →{' '}
          {event.status.replace(/_/g, ' ')}
        </div>
      );
    case 'decision':
      return <DecisionView decision={event} />;
    case 'plan-update':
      return (
        <div className="event plan">
          <strong>Plan {event.reused ? '(reused)' : ''}</strong>
          {event.expansions !== undefined ? (
            <span className="muted"> · {event.expansions} expansions</span>
          ) : null}
          <ol>
            {event.plan.map((action, index) => (
              <li key={`${index}:${action}`}>{action}</li>
            ))}
          </ol>
          <p className="muted">{event.reason}</p>
        </div>
      );
    case 'model-call-start':
      return <div className="event muted">model call {event.model}…</div>;
    case 'model-call-end':
      return (
        <div className="event muted">
          model {event.model}: {event.usage.inputTokens}+{event.usage.outputTokens} tokens ·{' '}
          {usd(event.costUsd)} · {duration(event.latencyMs)}
          {event.error ? (
            <span className="bad">
              {' '}
              · {event.error.code}: {event.error.message}
            </span>
          ) : null}
        </div>
      );
    case 'delegate-start':
      return (
        <div className="event delegation">
          <strong>Delegated</strong> to <code>{event.agent}</code>: {event.goal} →{' '}
          <Link to={`/runs/${encodeURIComponent(event.childRunId)}`}>{event.childRunId}</Link>
        </div>
      );
    case 'delegate-end':
      return (
        <div className="event delegation">
          <Link to={`/runs/${encodeURIComponent(event.childRunId)}`}>{event.childRunId}</Link> ended{' '}
          <StatusBadge status={event.status} />
          {event.answer ? <Markdown text={event.answer} /> : null}
        </div>
      );
    case 'memory-recall':
      return (
        <div className="event recall">
          <strong>Recalled</strong> {event.items.length} memories for “{event.query}”
          <ul>
            {event.items.map((item) => (
              <li key={item.id}>
                <span className="number">{score(item.score)}</span>{' '}
                <span className="muted">
                  (relevance {score(item.relevance)} · recency {score(item.recency)} · importance{' '}
                  {score(item.importance)})
                </span>{' '}
                [{item.kind}] {item.text}
              </li>
            ))}
          </ul>
        </div>
      );
    case 'memory-write':
      return (
        <div className="event muted">
          remembered [{event.kind}] (importance {score(event.importance)}): {event.text}
        </div>
      );
    case 'lesson-learned':
      return (
        <div className="event lesson">
          <strong>Lesson</strong> ({event.source}): {event.lesson}
        </div>
      );
    case 'budget-warning':
      return (
        <div className="event warning" role="status">
          ⚠ Budget <strong>{event.budget}</strong>: {Number(event.used.toFixed(4))} of{' '}
          {Number(event.limit.toFixed(4))} used
        </div>
      );
    case 'error':
      return (
        <div className="event bad">
          error <code>{event.code}</code>: {event.message}
        </div>
      );
    case 'run-end':
      return (
        <div className="event run-end">
          <strong>Run ended</strong> <StatusBadge status={event.status} />
          {event.reason ? <span className="muted"> · {event.reason}</span> : null}
          {event.answer ? <Markdown text={event.answer} /> : null}
        </div>
      );
  }
}

/** What a row needs besides its data: stable across renders, so unchanged rows are not re-rendered. */
interface RowActions {
  canAct: boolean;
  openQuestionKey: string | undefined;
  onDecide(callId: string, decision: ApprovalDecision): Promise<void>;
  onAnswer(answer: string): Promise<void>;
}

/** True when a rebuilt row shows the same thing: the same events (by identity) or the same text. */
function sameRow(a: TimelineRow, b: TimelineRow): boolean {
  if (a.kind !== b.kind || a.key !== b.key) return false;
  switch (a.kind) {
    case 'event':
      return a.event === (b as typeof a).event;
    case 'tool-call':
      return a.start === (b as typeof a).start && a.end === (b as typeof a).end;
    case 'approval':
      return a.request === (b as typeof a).request && a.resolve === (b as typeof a).resolve;
    case 'text':
      return a.text === (b as typeof a).text && a.live === (b as typeof a).live;
    case 'question':
      return a.question === (b as typeof a).question;
  }
}

// The timeline is rebuilt on every batch of events; only the rows whose events changed re-render
// (a live update of a 2,000-event run touches one or two rows, not every row in view).
const Row = memo(
  function Row({ row, props }: { row: TimelineRow; props: RowActions }) {
    return <RowView row={row} props={props} />;
  },
  (before, after) => before.props === after.props && sameRow(before.row, after.row),
);

function RowView({ row, props }: { row: TimelineRow; props: RowActions }) {
  switch (row.kind) {
    case 'tool-call':
      return <ToolCallView row={row} />;
    case 'approval':
      return (
        <ApprovalControls
          request={row.request}
          resolution={row.resolve}
          canDecide={props.canAct}
          onDecide={(decision) => props.onDecide(row.request.callId, decision)}
        />
      );
    case 'text':
      return (
        <section className="model-text" aria-label="model text" aria-live={row.live ? 'polite' : undefined}>
          {row.live ? <span className="badge badge-active">streaming</span> : null}
          <Markdown text={row.text} />
        </section>
      );
    case 'question':
      return row.key === props.openQuestionKey ? (
        <QuestionForm question={row.question} canAnswer={props.canAct} onAnswer={props.onAnswer} />
      ) : (
        <div className="event">
          <strong>Asked</strong>: {row.question}
        </div>
      );
    case 'event':
      return <EventView event={row.event} />;
  }
}

/** The virtualized, live timeline. */
export function Timeline(props: TimelineProps) {
  const { rows, canAct, openQuestionKey } = props;
  // The latest handlers, called through a stable object: a new handler is not a reason to re-render.
  const handlers = useRef(props);
  useLayoutEffect(() => {
    handlers.current = props;
  });
  const actions = useMemo<RowActions>(
    () => ({
      canAct,
      openQuestionKey,
      onDecide: (callId, decision) => handlers.current.onDecide(callId, decision),
      onAnswer: (answer) => handlers.current.onAnswer(answer),
    }),
    [canAct, openQuestionKey],
  );
  const parent = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parent.current,
    estimateSize: () => 64,
    overscan: 8,
    getItemKey: (index) => rows[index]?.key ?? index,
    initialRect: { width: 800, height: 800 },
  });
  useEffect(() => {
    const element = parent.current;
    if (!element) return;
    const onScroll = (): void => {
      following.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => element.removeEventListener('scroll', onScroll);
  }, []);
  useLayoutEffect(() => {
    if (following.current && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [rows.length, virtualizer]);
  useEffect(() => {
    // Rows are on screen: with `autonoma:events-received`, this times a live update (docs/dashboard.md).
    performance.mark('autonoma:timeline-commit', { detail: { rows: rows.length } });
  }, [rows]);
  return (
    <div ref={parent} className="timeline" style={{ height: props.height ?? '70vh' }} data-rows={rows.length}>
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index] as TimelineRow;
          return (
            <div
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              className="timeline-row"
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                width: '100%',
                transform: `translateY(${item.start}px)`,
              }}
            >
              <Row row={row} props={actions} />
            </div>
          );
        })}
      </div>
    </div>
  );
}
