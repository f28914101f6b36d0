import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '@autonoma/core';
import type { Fixture, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, runCli, startCli } from '../support/cli.ts';
import type { EffectServer } from '../support/effect-server.ts';
import { startEffectServer } from '../support/effect-server.ts';
import { createTestDatabase } from '../support/postgres.ts';

/** One store the crash suites run against. */
export interface CrashStore {
  name: 'pglite' | 'postgres';
  /** Environment naming the store for a fresh run family. */
  environment(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

/** A PGlite store: each family gets its own AUTONOMA_HOME. */
export function pgliteStore(): CrashStore {
  return {
    name: 'pglite',
    environment: async () => ({ AUTONOMA_HOME: mkdtempSync(join(tmpdir(), 'autonoma-crash-')) }),
    cleanup: async () => undefined,
  };
}

/** A PostgreSQL store: one fresh, migrated database for the suite. */
export function postgresStore(): CrashStore {
  let database: { url: string; drop: () => Promise<void> } | undefined;
  return {
    name: 'postgres',
    environment: async () => {
      if (!database) {
        database = await createTestDatabase('autonoma_crash');
        const migrated = await runCli(['migrate'], cliEnvironment({ DATABASE_URL: database.url }));
        if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
      }
      return { DATABASE_URL: database.url, AUTONOMA_HOME: mkdtempSync(join(tmpdir(), 'autonoma-crash-')) };
    },
    cleanup: async () => {
      await database?.drop();
    },
  };
}

const toolMessages = (request: RecordedRequest): number => {
  const body = request.body as { messages?: { role?: string }[] };
  return (body.messages ?? []).filter((message) => message.role === 'tool').length;
};

/** A scripted model that makes `effects` POSTs to the effect server, one per step, then answers. */
export async function startEffectModel(effects: EffectServer, count: number, delayMs = 0): Promise<Fixture> {
  return startOpenAiFixture((request) => {
    const done = toolMessages(request);
    if (done >= count)
      return {
        kind: 'text',
        text: `made ${count} effects`,
        delayMs,
        usage: { inputTokens: 10, outputTokens: 3 },
      };
    return {
      kind: 'tool-calls',
      delayMs,
      calls: [
        {
          name: 'http_request',
          input: { method: 'POST', url: `${effects.url}/effect/${done}`, body: `effect ${done}` },
        },
      ],
      usage: { inputTokens: 20, outputTokens: 8 },
    };
  });
}

const goalOf = (request: RecordedRequest): string => {
  const body = request.body as { messages?: { role?: string; content?: unknown }[] };
  const user = (body.messages ?? []).find((message) => message.role === 'user');
  return typeof user?.content === 'string' ? user.content : '';
};

/**
 * A scripted model for run trees: a goal starting `tree` delegates `children` sub-goals at once, then
 * answers with their results; each child makes `effects` POSTs to the effect server, one per step.
 */
export async function startTreeModel(
  effects: EffectServer,
  options: { children: number; effects: number; delayMs?: number },
): Promise<Fixture> {
  const delayMs = options.delayMs ?? 0;
  return startOpenAiFixture((request) => {
    const done = toolMessages(request);
    if (goalOf(request).includes('Goal: tree')) {
      // All children at once; after a kill that cut the delegating step short (only the calls the journal
      // had begun are finished on resume), the ones still missing — as a model would ask again.
      if (done < options.children)
        return {
          kind: 'tool-calls',
          delayMs,
          calls: Array.from({ length: options.children - done }, (_, index) => ({
            name: 'delegate',
            input: { goal: `child ${done + index} makes effects` },
          })),
        };
      return { kind: 'text', text: `the tree made its effects`, delayMs };
    }
    if (done >= options.effects) return { kind: 'text', text: `made ${options.effects} effects`, delayMs };
    return {
      kind: 'tool-calls',
      delayMs,
      calls: [{ name: 'http_request', input: { method: 'POST', url: `${effects.url}/effect/${done}` } }],
    };
  });
}

/** Environment for a CLI child using the scripted model and allowed to reach loopback. */
export function modelEnvironment(model: Fixture, store: Record<string, string>): Record<string, string> {
  return cliEnvironment({
    ...store,
    AUTONOMA_MODEL: 'openai-compatible:fixture',
    AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
    AUTONOMA_HTTP_ALLOW: '127.0.0.1',
  });
}

/** The run id a `run` child printed on its first line. */
export function runIdOf(output: string): string | undefined {
  return /^run (run_[a-z0-9]+) ·/m.exec(output)?.[1];
}

/** Resumes a run until it ends (or attempts run out); returns the last result. */
export async function resumeUntilDone(
  runId: string,
  env: Record<string, string>,
  attempts = 10,
): Promise<CliResult> {
  let last: CliResult | undefined;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    last = await runCli(['resume', runId, '--json'], env);
    if (last.code === 0) return last;
    if (/already ended/.test(last.stderr)) return last;
  }
  if (!last) throw new Error('no attempt made');
  return last;
}

/** The run and its events, read through the CLI (`runs show --json`). */
export async function showRun(
  runId: string,
  env: Record<string, string>,
): Promise<{ run: { status: string; stepCount: number; lastSeq: number }; events: RunEvent[] }> {
  const shown = await runCli(['runs', 'show', runId, '--json'], env);
  if (shown.code !== 0) throw new Error(`runs show failed: ${shown.stderr}`);
  return JSON.parse(shown.stdout) as {
    run: { status: string; stepCount: number; lastSeq: number };
    events: RunEvent[];
  };
}

export { startCli, startEffectServer };
