/** What both executors (PGlite, node-postgres pool) must do: parameters, transactions, counters. */
import { describe, expect, it } from 'vitest';
import { queryRows, type DriverCounters, type Executor } from '../../src/store/driver.ts';
import { sql } from '../../src/store/sql.ts';

/** A driver opened for the suite: its executor and live counters. */
export interface ExecutorHarness {
  executor: Executor;
  counters: DriverCounters;
}

const delta = async (
  harness: ExecutorHarness,
  work: () => Promise<unknown>,
): Promise<{ statements: number; commits: number; bytesWritten: number }> => {
  const before = { ...harness.counters };
  await work();
  return {
    statements: harness.counters.statements - before.statements,
    commits: harness.counters.commits - before.commits,
    bytesWritten: harness.counters.bytesWritten - before.bytesWritten,
  };
};

/** Runs the executor contract against `harness()` (called inside each test). */
export function describeExecutorContract(name: string, harness: () => ExecutorHarness): void {
  describe(`Executor [${name}]`, () => {
    it('binds parameters, including those of nested fragments, and returns rows', async () => {
      const { executor } = harness();
      const filter = sql`v > ${1} AND v < ${4}`;
      const rows = await queryRows(
        executor,
        sql`SELECT v, ${'tag'}::text AS tag FROM (VALUES (1), (2), (3), (4)) AS t(v)
            WHERE ${filter} AND ${sql.join([sql`v <> ${7}`, sql`v <> ${8}`], sql` AND `)} ORDER BY v`,
      );
      expect(rows).toEqual([
        { v: 2, tag: 'tag' },
        { v: 3, tag: 'tag' },
      ]);
    });

    it('reads jsonb parsed, int8 as a string or number, and timestamps as text', async () => {
      const { executor } = harness();
      const [row] = await queryRows(
        executor,
        sql`SELECT ${JSON.stringify({ a: [1] })}::jsonb AS j, ${42}::bigint AS n, ${null}::text AS nothing,
              '2024-01-02 03:04:05+00'::timestamptz AS at`,
      );
      expect(row?.j).toEqual({ a: [1] });
      expect(Number(row?.n)).toBe(42);
      expect(row?.nothing).toBeNull();
      expect(row?.at).toBe('2024-01-02 03:04:05+00');
    });

    it('commits a transaction that resolves and counts BEGIN and COMMIT', async () => {
      const current = harness();
      const { executor } = current;
      await executor.execute(sql`DROP TABLE IF EXISTS executor_committed`);
      await executor.execute(sql`CREATE TABLE executor_committed (v int)`);
      const counted = await delta(current, () =>
        executor.transaction(async (tx) => {
          await tx.execute(sql`INSERT INTO executor_committed VALUES (${1}::int)`);
          await tx.execute(sql`INSERT INTO executor_committed VALUES (${2}::int)`);
        }),
      );
      expect(counted).toEqual({ statements: 4, commits: 1, bytesWritten: 16 });
      expect(await queryRows(executor, sql`SELECT v FROM executor_committed ORDER BY v`)).toEqual([
        { v: 1 },
        { v: 2 },
      ]);
      expect(await delta(current, () => executor.execute(sql`SELECT ${'abc'}::text`))).toEqual({
        statements: 1,
        commits: 1,
        bytesWritten: 3,
      });
    });

    it('rolls back a transaction that throws and rethrows its error', async () => {
      const { executor } = harness();
      await executor.execute(sql`DROP TABLE IF EXISTS executor_rolled_back`);
      await executor.execute(sql`CREATE TABLE executor_rolled_back (v int)`);
      await expect(
        executor.transaction(async (tx) => {
          await tx.execute(sql`INSERT INTO executor_rolled_back VALUES (${1}::int)`);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await expect(
        executor.transaction((tx) => tx.execute(sql`SELECT * FROM no_such_table_here`)),
      ).rejects.toThrow(/no_such_table_here/);
      expect(await queryRows(executor, sql`SELECT v FROM executor_rolled_back`)).toEqual([]);
      // The executor is still usable (the pooled client went back clean).
      expect(await queryRows(executor, sql`SELECT ${5}::int AS v`)).toEqual([{ v: 5 }]);
    });

    it('runs a transaction on one session and nests with savepoints', async () => {
      const { executor } = harness();
      await executor.execute(sql`DROP TABLE IF EXISTS executor_nested`);
      await executor.execute(sql`CREATE TABLE executor_nested (v int)`);
      const sessions = await executor.transaction(async (tx) => {
        const first = await queryRows(tx, sql`SELECT pg_backend_pid() AS pid, txid_current() AS tx`);
        await tx.execute(sql`INSERT INTO executor_nested VALUES (${1}::int)`);
        await expect(
          tx.transaction(async (inner) => {
            await inner.execute(sql`INSERT INTO executor_nested VALUES (${2}::int)`);
            throw new Error('inner');
          }),
        ).rejects.toThrow('inner');
        await tx.transaction((inner) => inner.execute(sql`INSERT INTO executor_nested VALUES (${3}::int)`));
        const last = await queryRows(tx, sql`SELECT pg_backend_pid() AS pid, txid_current() AS tx`);
        return [first[0], last[0]];
      });
      expect(sessions[0]).toEqual(sessions[1]);
      expect(await queryRows(executor, sql`SELECT v FROM executor_nested ORDER BY v`)).toEqual([
        { v: 1 },
        { v: 3 },
      ]);
    });

    it('stores a NUL in a text parameter as U+FFFD', async () => {
      const { executor } = harness();
      const [row] = await queryRows(executor, sql`SELECT ${'a\u0000b'}::text AS t`);
      expect(row?.t).toBe('a\uFFFDb');
    });

    it('reports a statement the database refuses for good as store_rejected, without its data', async () => {
      const { executor } = harness();
      const error: unknown = await executor
        .execute(sql.raw(`SELECT '{"secret":"s3cr3t\\u0000"}'::jsonb`))
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toMatchObject({ code: 'store_rejected', details: { sqlState: '22P05' } });
      expect((error as Error).message).toMatch(/^the store refused the statement: .*\(SQLSTATE 22P05\)$/);
      expect((error as Error).message).not.toContain('s3cr3t');
    });
  });
}
