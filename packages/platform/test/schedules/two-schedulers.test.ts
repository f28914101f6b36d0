/**
 * A schedule fires once per slot with two schedulers running on one PostgreSQL database: two service
 * instances on separate connection pools racing under a shared fake clock, then two real scheduler
 * processes with a slot every second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Scope } from '@autonoma/core';
import { defaultOrgId, randomIds, systemClock } from '@autonoma/core';
import { FixedClock } from '@autonoma/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Firing } from '../../src/services/schedule-service.ts';
import { ensureDefaultAgent } from '../../src/services/index.ts';
import { createDatabase, queryRows, sql, type Database } from '../../src/store/index.ts';
import { repositoryRoot } from '../support/cli.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { waitFor } from '../support/wait-for.ts';
import { servicesOver } from './harness.ts';

const scope: Scope = { orgId: defaultOrgId, actor: 'test' };
const minute = 60_000;

let url: string;
let drop: () => Promise<void>;
let database: Database;

beforeAll(async () => {
  ({ url, drop } = await createTestDatabase('autonoma_two_schedulers'));
  database = await createDatabase({ kind: 'postgres', url });
  await database.migrate();
  await ensureDefaultAgent(
    { agents: database.stores.agents, clock: systemClock, ids: randomIds },
    defaultOrgId,
  );
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

/** The runs of a schedule: idempotency key → how many runs carry it, and their jobs. */
async function runsOf(scheduleId: string): Promise<{ keys: Map<string, number>; jobs: number }> {
  const rows = await queryRows(
    database.executor,
    sql`SELECT idempotency_key AS key, count(*)::int AS runs FROM runs
        WHERE idempotency_key LIKE ${`schedule:${scheduleId}:%`} GROUP BY idempotency_key`,
  );
  const jobs = await queryRows(
    database.executor,
    sql`SELECT count(*)::int AS jobs FROM jobs
        WHERE kind = 'agent-run' AND run_id IN (SELECT id FROM runs WHERE idempotency_key LIKE ${`schedule:${scheduleId}:%`})`,
  );
  return {
    keys: new Map(rows.map((row) => [String(row.key), Number(row.runs)])),
    jobs: Number(jobs[0]?.jobs),
  };
}

describe('a schedule fires once per slot with two schedulers running [postgres]', () => {
  it('two service instances on their own connections, racing at every slot and after an outage', async () => {
    const other = await createDatabase({ kind: 'postgres', url });
    try {
      const clock = new FixedClock(Date.UTC(2026, 0, 1, 10, 2, 30));
      const first = servicesOver(database.stores, { clock }).schedules;
      const second = servicesOver(other.stores, { clock }).schedules;
      const schedule = await first.create(scope, { goal: 'tick', cron: '*/5 * * * *' });
      const firings: Firing[] = [];
      const race = async (): Promise<void> => {
        const passes = await Promise.all([first.fireDue(), second.fireDue()]);
        firings.push(...passes.flatMap((pass) => pass.firings));
      };
      const expected: number[] = [];
      for (let slot = 1; slot <= 20; slot += 1) {
        clock.advance(5 * minute);
        expected.push(Date.UTC(2026, 0, 1, 10, 5 * slot));
        await race();
      }
      // Everything down for an hour: one firing, for the most recent slot.
      clock.advance(60 * minute);
      expected.push(Date.UTC(2026, 0, 1, 12, 40));
      await race();

      const { keys, jobs } = await runsOf(schedule.id);
      expect([...keys.keys()].sort()).toEqual(
        expected.map((slot) => `schedule:${schedule.id}:${slot}`).sort(),
      );
      expect([...keys.values()].every((count) => count === 1)).toBe(true);
      expect(jobs).toBe(expected.length);
      // Each slot moved on exactly once, whoever lost the race.
      expect(firings.filter((firing) => firing.advanced).map((firing) => firing.slot)).toEqual(expected);
      // Both instances that saw a slot name the same run.
      for (const slot of expected)
        expect(
          new Set(firings.filter((firing) => firing.slot === slot).map((firing) => firing.runId)).size,
        ).toBe(1);
      expect(firings.filter((firing) => firing.error !== undefined)).toEqual([]);
      // Its slots are in the fake clock's past: the real-time processes below must not see it.
      await first.delete(scope, schedule.id);
    } finally {
      await other.close();
    }
  });

  it('two scheduler processes, a slot every second: one run per slot, one advance per slot', async () => {
    const { schedules } = servicesOver(database.stores, { clock: systemClock });
    const schedule = await schedules.create(scope, { goal: 'tick', cron: '* * * * * *' });
    const node = resolve(repositoryRoot, 'node_modules/.bin/node');
    const script = resolve(import.meta.dirname, 'fixtures/scheduler-process.ts');
    const children: { child: ChildProcess; lines: string[]; exited: Promise<number | null> }[] = [];
    for (let index = 0; index < 2; index += 1) {
      const child = spawn(node, [script], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', DATABASE_URL: url, OTEL_SDK_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const lines: string[] = [];
      let buffer = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const complete = buffer.split('\n');
        buffer = complete.pop() ?? '';
        lines.push(...complete);
      });
      const exited = new Promise<number | null>((resolveExit) =>
        child.on('exit', (code) => resolveExit(code)),
      );
      children.push({ child, lines, exited });
    }
    try {
      const ready = () => children.every(({ lines }) => lines.some((line) => line.includes('"ready"')));
      await waitFor(ready, { what: 'both scheduler processes to start' });
      const { keys: before } = await runsOf(schedule.id);
      // Five more slots with both processes up.
      await waitFor(async () => (await runsOf(schedule.id)).keys.size >= before.size + 5, {
        what: 'five slots fired with both schedulers running',
      });
      for (const { child } of children) child.kill('SIGTERM');
      expect(await Promise.all(children.map(({ exited }) => exited))).toEqual([0, 0]);
    } finally {
      for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    }

    const reports = children.map(({ lines }) =>
      lines.map((line) => JSON.parse(line) as { firing?: Firing; error?: string; ready?: number }),
    );
    expect(reports.flat().filter((report) => report.error !== undefined)).toEqual([]);
    const firings = reports
      .flat()
      .flatMap((report) => (report.firing?.scheduleId === schedule.id ? [report.firing] : []));
    const { keys } = await runsOf(schedule.id);
    const slots = [...keys.keys()].map((key) => Number(key.split(':').at(-1)));
    expect([...keys.values()].every((count) => count === 1)).toBe(true);
    // Every run is a slot some process fired, and every slot fired moved on exactly once.
    expect(new Set(firings.map((firing) => firing.slot))).toEqual(new Set(slots));
    expect(
      firings
        .filter((firing) => firing.advanced)
        .map((firing) => firing.slot)
        .sort(),
    ).toEqual(slots.sort());
    for (const slot of slots)
      expect(
        new Set(firings.filter((firing) => firing.slot === slot).map((firing) => firing.runId)).size,
      ).toBe(1);
    expect((await schedules.get(scope, schedule.id)).lastFiredSlot).toBe(Math.max(...slots));
  });
});
