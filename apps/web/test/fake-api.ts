/**
 * A stand-in for the API server in the component tests: a `fetch` answering routes the test defines,
 * with the sign-in session routes built in (a refresh cookie the server can end), and a log of what
 * was asked.
 */
import { ApiClient } from '../src/api/client.ts';

/** A request the fake received. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

/** Answers one route. */
export type FakeHandler = (request: FakeRequest) => Response | Promise<Response>;

/** JSON answer. */
export const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The API's error shape. */
export const apiError = (status: number, code: string, message: string): Response =>
  json({ error: { code, message, requestId: 'req_test' } }, status);

/** A user the fake signs in. */
export interface FakeUser {
  email: string;
  password: string;
  role: 'owner' | 'admin' | 'operator' | 'viewer';
}

/** The fake server. */
export interface FakeApi {
  fetch: typeof fetch;
  client: ApiClient;
  requests: FakeRequest[];
  /** Adds or replaces the route `METHOD /path`. */
  route(key: string, handler: FakeHandler): void;
  /** Ends the browser session on the server: its access token and refresh cookie stop working. */
  endSession(): void;
  /** True while the fake holds a session (the "cookie"). */
  hasSession(): boolean;
}

/** A fake API with `users` able to sign in. */
export function fakeApi(users: FakeUser[]): FakeApi {
  const routes = new Map<string, FakeHandler>();
  const requests: FakeRequest[] = [];
  let session: { user: FakeUser; token: string } | undefined;
  let issued = 0;
  const issue = (user: FakeUser): Response => {
    issued += 1;
    session = { user, token: `at_${issued}` };
    return json({ accessToken: session.token, expiresIn: 900 });
  };
  routes.set('POST /v1/auth/session', (request) => {
    const { email, password } = request.body as { email: string; password: string };
    const user = users.find((candidate) => candidate.email === email && candidate.password === password);
    return user ? issue(user) : apiError(401, 'invalid_credentials', 'the email or password is wrong');
  });
  routes.set('POST /v1/auth/session/refresh', () =>
    session ? issue(session.user) : apiError(401, 'unauthorized', 'no browser session: sign in'),
  );
  routes.set('POST /v1/auth/session/logout', () => {
    session = undefined;
    return new Response(null, { status: 204 });
  });
  routes.set('GET /v1/auth/me', () =>
    session
      ? json({
          orgId: 'org_default',
          actor: `user:${session.user.email}`,
          role: session.user.role,
          credential: 'user',
          user: { id: `usr_${session.user.role}`, email: session.user.email, role: session.user.role },
        })
      : apiError(401, 'unauthorized', 'sign in'),
  );

  const fetchImpl = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://dashboard.test');
    const headers = new Headers(init.headers);
    const text = typeof init.body === 'string' ? init.body : undefined;
    const request: FakeRequest = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
    requests.push(request);
    const anonymous = request.path === '/v1/auth/session' || request.path === '/v1/auth/session/refresh';
    const bearer = headers.get('authorization')?.replace(/^Bearer /, '');
    if (!anonymous && (!session || bearer !== session.token))
      return apiError(401, 'unauthorized', 'the access token was not accepted');
    const handler = routes.get(`${request.method} ${request.path}`);
    if (!handler) return apiError(404, 'not_found', `no route ${request.method} ${request.path}`);
    return handler(request);
  };
  const fetch = fetchImpl as typeof globalThis.fetch;
  return {
    fetch,
    client: new ApiClient({ fetch }),
    requests,
    route: (key, handler) => void routes.set(key, handler),
    endSession: () => {
      session = undefined;
    },
    hasSession: () => session !== undefined,
  };
}
