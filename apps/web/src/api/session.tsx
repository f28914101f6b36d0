/**
 * The signed-in session: the API client (which holds the access token in memory), who the user is,
 * and what their role lets them do. On start the app tries the refresh cookie, so a reload keeps the
 * user signed in without any token in storage.
 */
import type { ReactNode } from 'react';
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ApiClient } from './client.ts';
import type { Me, Role } from './types.ts';

/** What a role may do in the UI: the API's permission table (platform `api/permissions.ts`) decides. */
export type Capability =
  | 'runs:write'
  | 'agents:write'
  | 'memories:delete'
  | 'audit:read'
  | 'schedules:write'
  | 'operations:read'
  | 'conversations:write';

const operators: readonly Role[] = ['owner', 'admin', 'operator'];
const administrators: readonly Role[] = ['owner', 'admin'];
const capabilities: Record<Capability, readonly Role[]> = {
  'runs:write': operators,
  'conversations:write': operators,
  'schedules:write': operators,
  'operations:read': operators,
  'agents:write': administrators,
  'memories:delete': administrators,
  'audit:read': administrators,
};

/** True when `role` may use controls of `capability`. The server enforces the same regardless. */
export const can = (role: Role | undefined, capability: Capability): boolean =>
  role !== undefined && capabilities[capability].includes(role);

type SessionState =
  { status: 'starting' } | { status: 'signed-out'; expired: boolean } | { status: 'signed-in'; me: Me };

interface SessionValue {
  state: SessionState;
  client: ApiClient;
  signIn(email: string, password: string): Promise<void>;
  signInWithToken(token: string): Promise<void>;
  signOut(): Promise<void>;
  /** The signed-in user's role (undefined while signed out). */
  role: Role | undefined;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

/** Holds the session of this tab. */
export function SessionProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'starting' });

  const loadMe = useCallback(async () => {
    const me = await client.get<Me>('/v1/auth/me');
    setState({ status: 'signed-in', me });
  }, [client]);

  useEffect(() => {
    client.onSessionExpired = () => setState({ status: 'signed-out', expired: true });
    let live = true;
    void (async () => {
      const renewed = await client.refresh();
      if (!live) return;
      if (!renewed) return setState({ status: 'signed-out', expired: false });
      await loadMe().catch(() => setState({ status: 'signed-out', expired: false }));
    })();
    return () => {
      live = false;
    };
  }, [client, loadMe]);

  const value = useMemo<SessionValue>(
    () => ({
      state,
      client,
      role: state.status === 'signed-in' ? state.me.role : undefined,
      signIn: async (email, password) => {
        await client.signIn(email, password);
        await loadMe();
      },
      signInWithToken: async (token) => {
        client.useToken(token);
        try {
          await loadMe();
        } catch (error) {
          client.forget();
          throw error;
        }
      },
      signOut: async () => {
        await client.signOut();
        setState({ status: 'signed-out', expired: false });
      },
    }),
    [state, client, loadMe],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session of this tab. */
export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}

/** The API client. */
export const useApi = (): ApiClient => useSession().client;

/** True when the signed-in user may use controls of `capability`. */
export const useCan = (capability: Capability): boolean => can(useSession().role, capability);
