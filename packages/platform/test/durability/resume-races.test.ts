import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fixture } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { runCli } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';
import type { EffectServer } from '../support/effect-server.ts';
import type { CrashStore } from './crash-harness.ts';
import {
  modelEnvironment,
  pgliteStore,
  postgresStore,
  runIdOf,
  showRun,
  startCli,
  startEffectModel,
  startEffectServer,
} from './crash-harness.ts';

/** True while a `sleep 120` process (the tool call of the test below) runs on this machine. */
function sleeperRunning(): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const [program = '', argument] = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\u0000');
      if (program.split('/').at(-1) === 'sleep' && argument === '120') return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}

describe.each([pgliteStore(), postgresStore()])(
  'resume races and interrupted calls [$name]',
  (store: CrashStore) => {
    let effects: EffectServer;
    let model: Fixture;

    beforeAll(async () => {
      effects = await startEffectServer();
      model = await startEffectModel(effects, 3, 800);
    });
    afterAll(async () => {
      await model.close();
      await effects.close();
      await store.cleanup();
    });

    it('two processes resuming the same run at once: exactly one advances it', async () => {
      const env = modelEnvironment(model, await store.environment());
      const { child, done } = startCli(['run', 'race me'], env);
      effects.onEffect = (key) => {
        if (key.endsWith(':2:0')) child.kill('SIGKILL');
      };
      const first = await done;
      effects.onEffect = undefined;
      const runId = String(runIdOf(first.stderr));
      const contenders = [
        startCli(['resume', runId, '--json'], env),
        startCli(['resume', runId, '--json'], env),
      ];
      const results = await Promise.all(contenders.map((contender) => contender.done));
      const winners = results.filter((result) => result.code === 0);
      const losers = results.filter((result) => result.code !== 0);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      // The loser either met the live lease (PostgreSQL), the locked data directory (PGlite), or came too late.
      expect(losers[0]?.stderr).toMatch(/being advanced by another process|in use by process|already ended/);
      expect(JSON.parse(String(winners[0]?.stdout))).toMatchObject({ status: 'succeeded' });
      const { events } = await showRun(runId, env);
      // The run starts once (a resumption writes no new start), and every step is committed once:
      // the loser never committed anything.
      expect(events.filter((event) => event.type === 'run-start')).toHaveLength(1);
      const steps = events.flatMap((event) => (event.type === 'step-end' ? [event.step] : []));
      expect(steps).toEqual(steps.map((_, index) => index + 1));
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
      for (const [key, count] of effects.applied) if (key.startsWith(runId)) expect(count).toBe(1);
    });

    it('a non-idempotent call interrupted mid-call ends the run needs_review, naming the call, and is not run again', async () => {
      const family = await store.environment();
      const slowModel = await startOpenAiFixture((request) => {
        const toolMessages = ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
          (message) => message.role === 'tool',
        );
        return toolMessages.length === 0
          ? { kind: 'tool-calls', calls: [{ name: 'shell_exec', input: { argv: ['sleep', '120'] } }] }
          : { kind: 'text', text: 'should not get here' };
      });
      try {
        const env = modelEnvironment(slowModel, family);
        const agentFile = join(String(family['AUTONOMA_HOME']), 'sleeper.json');
        writeFileSync(
          agentFile,
          JSON.stringify({
            name: 'sleeper',
            tools: ['shell_exec'],
            shellAllow: ['sleep'],
            approval: { minRisk: 'none' },
          }),
        );
        expect((await runCli(['agents', 'create', '--file', agentFile], env)).code).toBe(0);
        const { child, done } = startCli(['run', '--agent', 'sleeper', 'sleep a long time'], env);
        // Kill only once the call is running: its `sleep 120` process exists (it is journalled first).
        await waitFor(() => sleeperRunning(), { what: 'the shell_exec call to start', timeoutMs: 120_000 });
        child.kill('SIGKILL');
        const first = await done;
        const runId = String(runIdOf(first.stderr));
        const resumed = await runCli(['resume', runId, '--json'], env);
        expect(resumed.code).not.toBe(0);
        const outcome = JSON.parse(resumed.stdout) as { status: string; reason: string };
        expect(outcome.status).toBe('needs_review');
        expect(outcome.reason).toContain(`${runId}:1:0`);
        expect(outcome.reason).toContain('shell_exec');
        const { events } = await showRun(runId, env);
        expect(events.filter((event) => event.type === 'tool-call-start')).toHaveLength(0);
        expect(slowModel.requests).toHaveLength(1);
      } finally {
        await slowModel.close();
      }
    });
  },
);
