import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { SessionProvider } from '../src/api/session.tsx';
import { App } from '../src/app.tsx';
import { Router } from '../src/router.tsx';
import type { FakeApi, FakeUser } from './fake-api.ts';
import { fakeApi, json } from './fake-api.ts';

const owner: FakeUser = { email: 'owner@example.com', password: 'owner pw', role: 'owner' };
const viewer: FakeUser = { email: 'viewer@example.com', password: 'viewer pw', role: 'viewer' };

const run = {
  id: 'run_1',
  status: 'waiting_approval',
  agentId: 'agt_careful',
  goal: { text: 'write a greeting' },
  depth: 0,
  stepCount: 2,
  usage: {
    steps: 2,
    inputTokens: 100,
    outputTokens: 20,
    costUsd: 0.0123,
    modelCalls: 2,
    toolCalls: 1,
    wallMs: 900,
  },
  createdAt: Date.now() - 5_000,
};

function dashboard(api: FakeApi = fakeApi([owner, viewer])): FakeApi {
  api.route('GET /v1/runs', (request) =>
    json({
      items: (request.query.get('status') ?? 'waiting_approval').split(',').includes(run.status) ? [run] : [],
      nextCursor: null,
    }),
  );
  api.route('GET /v1/agents', () =>
    json({ items: [{ id: 'agt_careful', name: 'careful', brain: 'model', budgets: {}, approval: {} }] }),
  );
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

beforeEach(() => window.history.replaceState(null, '', '/runs'));

describe('the app', () => {
  it('shows sign-in without a session, then the runs with their usage', async () => {
    dashboard();
    await signIn(owner);
    const row = (await screen.findByText('write a greeting')).closest('tr') as HTMLElement;
    expect(within(row).getByText('waiting approval')).toBeInTheDocument();
    expect(within(row).getByText('careful')).toBeInTheDocument();
    expect(within(row).getByText('120')).toBeInTheDocument();
    expect(within(row).getByText('$0.01')).toBeInTheDocument();
    expect(screen.getByRole('form', { name: 'start a run' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Audit' })).toBeInTheDocument();
  });

  it('says why a sign-in failed', async () => {
    dashboard();
    const form = await screen.findByRole('form', { name: 'sign in' });
    await userEvent.type(within(form).getByLabelText('Email'), owner.email);
    await userEvent.type(within(form).getByLabelText('Password'), 'wrong');
    await userEvent.click(within(form).getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('the email or password is wrong');
  });

  it('gives a viewer no control that changes anything, nor the audit page', async () => {
    dashboard();
    await signIn(viewer);
    await screen.findByText('write a greeting');
    expect(screen.queryByRole('form', { name: 'start a run' })).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Audit' })).not.toBeInTheDocument();
    expect(screen.getByText(`${viewer.email} · viewer`)).toBeInTheDocument();
  });

  it('returns to sign-in when the session ends, and to the same page after signing in again', async () => {
    window.history.replaceState(null, '', '/runs?from=bookmark');
    const api = dashboard();
    await signIn(owner);
    await screen.findByText('write a greeting');
    api.endSession();
    // The next request (a filter) is refused and the session cannot be renewed.
    await userEvent.click(screen.getByRole('checkbox', { name: 'failed' }));
    expect(await screen.findByText(/Your session has expired/)).toBeInTheDocument();
    expect(window.location.pathname + window.location.search).toBe('/runs?from=bookmark');
    await signIn(owner);
    expect(await screen.findByRole('heading', { name: 'Runs' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/runs');
  });

  it('keeps a session across a reload through the refresh cookie, and signs out', async () => {
    const api = fakeApi([owner, viewer]);
    // An earlier page load signed in: the server holds the session, the new page has no token.
    await api.fetch('/v1/auth/session', {
      method: 'POST',
      body: JSON.stringify({ email: owner.email, password: owner.password }),
    });
    dashboard(api);
    await screen.findByRole('navigation', { name: 'main' });
    expect(screen.queryByRole('form', { name: 'sign in' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('form', { name: 'sign in' })).toBeInTheDocument();
    expect(api.hasSession()).toBe(false);
    expect(screen.queryByText(/Your session has expired/)).not.toBeInTheDocument();
  });
});
