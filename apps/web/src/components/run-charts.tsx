/**
 * The operations charts: runs by state over time, step latency (percentiles), tokens and cost per
 * agent — all from `GET /v1/runs/stats`, which the server computes in SQL over the whole window. The
 * numbers behind the charts are also shown as text (a chart alone is unreadable to a screen reader).
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useApi } from '../api/session.tsx';
import type { RunStatsView, StatsBucket } from '../api/types.ts';
import { duration, usd } from '../format.ts';
import { runStatuses, statusTone } from './status-badge.tsx';

const toneColour = {
  neutral: '#94a3b8',
  active: '#3b82f6',
  waiting: '#f59e0b',
  good: '#22c55e',
  bad: '#ef4444',
} as const;

/** The windows a reader may pick: how far back, and the bucket that suits it. */
const statsWindows = [
  { id: 'hour', label: 'last hour', spanMs: 3_600_000, bucket: 'minute' },
  { id: 'day', label: 'last 24 hours', spanMs: 86_400_000, bucket: 'hour' },
  { id: 'week', label: 'last 7 days', spanMs: 7 * 86_400_000, bucket: 'hour' },
  { id: 'month', label: 'last 30 days', spanMs: 30 * 86_400_000, bucket: 'day' },
] as const satisfies readonly { id: string; label: string; spanMs: number; bucket: StatsBucket }[];
type WindowId = (typeof statsWindows)[number]['id'];

const labelOf =
  (bucket: StatsBucket) =>
  (start: number): string =>
    new Date(start).toLocaleString(
      undefined,
      bucket === 'day'
        ? { month: 'short', day: 'numeric' }
        : bucket === 'hour'
          ? { month: 'short', day: 'numeric', hour: '2-digit' }
          : { hour: '2-digit', minute: '2-digit' },
    );

const ms = (value: number | null): string => (value === null ? '–' : duration(value));

/** The chart data of a stats answer (pure, for the page and its tests). */
function chartData(stats: RunStatsView) {
  const label = labelOf(stats.bucket);
  return {
    byStatus: stats.runsByStatus.map((bucket) => ({ time: label(bucket.start), ...bucket.counts })),
    present: runStatuses.filter((status) => stats.runsByStatus.some((bucket) => status in bucket.counts)),
    latency: stats.stepLatency.buckets.map((bucket) => ({
      time: label(bucket.start),
      p50: bucket.p50Ms,
      p90: bucket.p90Ms,
      p99: bucket.p99Ms,
    })),
    perAgent: stats.agents.map((agent) => ({
      agent: agent.agent ?? agent.agentId,
      tokens: agent.inputTokens + agent.outputTokens,
      cost: agent.costUsd,
    })),
  };
}

/** The charts card, with its window picker. */
export function RunCharts() {
  const client = useApi();
  const [windowId, setWindowId] = useState<WindowId>('day');
  const chosen = statsWindows.find((window) => window.id === windowId) ?? statsWindows[1];
  const stats = useQuery({
    queryKey: ['runs', 'stats', chosen.id],
    queryFn: ({ signal }) => {
      const to = Date.now();
      return client.get<RunStatsView>(
        '/v1/runs/stats',
        { from: to - chosen.spanMs, to, bucket: chosen.bucket },
        signal,
      );
    },
    refetchInterval: 10_000,
  });
  const data = stats.data;
  const charts = data ? chartData(data) : undefined;
  const runs = data?.runsByStatus.reduce((sum, bucket) => sum + bucket.total, 0) ?? 0;
  const latency = data?.stepLatency;
  return (
    <section className="card charts" aria-label="run statistics">
      <header className="row">
        <h2>Recent runs ({runs})</h2>
        <label>
          Window{' '}
          <select value={windowId} onChange={(event) => setWindowId(event.target.value as WindowId)}>
            {statsWindows.map((window) => (
              <option key={window.id} value={window.id}>
                {window.label}
              </option>
            ))}
          </select>
        </label>
      </header>
      {stats.error ? <p className="bad">{stats.error.message}</p> : null}
      {latency ? (
        <p className="muted" aria-label="step latency">
          {latency.steps} steps · p50 {ms(latency.p50Ms)} · p90 {ms(latency.p90Ms)} · p99 {ms(latency.p99Ms)}{' '}
          · max {ms(latency.maxMs)}
        </p>
      ) : null}
      <div className="chart-grid">
        <figure>
          <figcaption>Runs by state, per {chosen.bucket} (by when they were created)</figcaption>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={charts?.byStatus ?? []}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="time" fontSize={11} />
              <YAxis allowDecimals={false} fontSize={11} />
              <Tooltip />
              <Legend />
              {(charts?.present ?? []).map((status) => (
                <Bar
                  key={status}
                  dataKey={status}
                  stackId="runs"
                  fill={toneColour[statusTone[status]]}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </figure>
        <figure>
          <figcaption>Step latency (p50, p90, p99), per {chosen.bucket}</figcaption>
          <ResponsiveContainer width="100%" height={220}>
            <LineChart data={charts?.latency ?? []}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="time" fontSize={11} />
              <YAxis fontSize={11} unit=" ms" />
              <Tooltip />
              <Legend />
              <Line dataKey="p50" stroke="#3b82f6" isAnimationActive={false} />
              <Line dataKey="p90" stroke="#f59e0b" isAnimationActive={false} />
              <Line dataKey="p99" stroke="#ef4444" isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </figure>
        <figure>
          <figcaption>Tokens per agent</figcaption>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={charts?.perAgent ?? []}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="agent" fontSize={11} />
              <YAxis fontSize={11} />
              <Tooltip />
              <Bar dataKey="tokens" fill="#6366f1" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
        <figure>
          <figcaption>Cost per agent (USD)</figcaption>
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={charts?.perAgent ?? []}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="agent" fontSize={11} />
              <YAxis fontSize={11} tickFormatter={(value: number) => usd(value)} />
              <Tooltip formatter={(value) => usd(Number(value))} />
              <Bar dataKey="cost" fill="#14b8a6" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      </div>
      <table className="list" aria-label="usage per agent">
        <thead>
          <tr>
            <th scope="col">agent</th>
            <th scope="col" className="number">
              runs
            </th>
            <th scope="col" className="number">
              model calls
            </th>
            <th scope="col" className="number">
              tokens
            </th>
            <th scope="col" className="number">
              cost
            </th>
          </tr>
        </thead>
        <tbody>
          {data?.agents.map((agent) => (
            <tr key={agent.agentId}>
              <td>{agent.agent ?? <span className="muted">{agent.agentId} (deleted)</span>}</td>
              <td className="number">{agent.runs}</td>
              <td className="number">{agent.modelCalls}</td>
              <td className="number">{agent.inputTokens + agent.outputTokens}</td>
              <td className="number">{usd(agent.costUsd)}</td>
            </tr>
          ))}
          {data && data.agents.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                No run in this window.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}
