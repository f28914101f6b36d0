/**
 * One run: its state and usage, what needs a person now (approvals, a question), and four views — the
 * live timeline, the decision trace (`explain`), the delegation tree and a replay check.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useAgentName } from '../api/queries.ts';
import { useApi, useCan } from '../api/session.tsx';
import type { Explanation, ReplayReport, RunDetail } from '../api/types.ts';
import { useRunEvents } from '../api/use-run-events.ts';
import type { ApprovalDecision } from '../components/approval-controls.tsx';
import { ApprovalControls } from '../components/approval-controls.tsx';
import { DelegationTree } from '../components/delegation-tree.tsx';
import { ExplanationView } from '../components/explanation-view.tsx';
import { JsonValue } from '../components/json-value.tsx';
import { Markdown } from '../components/markdown.tsx';
import { QuestionForm } from '../components/question-form.tsx';
import { StatusBadge, isTerminal } from '../components/status-badge.tsx';
import { Timeline } from '../components/timeline.tsx';
import { buildTimeline, openQuestion, pendingApprovals } from '../components/timeline-model.ts';
import { duration, usd } from '../format.ts';
import { Link } from '../router.tsx';

type Tab = 'timeline' | 'explanation' | 'tree' | 'replay';
const tabs: { id: Tab; label: string }[] = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'explanation', label: 'Explain' },
  { id: 'tree', label: 'Delegation tree' },
  { id: 'replay', label: 'Replay' },
];

function Explain({ runId }: { runId: string }) {
  const client = useApi();
  const explanation = useQuery({
    queryKey: ['explanation', runId],
    queryFn: ({ signal }) =>
      client.get<Explanation>(`/v1/runs/${encodeURIComponent(runId)}/explanation`, undefined, signal),
  });
  if (explanation.error)
    return (
      <p role="alert" className="bad">
        {explanation.error.message}
      </p>
    );
  if (!explanation.data) return <p className="muted">Loading the decision trace…</p>;
  return <ExplanationView explanation={explanation.data} />;
}

function Replay({ run }: { run: RunDetail }) {
  const client = useApi();
  const replay = useMutation({
    mutationFn: () => client.request<ReplayReport>('POST', `/v1/runs/${encodeURIComponent(run.id)}/replay`),
  });
  if (!isTerminal(run.status)) return <p className="muted">A run can be replayed once it has ended.</p>;
  return (
    <section aria-label="replay">
      <p>
        Replay re-runs this run’s recorded decisions through the real loop, calling no model and no tool, and
        checks that it reaches the same calls and the same end (<code>autonoma replay {run.id}</code>).
      </p>
      <button type="button" onClick={() => replay.mutate()} disabled={replay.isPending}>
        {replay.isPending ? 'Replaying…' : 'Replay'}
      </button>
      {replay.error ? (
        <p role="alert" className="bad">
          {replay.error.message}
        </p>
      ) : null}
      {replay.data ? (
        <div className="card">
          <p className={replay.data.matches ? 'good' : 'bad'}>
            {replay.data.matches
              ? `replay matches: ${replay.data.steps} steps, ${replay.data.toolCalls} tool calls, status ${replay.data.status}`
              : `replay diverges: ${replay.data.divergence ?? 'unknown difference'}`}
          </p>
          <JsonValue value={replay.data.calls} label="replayed calls" />
        </div>
      ) : null}
    </section>
  );
}

/** The run detail page. */
export default function RunDetailPage({ runId }: { runId: string }) {
  const client = useApi();
  const queries = useQueryClient();
  const canAct = useCan('runs:write');
  const agentName = useAgentName();
  const [tab, setTab] = useState<Tab>('timeline');
  const path = `/v1/runs/${encodeURIComponent(runId)}`;
  const run = useQuery({
    queryKey: ['run', runId],
    queryFn: ({ signal }) => client.get<RunDetail>(path, undefined, signal),
  });
  const stream = useRunEvents(runId);
  const rows = useMemo(() => buildTimeline(stream.events, stream.liveText), [stream.events, stream.liveText]);
  const pending = useMemo(() => pendingApprovals(stream.events), [stream.events]);
  const question = useMemo(
    () => (run.data?.status === 'waiting_input' ? openQuestion(stream.events) : undefined),
    [run.data?.status, stream.events],
  );
  const openQuestionKey = question ? rows.findLast((row) => row.kind === 'question')?.key : undefined;
  const refresh = (): void => void queries.invalidateQueries({ queryKey: ['run', runId] });
  const decide = async (callId: string, decision: ApprovalDecision): Promise<void> => {
    await client.request('POST', `${path}/approvals/${encodeURIComponent(callId)}`, { body: decision });
    refresh();
  };
  const answer = async (text: string): Promise<void> => {
    await client.request('POST', `${path}/input`, { body: { answer: text } });
    refresh();
  };
  const cancel = useMutation({
    mutationFn: () =>
      client.request('POST', `${path}/cancel`, { body: { reason: 'cancelled from the dashboard' } }),
    onSuccess: refresh,
  });

  if (run.error)
    return (
      <p role="alert" className="bad">
        {run.error.message}
      </p>
    );
  const detail = run.data;
  if (!detail) return <p className="muted">Loading…</p>;
  const usage = detail.usage;
  return (
    <section className="run-detail">
      <p className="crumbs">
        <Link to="/runs">Runs</Link> / <code>{detail.id}</code>
      </p>
      <h1 className="goal-title">{detail.goal.text}</h1>
      <div className="run-summary">
        <StatusBadge status={detail.status} />
        <span>agent {agentName(detail.agentId)}</span>
        <span>
          {detail.stepCount} steps{detail.budgets.maxSteps ? ` of ${detail.budgets.maxSteps}` : ''}
        </span>
        <span>{(usage.inputTokens + usage.outputTokens).toLocaleString()} tokens</span>
        <span>{usd(usage.costUsd)}</span>
        <span>{usage.toolCalls} tool calls</span>
        <span>{duration(usage.wallMs)}</span>
        {detail.parentRunId ? (
          <span>
            child of <Link to={`/runs/${encodeURIComponent(detail.parentRunId)}`}>{detail.parentRunId}</Link>
          </span>
        ) : null}
        {canAct && !isTerminal(detail.status) ? (
          <button
            type="button"
            className="danger"
            onClick={() => cancel.mutate()}
            disabled={cancel.isPending}
          >
            Cancel run
          </button>
        ) : null}
      </div>
      {cancel.error ? (
        <p role="alert" className="bad">
          {cancel.error.message}
        </p>
      ) : null}
      {detail.reason ? <p className="muted">reason: {detail.reason}</p> : null}
      {detail.answer ? (
        <div className="card answer">
          <strong>Answer</strong>
          <Markdown text={detail.answer} />
        </div>
      ) : null}
      {pending.length > 0 || question ? (
        <section className="needs-you" aria-label="needs attention">
          {pending.map((request) => (
            <ApprovalControls
              key={request.callId}
              request={request}
              canDecide={canAct}
              onDecide={(decision) => decide(request.callId, decision)}
            />
          ))}
          {question ? (
            <QuestionForm question={question.question} canAnswer={canAct} onAnswer={answer} />
          ) : null}
        </section>
      ) : null}
      <div className="tabs" role="tablist">
        {tabs.map((item) => (
          <button
            key={item.id}
            type="button"
            role="tab"
            aria-selected={tab === item.id}
            className={tab === item.id ? 'tab active' : 'tab'}
            onClick={() => setTab(item.id)}
          >
            {item.label}
            {item.id === 'tree' && detail.children.length > 0 ? ` (${detail.children.length})` : ''}
          </button>
        ))}
      </div>
      {tab === 'timeline' ? (
        <>
          {stream.error ? (
            <p role="alert" className="bad">
              {stream.error}
            </p>
          ) : null}
          <p className="muted timeline-status">
            {stream.events.length} events{stream.ended ? ' · complete' : ' · live'}
          </p>
          <Timeline
            rows={rows}
            canAct={canAct}
            onDecide={decide}
            openQuestionKey={openQuestionKey}
            onAnswer={answer}
          />
        </>
      ) : null}
      {tab === 'explanation' ? <Explain runId={detail.id} /> : null}
      {tab === 'tree' ? <DelegationTree run={detail} /> : null}
      {tab === 'replay' ? <Replay run={detail} /> : null}
    </section>
  );
}
