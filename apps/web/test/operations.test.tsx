import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { SessionProvider } from '../src/api/session.tsx';
import type { RunStatsView } from '../src/api/types.ts';
import { App } from '../src/app.tsx';
import { Router } from '../src/router.tsx';
import type { FakeApi, FakeUser } from './fake-api.ts';
import { fakeApi, json } from './fake-api.ts';

const viewer: FakeUser = { email: 'viewer@example.com', password: 'viewer pw', role: 'viewer' };
const hour = 3_600_000;
const start = Date.UTC(2026, 0, 5, 9);

const stats = (bucket: RunStatsView['bucket']): RunStatsView => ({
  from: start,
  to: start + 2 * hour,
  bucket,
  bucketMs: bucket === 'day' ? 24 * hour : hour,
  runsByStatus: [
    { start, counts: { succeeded: 3, failed: 1 }, total: 4 },
    { start: start + hour, counts: { running: 2 }, total: 2 },
  ],
  stepLatency: {
    steps: 12,
    p50Ms: 250,
    p90Ms: 1_500,
    p99Ms: 4_200,
    meanMs: 600,
    maxMs: 4_500,
    buckets: [
      { start, steps: 8, p50Ms: 200, p90Ms: 900, p99Ms: 1_000, meanMs: 300, maxMs: 1_000 },
      { start: start + hour, steps: 4, p50Ms: 800, p90Ms: 4_000, p99Ms: 4_400, meanMs: 1_200, maxMs: 4_500 },
    ],
  },
  agents: [
    {
      agentId: 'agt_writer',
      agent: 'writer',
      runs: 4,
      modelCalls: 9,
      inputTokens: 1_200,
      outputTokens: 300,
      costUsd: 0.42,
    },
    {
      agentId: 'agt_gone',
      agent: null,
      runs: 2,
      modelCalls: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    },
  ],
});

function openOperations(): FakeApi {
  const api = fakeApi([viewer]);
  api.route('GET /v1/runs/stats', (request) =>
    json(stats((request.query.get('bucket') ?? 'hour') as RunStatsView['bucket'])),
  );
  api.route('GET /v1/schedules', () => json({ items: [] }));
  api.route('GET /v1/agents', () => json({ items: [] }));
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queries}>
      <SessionProvider client={api.client}>
        <Router>
          <App />
        </Router>
      </SessionProvider>
    </QueryClientProvider>,
  );
  return api;
}

async function signIn(user: FakeUser): Promise<void> {
  const form = await screen.findByRole('form', { name: 'sign in' });
  await userEvent.type(within(form).getByLabelText('Email'), user.email);
  await userEvent.type(within(form).getByLabelText('Password'), user.password);
  await userEvent.click(within(form).getByRole('button', { name: 'Sign in' }));
  await screen.findByRole('navigation', { name: 'main' });
}

/** The statistics card, once the page (loaded on demand, with the chart library) has rendered. */
const openedCard = (): Promise<HTMLElement> =>
  screen.findByRole('region', { name: 'run statistics' }, { timeout: 30_000 });

beforeEach(() => window.history.replaceState(null, '', '/operations'));

describe('the operations page', () => {
  it("draws its charts from the server's statistics of the window, not from a list of runs", async () => {
    const api = openOperations();
    await signIn(viewer);
    const card = await openedCard();
    expect(await within(card).findByRole('heading', { name: 'Recent runs (6)' })).toBeInTheDocument();
    expect(within(card).getByLabelText('step latency')).toHaveTextContent(
      '12 steps · p50 250 ms · p90 1.5 s · p99 4.2 s · max 4.5 s',
    );
    const rows = within(within(card).getByRole('table', { name: 'usage per agent' }))
      .getAllByRole('row')
      .slice(1);
    expect(rows[0]).toHaveTextContent(/writer\s*4\s*9\s*1500\s*\$0\.42/);
    expect(rows[1]).toHaveTextContent('agt_gone (deleted)');

    const asked = api.requests.filter((request) => request.path === '/v1/runs/stats');
    expect(asked.length).toBeGreaterThan(0);
    const query = asked[0]?.query;
    expect(query?.get('bucket')).toBe('hour');
    expect(Number(query?.get('to')) - Number(query?.get('from'))).toBe(24 * hour);
    // The charts no longer fetch runs to count them in the browser.
    expect(api.requests.some((request) => request.path === '/v1/runs')).toBe(false);
    // A viewer sees the charts and the schedules, not the fleet.
    expect(screen.queryByRole('heading', { name: 'Workers' })).toBeNull();
  });

  it('asks for another window with the bucket that suits it', async () => {
    const api = openOperations();
    await signIn(viewer);
    const card = await openedCard();
    await within(card).findByRole('heading', { name: 'Recent runs (6)' });
    await userEvent.selectOptions(within(card).getByLabelText(/Window/), 'last 30 days');
    await within(card).findByText('Runs by state, per day (by when they were created)');
    const last = api.requests.filter((request) => request.path === '/v1/runs/stats').at(-1);
    expect(last?.query.get('bucket')).toBe('day');
    expect(Number(last?.query.get('to')) - Number(last?.query.get('from'))).toBe(30 * 24 * hour);
  });
});
