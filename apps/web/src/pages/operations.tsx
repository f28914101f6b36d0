/**
 * Operations: the worker fleet, the queues (depth and oldest job per priority), schedules, and charts
 * of the runs of a window — by state over time, step latency, tokens and cost per agent. Everything
 * comes from the API (`/v1/workers`, `/v1/jobs`, `/v1/schedules`, `/v1/runs/stats`), not from a
 * separate metrics stack.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useAgentName } from '../api/queries.ts';
import { useApi, useCan } from '../api/session.tsx';
import type { JobView, Page, Priority, ScheduleView, WorkerView } from '../api/types.ts';
import { AgentSelect } from '../components/agent-select.tsx';
import { RunCharts } from '../components/run-charts.tsx';
import { age, dateTime, duration } from '../format.ts';

const priorities: Priority[] = ['critical', 'high', 'normal', 'low'];

function Workers() {
  const client = useApi();
  const workers = useQuery({
    queryKey: ['workers'],
    queryFn: ({ signal }) => client.get<{ items: WorkerView[] }>('/v1/workers', { all: 'true' }, signal),
    refetchInterval: 5_000,
  });
  return (
    <section className="card">
      <h2>Workers</h2>
      {workers.error ? <p className="bad">{workers.error.message}</p> : null}
      <table className="list">
        <thead>
          <tr>
            <th scope="col">worker</th>
            <th scope="col">state</th>
            <th scope="col">queues</th>
            <th scope="col">capabilities</th>
            <th scope="col" className="number">
              in flight
            </th>
            <th scope="col">last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {workers.data?.items.map((worker) => (
            <tr key={worker.id}>
              <td>
                <code>{worker.id}</code>{' '}
                <span className="muted">
                  {worker.hostname}:{worker.pid}
                </span>
              </td>
              <td>
                {worker.alive ? (
                  <span className="badge badge-good">alive</span>
                ) : (
                  <span className="badge badge-bad">gone</span>
                )}
              </td>
              <td>{worker.queues.join(', ')}</td>
              <td className="muted">{worker.capabilities.join(', ')}</td>
              <td className="number">
                {worker.inFlight}/{worker.concurrency}
              </td>
              <td>{age(worker.heartbeatAt)}</td>
            </tr>
          ))}
          {workers.data?.items.length === 0 ? (
            <tr>
              <td colSpan={6} className="muted">
                No worker registered (an embedded <code>autonoma serve</code> advances runs itself).
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}

function Queues() {
  const client = useApi();
  const jobs = useQuery({
    queryKey: ['jobs', 'open'],
    queryFn: async ({ signal }) => {
      const pages = await Promise.all(
        (['pending', 'sent', 'active'] as const).map((status) =>
          client.get<Page<JobView>>('/v1/jobs', { status, limit: 1000 }, signal),
        ),
      );
      return pages.flatMap((page) => page.items);
    },
    refetchInterval: 5_000,
  });
  const now = Date.now();
  const rows = priorities.map((priority) => {
    const waiting = (jobs.data ?? []).filter((job) => job.priority === priority && job.status !== 'active');
    const due = waiting.filter((job) => job.runAt <= now);
    const oldest = due.reduce<number | undefined>(
      (min, job) => (min === undefined || job.runAt < min ? job.runAt : min),
      undefined,
    );
    return {
      priority,
      depth: due.length,
      delayed: waiting.length - due.length,
      active: (jobs.data ?? []).filter((job) => job.priority === priority && job.status === 'active').length,
      oldest,
    };
  });
  return (
    <section className="card">
      <h2>Queues</h2>
      {jobs.error ? <p className="bad">{jobs.error.message}</p> : null}
      <table className="list">
        <thead>
          <tr>
            <th scope="col">priority</th>
            <th scope="col" className="number">
              waiting
            </th>
            <th scope="col" className="number">
              delayed
            </th>
            <th scope="col" className="number">
              active
            </th>
            <th scope="col">oldest waiting</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.priority}>
              <td>{row.priority}</td>
              <td className="number">{row.depth}</td>
              <td className="number">{row.delayed}</td>
              <td className="number">{row.active}</td>
              <td>{row.oldest === undefined ? '–' : duration(now - row.oldest)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Schedules() {
  const client = useApi();
  const queries = useQueryClient();
  const canWrite = useCan('schedules:write');
  const agentName = useAgentName();
  const [goal, setGoal] = useState('');
  const [cron, setCron] = useState('0 9 * * 1-5');
  const [timeZone, setTimeZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [agent, setAgent] = useState('');
  const schedules = useQuery({
    queryKey: ['schedules'],
    queryFn: ({ signal }) => client.get<{ items: ScheduleView[] }>('/v1/schedules', undefined, signal),
  });
  const refresh = (): void => void queries.invalidateQueries({ queryKey: ['schedules'] });
  const create = useMutation({
    mutationFn: () =>
      client.request('POST', '/v1/schedules', {
        body: { goal, cron, timeZone, ...(agent ? { agent } : {}) },
      }),
    onSuccess: () => {
      setGoal('');
      refresh();
    },
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'pause' | 'resume' | 'delete' }) =>
      action === 'delete'
        ? client.request('DELETE', `/v1/schedules/${encodeURIComponent(id)}`)
        : client.request('POST', `/v1/schedules/${encodeURIComponent(id)}/${action}`),
    onSuccess: refresh,
  });
  return (
    <section className="card">
      <h2>Schedules</h2>
      {schedules.error ? <p className="bad">{schedules.error.message}</p> : null}
      <table className="list">
        <thead>
          <tr>
            <th scope="col">goal</th>
            <th scope="col">agent</th>
            <th scope="col">cron</th>
            <th scope="col">next</th>
            <th scope="col">state</th>
            {canWrite ? <th scope="col">actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {schedules.data?.items.map((schedule) => (
            <tr key={schedule.id}>
              <td>{schedule.goal.text}</td>
              <td>{agentName(schedule.agentId)}</td>
              <td>
                <code>{schedule.cron}</code> <span className="muted">{schedule.timeZone}</span>
              </td>
              <td>{schedule.nextFireAt ? dateTime(schedule.nextFireAt) : '–'}</td>
              <td>
                {schedule.paused ? 'paused' : 'active'}
                {schedule.lastError ? <span className="bad"> · {schedule.lastError}</span> : null}
              </td>
              {canWrite ? (
                <td>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() =>
                      act.mutate({ id: schedule.id, action: schedule.paused ? 'resume' : 'pause' })
                    }
                  >
                    {schedule.paused ? 'Resume' : 'Pause'}
                  </button>{' '}
                  <button
                    type="button"
                    className="link-button danger"
                    onClick={() => act.mutate({ id: schedule.id, action: 'delete' })}
                  >
                    Delete
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {act.error ? <p className="bad">{act.error.message}</p> : null}
      {canWrite ? (
        <form
          className="row"
          aria-label="new schedule"
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
          <label>
            Goal <input value={goal} onChange={(event) => setGoal(event.target.value)} required />
          </label>
          <label>
            Cron <input value={cron} onChange={(event) => setCron(event.target.value)} required />
          </label>
          <label>
            Time zone <input value={timeZone} onChange={(event) => setTimeZone(event.target.value)} />
          </label>
          <label>
            Agent
            <AgentSelect value={agent} onChange={setAgent} />
          </label>
          <button type="submit" disabled={create.isPending}>
            Create schedule
          </button>
          {create.error ? <p className="bad">{create.error.message}</p> : null}
        </form>
      ) : null}
    </section>
  );
}

/** The operations page: charts and schedules for every member; workers and queues for operators. */
export default function OperationsPage() {
  // The API lets operators read jobs and workers (`jobs:read`, `workers:read`); runs and schedules
  // are readable by every member.
  const fleet = useCan('operations:read');
  return (
    <section>
      <h1>Operations</h1>
      <RunCharts />
      {fleet ? (
        <div className="split even">
          <Queues />
          <Workers />
        </div>
      ) : null}
      <Schedules />
    </section>
  );
}
