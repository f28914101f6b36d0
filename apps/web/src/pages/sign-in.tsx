/** Sign in with an email and password (or, for scripts and the local owner, a bearer token). */
import { useState } from 'react';
import { useSession } from '../api/session.tsx';

/** The sign-in form; `expired` says the previous session ended. */
export function SignInPage({ expired }: { expired: boolean }) {
  const { signIn, signInWithToken } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const run = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>Autonoma</h1>
      {expired ? (
        <p role="status" className="warning">
          Your session has expired. Sign in again to continue.
        </p>
      ) : null}
      <form
        aria-label="sign in"
        onSubmit={(event) => {
          event.preventDefault();
          void run(() => signIn(email, password));
        }}
      >
        <label>
          Email
          <input
            type="email"
            autoComplete="username"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            required
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <details>
        <summary>Sign in with an API key or token</summary>
        <form
          aria-label="sign in with a token"
          onSubmit={(event) => {
            event.preventDefault();
            void run(() => signInWithToken(token.trim()));
          }}
        >
          <label>
            Token (kept in this tab's memory only)
            <input
              type="password"
              value={token}
              onChange={(event) => setToken(event.target.value)}
              required
            />
          </label>
          <button type="submit" disabled={busy}>
            Use token
          </button>
        </form>
      </details>
      {error ? (
        <p role="alert" className="bad">
          {error}
        </p>
      ) : null}
    </main>
  );
}
