import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { seededRandom } from '../support/random.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import type { EffectServer } from '../support/effect-server.ts';
import type { CrashStore } from './crash-harness.ts';
import {
  modelEnvironment,
  resumeUntilDone,
  runIdOf,
  showRun,
  startCli,
  startEffectModel,
  startEffectServer,
  startTreeModel,
} from './crash-harness.ts';

const effectsPerRun = 4;

/** Invariants of a finished run: succeeded, one effect per key, no gap in seq, steps all committed. */
async function expectIntact(
  runId: string,
  env: Record<string, string>,
  effects: EffectServer,
): Promise<void> {
  const { run, events } = await showRun(runId, env);
  expect(run.status).toBe('succeeded');
  const seqs = events.map((event) => event.seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
  expect(run.lastSeq).toBe(seqs.length);
  const stepEnds = events
    .filter((event) => event.type === 'step-end')
    .map((event) => (event.type === 'step-end' ? event.step : -1));
  expect(stepEnds).toEqual(Array.from({ length: run.stepCount }, (_, index) => index + 1));
  const keys = events.flatMap((event) => (event.type === 'tool-call-end' && event.ok ? [event.callId] : []));
  expect(new Set(keys).size).toBe(effectsPerRun);
  for (const key of keys) expect(effects.applied.get(key)).toBe(1);
  const runKeys = [...effects.applied.keys()].filter((key) => key.startsWith(`${runId}:`));
  expect(runKeys.sort()).toEqual([...keys].sort());
}

/**
 * The crash-safety suite for one store. Each store has its own test file (crash-pglite.test.ts,
 * crash-postgres.test.ts) so the two run in parallel: together they are the suite's longest work.
 */
export function defineCrashSuite(store: CrashStore): void {
  describe(`crash safety [${store.name}]`, () => {
    let effects: EffectServer;
    let model: Fixture;

    beforeAll(async () => {
      effects = await startEffectServer();
      model = await startEffectModel(effects, effectsPerRun, 150);
    });
    afterAll(async () => {
      await model.close();
      await effects.close();
      await store.cleanup();
    });

    it('a kill between a tool effect and its step commit: resume re-sends the same key, the effect applies once', async () => {
      const env = modelEnvironment(model, await store.environment());
      const { child, done } = startCli(['run', 'make four effects'], env);
      let killedOn: string | undefined;
      effects.onEffect = (key) => {
        if (killedOn === undefined && key.endsWith(':2:0')) {
          killedOn = key;
          child.kill('SIGKILL');
        }
      };
      const first = await done;
      effects.onEffect = undefined;
      expect(first.signal).toBe('SIGKILL');
      expect(killedOn).toBeDefined();
      const runId = runIdOf(first.stderr);
      expect(runId).toBeDefined();
      const resumed = await resumeUntilDone(String(runId), env);
      expect(resumed.code).toBe(0);
      expect(effects.requests.filter((request) => request.key === killedOn)).toHaveLength(2);
      await expectIntact(String(runId), env, effects);
    });

    it('kills at random points (24 by default): every run completes intact after resume', async () => {
      const random = seededRandom(`crash safety [${store.name}]`);
      // Each kill costs a process start and a partial run; 24 per store keeps the suite within its time on
      // a loaded 2-core machine. AUTONOMA_CRASH_KILLS raises it (the seed makes any run reproducible).
      const targetKills = Number(process.env['AUTONOMA_CRASH_KILLS'] ?? 24);
      const killsPerFamily = 8;
      let kills = 0;
      let families = 0;
      const env = modelEnvironment(model, await store.environment());
      const { window, runId } = await calibrate('effects', env);
      await expectIntact(runId, env, effects);
      while (kills < targetKills) {
        families += 1;
        const family = await runFamily(`effects family ${families}`, env, {
          random,
          window,
          kills: Math.min(killsPerFamily, targetKills - kills),
        });
        kills += family.kills;
        await expectIntact(family.runId, env, effects);
      }
      expect(kills).toBeGreaterThanOrEqual(targetKills);
    }, 900_000);

    it('kills during delegation and during the children: each child exists once, every run ends, no effect repeats', async () => {
      const random = seededRandom(`tree crash safety [${store.name}]`);
      const treeModel = await startTreeModel(effects, { children: 2, effects: 2, delayMs: 100 });
      try {
        const env = modelEnvironment(treeModel, await store.environment());
        const { window, runId } = await calibrate('tree', env);
        await expectTreeIntact(runId, env, effects);
        const targetKills = Number(process.env['AUTONOMA_CRASH_KILLS'] ?? 24) / 3;
        let kills = 0;
        for (let family = 1; kills < targetKills; family += 1) {
          const run = await runFamily(`tree family ${family}`, env, {
            random,
            window,
            kills: Math.min(4, targetKills - kills),
          });
          kills += run.kills;
          await expectTreeIntact(run.runId, env, effects);
        }
      } finally {
        await treeModel.close();
      }
    }, 900_000);
  });
}

/**
 * How long an undisturbed run of `goal` takes here, start-up included: the window kill points are
 * drawn from. Measured on a second run: the first also creates the store (on PGlite, under load, three
 * times a run's length), and a window that long put most kills after the run had ended — they killed
 * nothing, and the random-kill test spent 80 families reaching its kills, past its timeout.
 */
async function calibrate(
  goal: string,
  env: Record<string, string>,
): Promise<{ window: number; runId: string }> {
  const warmUp = await startCli(['run', `${goal} warm-up`], env).done;
  expect(warmUp.code, warmUp.stderr).toBe(0);
  const started = Date.now();
  const calibration = await startCli(['run', `${goal} calibration`], env).done;
  const window = Date.now() - started;
  expect(calibration.code, calibration.stderr).toBe(0);
  const runId = runIdOf(calibration.stderr);
  expect(runId).toBeDefined();
  return { window, runId: String(runId) };
}

/**
 * Runs one goal to its end through `autonoma run` then `resume`, SIGKILLing the first `kills` attempts
 * at a random point of `window` (ms, a calibrated undisturbed run). Returns the run id and the kills.
 */
async function runFamily(
  goal: string,
  env: Record<string, string>,
  options: { random: { next(): number }; window: number; kills: number },
): Promise<{ runId: string; kills: number }> {
  let runId: string | undefined;
  let kills = 0;
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const { child, done } = startCli(runId ? ['resume', runId] : ['run', goal], env);
    const timer =
      attempt < options.kills
        ? setTimeout(() => child.kill('SIGKILL'), Math.floor(options.random.next() * options.window))
        : undefined;
    const result = await done;
    clearTimeout(timer);
    runId ??= runIdOf(result.stderr);
    if (result.signal === 'SIGKILL') kills += 1;
    if (result.code === 0 || /already ended/.test(result.stderr)) {
      expect(runId).toBeDefined();
      return { runId: String(runId), kills };
    }
  }
  throw new Error(`${goal}: not finished after 40 attempts`);
}

/** A finished tree: the root and its two children succeeded, each child once, each effect applied once. */
async function expectTreeIntact(
  runId: string,
  env: Record<string, string>,
  effects: EffectServer,
): Promise<void> {
  const { run, events } = await showRun(runId, env);
  expect(run.status).toBe('succeeded');
  const started = events.flatMap((event) => (event.type === 'delegate-start' ? [event.childRunId] : []));
  const ended = events.flatMap((event) => (event.type === 'delegate-end' ? [event.childRunId] : []));
  expect(started).toHaveLength(2);
  expect(new Set(started).size).toBe(2);
  expect([...ended].sort()).toEqual([...started].sort());
  const listed = await runCli(['runs', 'list', '--json'], env);
  const children = (JSON.parse(listed.stdout) as { id: string; parentRunId: string | null }[]).filter(
    (candidate) => candidate.parentRunId === runId,
  );
  expect(children.map((child) => child.id).sort()).toEqual([...started].sort());
  for (const childId of started) {
    const child = await showRun(childId, env);
    expect(child.run.status).toBe('succeeded');
    const keys = child.events.flatMap((event) =>
      event.type === 'tool-call-end' && event.ok ? [event.callId] : [],
    );
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(effects.applied.get(key)).toBe(1);
  }
}
