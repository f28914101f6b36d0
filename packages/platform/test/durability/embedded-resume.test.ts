/**
 * Embedded mode promises that the next `autonoma run` resumes a run an earlier process left unfinished.
 * Before the fix it only did so once the killed run's 30 s lease had expired: the process holding the
 * data directory's lock treated a dead process's lease as live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fixture } from '../fixtures/openai-server.ts';
import type { EffectServer } from '../support/effect-server.ts';
import {
  modelEnvironment,
  pgliteStore,
  runIdOf,
  showRun,
  startCli,
  startEffectModel,
  startEffectServer,
} from './crash-harness.ts';

describe('embedded auto-resume [pglite]', () => {
  let effects: EffectServer;
  let model: Fixture;

  beforeAll(async () => {
    effects = await startEffectServer();
    model = await startEffectModel(effects, 3);
  });
  afterAll(async () => {
    await model.close();
    await effects.close();
  });

  it('the next run, started within the killed run’s lease, resumes it to the end', async () => {
    const env = modelEnvironment(model, await pgliteStore().environment());
    const { child, done } = startCli(['run', 'make three effects'], env);
    effects.onEffect = (key) => {
      if (key.endsWith(':2:0')) child.kill('SIGKILL');
    };
    const killed = await done;
    effects.onEffect = undefined;
    expect(killed.signal).toBe('SIGKILL');
    const runId = runIdOf(killed.stderr);
    expect(runId).toBeDefined();
    // Well within the 30 s lease the killed process took.
    const next = await startCli(['run', 'another goal'], env).done;
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`resuming interrupted run ${runId}`);
    expect(next.stderr).toContain(`${runId}: succeeded`);
    const { run } = await showRun(String(runId), env);
    expect(run.status).toBe('succeeded');
    for (const [key, count] of effects.applied) expect(count, key).toBe(1);
  });
});
