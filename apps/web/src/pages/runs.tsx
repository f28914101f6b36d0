/**
 * Runs: the organization's runs, newest first, refreshed while the page is open; filters by state and
 * agent; paging with the API's cursors; and (for operators) a form to start a run.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi, useCan } from '../api/session.tsx';
import { useAgentName, useAgents } from '../api/queries.ts';
import type { Page, RunStatus, RunView } from '../api/types.ts';
import { AgentSelect } from '../components/agent-select.tsx';
import { StatusBadge, runStatuses } from '../components/status-badge.tsx';
import { age, usd } from '../format.ts';
import { Link, useRouter } from '../router.tsx';

function StartRunForm() {
  const client = useApi();
  const queries = useQueryClient();
  const { navigate } = useRouter();
  const [goal, setGoal] = useState('');
  const [agent, setAgent] = useState('');
  const [spec, setSpec] = useState<unknown>();
  const [specError, setSpecError] = useState<string | undefined>();
  const start = useMutation({
    mutationFn: () =>
      client.request<RunView>('POST', '/v1/runs', {
        body: { goal, ...(agent ? { agent } : {}), ...(spec !== undefined ? { spec } : {}) },
        // A retried click cannot start the run twice.
        headers: { 'idempotency-key': crypto.randomUUID() },
      }),
    onSuccess: (run) => {
      void queries.invalidateQueries({ queryKey: ['runs'] });
      navigate(`/runs/${encodeURIComponent(run.id)}`);
    },
  });
  const readSpec = async (file: File | undefined): Promise<void> => {
    setSpecError(undefined);
    if (!file) return setSpec(undefined);
    try {
      const parsed = JSON.parse(await file.text()) as Record<string, unknown>;
      // A spec file may be the whole `autonoma run --spec` file ({ goal, facts, … }) or only the spec.
      const { goal: fileGoal, ...rest } = parsed;
      if (typeof fileGoal === 'string' && !goal) setGoal(fileGoal);
      setSpec(rest);
    } catch {
      setSpecError('the spec file is not JSON');
      setSpec(undefined);
    }
  };
  return (
    <form
      className="card start-run"
      aria-label="start a run"
      onSubmit={(event) => {
        event.preventDefault();
        start.mutate();
      }}
    >
      <h2>Start a run</h2>
      <label>
        Goal
        <textarea value={goal} onChange={(event) => setGoal(event.target.value)} rows={2} required />
      </label>
      <div className="row">
        <label>
          Agent
          <AgentSelect value={agent} onChange={setAgent} />
        </label>
        <label>
          Spec file (optional JSON)
          <input
            type="file"
            accept="application/json,.json"
            onChange={(event) => void readSpec(event.target.files?.[0])}
          />
        </label>
        <button type="submit" className="primary" disabled={start.isPending || !goal.trim()}>
          Start
        </button>
      </div>
      {specError ? <p className="bad">{specError}</p> : null}
      {start.error ? (
        <p role="alert" className="bad">
          {start.error.message}
        </p>
      ) : null}
    </form>
  );
}

/** The runs page. */
export function RunsPage() {
  const client = useApi();
  const canStart = useCan('runs:write');
  const agents = useAgents();
  const agentName = useAgentName();
  const [statuses, setStatuses] = useState<RunStatus[]>([]);
  const [agent, setAgent] = useState('');
  // Cursors of the pages before the current one, so "Newer" can go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const limit = 25;
  const runs = useQuery({
    queryKey: ['runs', { statuses, agent, cursor }],
    queryFn: ({ signal }) =>
      client.get<Page<RunView>>(
        '/v1/runs',
        { status: statuses.join(',') || undefined, agent: agent || undefined, limit, cursor },
        signal,
      ),
    // The list updates by itself while the page is open.
    refetchInterval: 2_000,
    placeholderData: keepPreviousData,
  });
  const resetPaging = (): void => setCursors([undefined]);
  const toggle = (status: RunStatus): void => {
    setStatuses(
      statuses.includes(status) ? statuses.filter((item) => item !== status) : [...statuses, status],
    );
    resetPaging();
  };
  return (
    <section>
      <h1>Runs</h1>
      {canStart ? <StartRunForm /> : null}
      <fieldset className="filters">
        <legend>Filters</legend>
        <div className="chips">
          {runStatuses.map((status) => (
            <label key={status} className={statuses.includes(status) ? 'chip on' : 'chip'}>
              <input type="checkbox" checked={statuses.includes(status)} onChange={() => toggle(status)} />
              {status.replace(/_/g, ' ')}
            </label>
          ))}
        </div>
        <label>
          Agent{' '}
          <select
            aria-label="filter by agent"
            value={agent}
            onChange={(event) => {
              setAgent(event.target.value);
              resetPaging();
            }}
          >
            <option value="">all</option>
            {agents.data?.items.map((item) => (
              <option key={item.id} value={item.name}>
                {item.name}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      {runs.error ? (
        <p role="alert" className="bad">
          {runs.error.message}
        </p>
      ) : null}
      <table className="list runs">
        <thead>
          <tr>
            <th scope="col">status</th>
            <th scope="col">agent</th>
            <th scope="col">goal</th>
            <th scope="col" className="number">
              steps
            </th>
            <th scope="col" className="number">
              tokens
            </th>
            <th scope="col" className="number">
              cost
            </th>
            <th scope="col">age</th>
          </tr>
        </thead>
        <tbody>
          {runs.data?.items.map((run) => (
            <tr key={run.id} data-run-id={run.id}>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>{agentName(run.agentId)}</td>
              <td className="goal">
                {run.depth > 0 ? <span className="muted">↳ </span> : null}
                <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.goal.text}</Link>
              </td>
              <td className="number">{run.stepCount}</td>
              <td className="number">{(run.usage.inputTokens + run.usage.outputTokens).toLocaleString()}</td>
              <td className="number">{usd(run.usage.costUsd)}</td>
              <td title={new Date(run.createdAt).toLocaleString()}>{age(run.createdAt)}</td>
            </tr>
          ))}
          {runs.data && runs.data.items.length === 0 ? (
            <tr>
              <td colSpan={7} className="muted">
                No runs{statuses.length || agent ? ' match these filters' : ' yet'}.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          ← Newer
        </button>
        <span className="muted">page {cursors.length}</span>
        <button
          type="button"
          disabled={!runs.data?.nextCursor}
          onClick={() => runs.data?.nextCursor && setCursors([...cursors, runs.data.nextCursor])}
        >
          Older →
        </button>
      </div>
    </section>
  );
}
