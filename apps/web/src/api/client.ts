/**
 * The dashboard's one way in: the HTTP API (ARCHITECTURE §8) and a run's event stream.
 *
 * The access token lives in this object only, in memory: never in `localStorage`, `sessionStorage` or
 * a readable cookie, so a script injected into the page could not carry it away beyond the tab's life.
 * The browser signs in through `/v1/auth/session` (platform `api/routes/auth-session.ts`), whose
 * refresh token never reaches the page: the server keeps it in an `HttpOnly`, `SameSite=Strict`
 * cookie sent only to that path. On start, and whenever a request answers 401, the client asks
 * `POST /v1/auth/session/refresh` (the browser sends the cookie) for a new access token; when that
 * fails too, the session has expired and the app returns to sign-in.
 */
import type { RunEvent } from './types.ts';
import { SseParser } from './sse.ts';

/** An error answer of the API (`{ error: { code, message, requestId } }`), or a network failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;

  constructor(options: { status: number; code: string; message: string; requestId?: string }) {
    super(options.message);
    this.name = 'ApiError';
    this.status = options.status;
    this.code = options.code;
    this.requestId = options.requestId;
  }
}

/** What a successful sign-in or refresh answers. */
interface TokenAnswer {
  accessToken: string;
  expiresIn?: number;
}

/** Options of one request. */
export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** What {@link ApiClient.streamRunEvents} is given. */
export interface StreamOptions {
  /** The last `seq` the caller has (0 for everything). */
  afterSeq: number;
  onEvent(event: RunEvent): void;
  /** Told when the stream ended after `run-end`. */
  onEnd?(): void;
  /** Told about a failure that ends the stream for good (the run is gone, access was refused). */
  onError?(error: ApiError): void;
  signal: AbortSignal;
  /** Wait before reconnecting a dropped stream. @default 1000 */
  retryMs?: number;
}

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** Prefix of every path (the dashboard is served by the API itself). @default '' */
  baseUrl?: string;
  /** Told when the session cannot be renewed: the app shows sign-in. */
  onSessionExpired?: () => void;
  fetch?: typeof fetch;
}

const jsonHeaders = { accept: 'application/json' };

/** Turns an error answer into an {@link ApiError}. */
async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  let requestId = response.headers.get('x-request-id') ?? undefined;
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; requestId?: string };
    };
    if (body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      requestId = body.error.requestId ?? requestId;
    }
  } catch {
    // Not JSON (a proxy's page): keep the status.
  }
  return new ApiError({ status: response.status, code, message, ...(requestId ? { requestId } : {}) });
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** The API client of one browser tab. */
export class ApiClient {
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;
  #accessToken: string | undefined;
  #refreshing: Promise<boolean> | undefined;
  #onSessionExpired: () => void;

  constructor(options: ApiClientOptions = {}) {
    this.#baseUrl = options.baseUrl ?? '';
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#onSessionExpired = options.onSessionExpired ?? (() => undefined);
  }

  /** Who to tell when the session cannot be renewed. */
  set onSessionExpired(listener: () => void) {
    this.#onSessionExpired = listener;
  }

  /** True while the client holds an access token. */
  get signedIn(): boolean {
    return this.#accessToken !== undefined;
  }

  /** Signs in with an email and password; the server sets the refresh cookie. */
  async signIn(email: string, password: string): Promise<void> {
    const response = await this.#fetch(`${this.#baseUrl}/v1/auth/session`, {
      method: 'POST',
      headers: { ...jsonHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
      credentials: 'same-origin',
    });
    if (!response.ok) throw await errorOf(response);
    this.#accessToken = ((await response.json()) as TokenAnswer).accessToken;
  }

  /**
   * Uses a bearer credential the user pasted (an API key, or the local control token of an embedded
   * `serve`), kept in memory like an access token: it is gone on reload.
   */
  useToken(token: string): void {
    this.#accessToken = token;
  }

  /** Asks for a new access token with the refresh cookie; false when there is no valid session. */
  refresh(): Promise<boolean> {
    this.#refreshing ??= (async () => {
      try {
        const response = await this.#fetch(`${this.#baseUrl}/v1/auth/session/refresh`, {
          method: 'POST',
          headers: jsonHeaders,
          credentials: 'same-origin',
        });
        if (!response.ok) return false;
        this.#accessToken = ((await response.json()) as TokenAnswer).accessToken;
        return true;
      } catch {
        return false;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /** Signs out: the server ends the session and clears the cookie; the token is forgotten. */
  async signOut(): Promise<void> {
    try {
      if (this.#accessToken) await this.#send('POST', '/v1/auth/session/logout', {}, 'application/json');
    } catch {
      // Offline or already ended: forgetting the token is what matters here.
    }
    this.#accessToken = undefined;
  }

  /** Forgets the token without telling the server (the session expired). */
  forget(): void {
    this.#accessToken = undefined;
  }

  #url(path: string, query: RequestOptions['query']): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined && value !== '') search.set(key, String(value));
    const text = search.toString();
    return `${this.#baseUrl}${path}${text ? `?${text}` : ''}`;
  }

  async #send(method: string, path: string, options: RequestOptions, accept: string): Promise<Response> {
    const attempt = (): Promise<Response> =>
      this.#fetch(this.#url(path, options.query), {
        method,
        headers: {
          accept,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.#accessToken ? { authorization: `Bearer ${this.#accessToken}` } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        credentials: 'same-origin',
      });
    let response = await attempt();
    if (response.status === 401) {
      if (await this.refresh()) response = await attempt();
      if (response.status === 401) {
        this.#accessToken = undefined;
        this.#onSessionExpired();
      }
    }
    return response;
  }

  /** One JSON request; an error answer throws {@link ApiError}. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#send(method, path, options, 'application/json');
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** `GET` shorthand. */
  get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
  }

  /**
   * Follows a run's events over SSE (`GET /v1/runs/:id/events`): stored events after `afterSeq`, then
   * live ones (with the ephemeral `text-delta`), until `run-end`. A dropped connection is resumed with
   * `Last-Event-ID`, so no event is missed or repeated. Resolves when the stream ends or is aborted.
   */
  async streamRunEvents(runId: string, options: StreamOptions): Promise<void> {
    let afterSeq = options.afterSeq;
    const path = `/v1/runs/${encodeURIComponent(runId)}/events`;
    while (!options.signal.aborted) {
      let ended = false;
      try {
        const response = await this.#send(
          'GET',
          path,
          { headers: { 'last-event-id': String(afterSeq) }, signal: options.signal },
          'text/event-stream',
        );
        if (!response.ok) {
          const error = await errorOf(response);
          // A client error will not heal by retrying (unknown run, no access).
          if (response.status < 500 && response.status !== 429) {
            options.onError?.(error);
            return;
          }
          throw error;
        }
        if (!response.body) throw new Error('the stream has no body');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        let received = 0;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            if (message.event === 'stream-error') throw new Error(message.data);
            if (message.event !== 'message') continue;
            const event = JSON.parse(message.data) as RunEvent;
            received += 1;
            if (event.seq > 0) {
              if (event.seq <= afterSeq) continue;
              afterSeq = event.seq;
            }
            options.onEvent(event);
            if (event.type === 'run-end') ended = true;
          }
        }
        // An empty stream that ended by itself: the run had ended and the caller has its whole log.
        if (ended || received === 0) {
          options.onEnd?.();
          return;
        }
      } catch {
        // A dropped connection or a stream-error: resume from the last seq below.
        if (options.signal.aborted) return;
      }
      await sleep(options.retryMs ?? 1000, options.signal);
    }
  }
}
