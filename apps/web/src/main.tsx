/** The dashboard's entry point. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiClient } from './api/client.ts';
import { SessionProvider } from './api/session.tsx';
import { App } from './app.tsx';
import { Router } from './router.tsx';
import './styles.css';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 2_000,
      // An error answer (403, 404) will not change by asking again at once.
      retry: (failures, error) =>
        failures < 2 && !(error instanceof Error && 'status' in error && Number(error.status) < 500),
    },
  },
});
const client = new ApiClient();

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <SessionProvider client={client}>
        <Router>
          <App />
        </Router>
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
