/**
 * The worker pool on the embedded store, as `autonoma serve` runs it in its own process: it advances
 * the runs written with their jobs, and its sweeper starts a conversation turn left waiting behind a
 * run that ended while its process died (no other process would ever start it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { sql } from '../../src/store/index.ts';
import type { WorkerPool } from '../../src/worker.ts';
import { startWorkerPool } from '../../src/worker.ts';
import type { Fixture, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { appWithModel } from '../support/model-app.ts';
import { waitFor } from '../support/wait-for.ts';

/** Echoes the latest user message. */
function echo(request: RecordedRequest) {
  const messages = ((request.body as { messages?: { role?: string; content?: unknown }[] }).messages ?? [])
    .filter((message) => message.role === 'user')
    .map((message) => (typeof message.content === 'string' ? message.content : ''));
  return { kind: 'text' as const, text: `You said: ${messages.at(-1) ?? ''}` };
}

describe('the worker pool on the embedded store [pglite]', () => {
  let model: Fixture | undefined;
  let app: App | undefined;
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.stop({ drain: false });
    await app?.close();
    await model?.close();
  });

  it('advances queued runs, and its sweep starts a conversation turn a dead process left waiting', async () => {
    model = await startOpenAiFixture(echo);
    app = await appWithModel(model);
    const scope = app.localScope;
    const { conversations, runs } = app.services;
    expect(app.mode).toBe('embedded');

    // A conversation whose first turn ended (and was finalized) as its process died, before the
    // second turn, waiting behind it, was started.
    const conversation = await conversations.create(scope);
    const first = await conversations.send(scope, conversation.id, 'hello', { enqueue: false });
    const second = await conversations.send(scope, conversation.id, 'again', { enqueue: true });
    expect(second.run).toBeNull();
    const run = await runs.get(scope, first.turn.runId);
    await app.database.stores.runs.transition(
      scope.orgId,
      run.id,
      { status: run.status, version: run.version },
      { status: 'cancelled', reason: 'process died', now: Date.now() },
    );
    await app.database.executor.execute(
      sql`UPDATE runs SET finalized_at = ${Date.now()}::bigint WHERE id = ${run.id}`,
    );

    pool = await startWorkerPool(app, { concurrency: 2, sweepIntervalMs: 200 });
    expect(pool.transport).toBe('local');
    // A run written with its job, as the API writes it.
    const queued = await runs.start(scope, { goal: 'say hi', enqueue: true });

    await waitFor(
      async () => {
        const [turn, other] = await Promise.all([
          runs.get(scope, second.turn.runId).catch(() => undefined),
          runs.get(scope, queued.id),
        ]);
        return turn?.finalizedAt != null && other.finalizedAt !== null;
      },
      { what: 'the waiting turn and the queued run to end', timeoutMs: 90_000, intervalMs: 100 },
    );
    expect(await runs.get(scope, queued.id)).toMatchObject({ status: 'succeeded' });
    expect(await runs.get(scope, second.turn.runId)).toMatchObject({
      status: 'succeeded',
      answer: expect.stringContaining('again'),
      conversationId: conversation.id,
    });
    expect((await conversations.get(scope, conversation.id)).started).toBe(2);
    expect(await pool.stop({ drain: true })).toEqual({ unfinished: 0 });
  }, 240_000); // a new PGlite takes seconds to create, much longer on a loaded machine
});
