/** The app: sign-in until there is a session, then the pages under one navigation bar. */
import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect } from 'react';
import { useCan, useSession } from './api/session.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { RunsPage } from './pages/runs.tsx';
import { Link, matchPath, useRouter } from './router.tsx';

// The runs list is the landing page and ships with the first load; the rest load when opened.
const RunDetailPage = lazy(() => import('./pages/run-detail.tsx'));
const AgentsPage = lazy(() => import('./pages/agents.tsx'));
const ChatPage = lazy(() => import('./pages/chat.tsx'));
const MemoryPage = lazy(() => import('./pages/memory.tsx'));
const OperationsPage = lazy(() => import('./pages/operations.tsx'));
const AuditPage = lazy(() => import('./pages/audit.tsx'));

function Page() {
  const { location } = useRouter();
  const path = location.pathname;
  const run = matchPath('/runs/:id', path);
  if (run) return <RunDetailPage key={run['id']} runId={run['id'] as string} />;
  if (path === '/agents' || path.startsWith('/agents/')) return <AgentsPage />;
  const chat = matchPath('/chat/:id', path);
  if (path === '/chat' || chat) return <ChatPage conversationId={chat?.['id']} />;
  if (path === '/memory') return <MemoryPage />;
  if (path === '/operations') return <OperationsPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/' || path === '/runs') return <RunsPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link to="/runs">Go to the runs.</Link>
      </p>
    </section>
  );
}

function NavLink({ to, label }: { to: string; label: string }) {
  const { location } = useRouter();
  const active =
    location.pathname === to ||
    location.pathname.startsWith(`${to}/`) ||
    (to === '/runs' && location.pathname === '/');
  return (
    <Link to={to} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  );
}

function Shell() {
  const { state, signOut } = useSession();
  const queries = useQueryClient();
  const audit = useCan('audit:read');
  if (state.status !== 'signed-in') return null;
  return (
    <div className="shell">
      <nav className="topbar" aria-label="main">
        <span className="brand">Autonoma</span>
        <NavLink to="/runs" label="Runs" />
        <NavLink to="/agents" label="Agents" />
        <NavLink to="/chat" label="Chat" />
        <NavLink to="/memory" label="Memory" />
        <NavLink to="/operations" label="Operations" />
        {audit ? <NavLink to="/audit" label="Audit" /> : null}
        <span className="spacer" />
        <span className="user" data-role={state.me.role}>
          {state.me.user?.email ?? state.me.actor} · {state.me.role}
        </span>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            void signOut().then(() => queries.clear());
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Page />
        </Suspense>
      </main>
    </div>
  );
}

/** The app. */
export function App() {
  const { state } = useSession();
  useEffect(() => {
    document.title = state.status === 'signed-in' ? 'Autonoma' : 'Sign in · Autonoma';
  }, [state.status]);
  if (state.status === 'starting') return <p className="muted centered">Loading…</p>;
  // Signed out (or expired): sign-in takes the page's place without leaving its URL, so signing in
  // again returns to where the user was.
  if (state.status === 'signed-out') return <SignInPage expired={state.expired} />;
  return <Shell />;
}
