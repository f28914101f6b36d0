/**
 * Shared pieces of the durable-run benchmarks: a fresh store per benchmark run, an agent and runs
 * created through the real stores, a scripted brain with one tool call per step, the real loop
 * (`advanceRun`) and a counting wrapper that attributes statements, commits and bytes to store methods.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  AgentSpec,
  ToolRegistry,
  defineTool,
  advanceRun as advanceRunSlice,
  systemClock,
  type Agent,
  type AgentRuntime,
  type Lease,
  type Run,
  type AdvanceRunResult,
} from '@autonoma/core';
import { ScriptedBrain, type ScriptedStep } from '@autonoma/core/testing';
import pg from 'pg';
import { z } from 'zod';
import {
  createDatabase,
  type Database,
  type DriverCounters,
} from '../../packages/platform/src/store/index.ts';

/** Which store a benchmark opens. `pglite` is in memory; `pglite-dir` uses a temporary directory. */
export type StoreKind = 'postgres' | 'pglite' | 'pglite-dir';

/** Command-line flags shared by the benchmarks. */
export interface Flags {
  stores: StoreKind[];
  quick: boolean;
  /** Server URL of the PostgreSQL cluster that holds the per-run benchmark databases. */
  url: string;
  /** Any other `--name value` flag, as text. */
  values: ReadonlyMap<string, string>;
}

const storeKinds: readonly StoreKind[] = ['postgres', 'pglite', 'pglite-dir'];

/** Parses `--store postgres|pglite|pglite-dir|all`, `--quick`, `--url URL` and other `--name value` pairs. */
export function parseFlags(argv: readonly string[], defaultStores: StoreKind[]): Flags {
  const values = new Map<string, string>();
  let quick = false;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const name = arg.slice(2);
    if (name === 'quick') {
      quick = true;
      continue;
    }
    const value = argv[index + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
    values.set(name, value);
    index += 1;
  }
  const store = values.get('store');
  let stores = defaultStores;
  if (store === 'all') stores = [...storeKinds];
  else if (store !== undefined) {
    if (!storeKinds.includes(store as StoreKind))
      throw new Error(`--store must be one of ${storeKinds.join(', ')} or all, not '${store}'`);
    stores = [store as StoreKind];
  }
  const url = values.get('url') ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  return { stores, quick, url, values };
}

/** An integer flag, or its default. */
export function intFlag(flags: Flags, name: string, fallback: number): number {
  const raw = flags.values.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** A store opened for one benchmark run; `close` drops what it created. */
export interface BenchStore {
  kind: StoreKind;
  /** Human description, e.g. `PostgreSQL 15.20 (pool 10)` or `PGlite 0.5.14, in memory`. */
  label: string;
  database: Database;
  close(): Promise<void>;
}

const withDatabaseName = (url: string, name: string): string => {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
};

/** Opens a fresh store: a new PostgreSQL database `autonoma_bench_<random>`, or a new PGlite. */
export async function openBenchStore(
  kind: StoreKind,
  options: { url: string; poolSize?: number },
): Promise<BenchStore> {
  if (kind === 'postgres') {
    const name = `autonoma_bench_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: options.url });
    await admin.connect();
    const version = String(
      ((await admin.query('SHOW server_version')).rows[0] as { server_version: unknown }).server_version,
    );
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const poolSize = options.poolSize ?? 10;
    const dropDatabase = async (): Promise<void> => {
      const dropper = new pg.Client({ connectionString: options.url });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    };
    let database: Database;
    try {
      database = await createDatabase({
        kind: 'postgres',
        url: withDatabaseName(options.url, name),
        poolSize,
      });
      await database.migrate();
    } catch (error) {
      await dropDatabase();
      throw error;
    }
    return {
      kind,
      label: `PostgreSQL ${version.split(' ')[0] ?? version} (node-postgres pool ${poolSize})`,
      database,
      close: async () => {
        await database.close();
        await dropDatabase();
      },
    };
  }
  if (kind === 'pglite') {
    const database = await createDatabase({ kind: 'pglite' });
    return { kind, label: 'PGlite 0.5.14, in memory', database, close: () => database.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'autonoma-bench-'));
  const database = await createDatabase({ kind: 'pglite', dir });
  return {
    kind,
    label: `PGlite 0.5.14, data directory in ${tmpdir()}`,
    database,
    close: async () => {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The benchmark's tool: idempotent, low risk, answers at once. */
export const echoTool = defineTool({
  name: 'echo',
  description: 'returns its input',
  input: z.strictObject({ value: z.string() }),
  idempotent: true,
  risk: 'low',
  execute: async (input) => ({ echoed: input.value }),
});

const tools = new ToolRegistry([echoTool]);

/** Organization every benchmark run belongs to. */
export const benchOrg = 'org_bench';
/** Lease owner of the benchmark "worker". */
export const benchOwner = 'bench-worker';

/** Stores the benchmark agent (allowlist `echo`, no step budget in the way, optionally a working-memory budget). */
export async function createBenchAgent(database: Database, workingTokens?: number): Promise<Agent> {
  await database.stores.organizations.ensure({ id: benchOrg, name: 'bench', createdAt: Date.now() });
  const spec = AgentSpec.parse({
    name: 'bench',
    tools: ['echo'],
    budgets: { maxSteps: 100_000 },
    ...(workingTokens === undefined ? {} : { memory: { workingTokens } }),
  });
  return database.stores.agents.upsert(benchOrg, spec, { id: 'agt_bench', now: Date.now() });
}

let runCounter = 0;

/** Creates one queued run through the run store. */
export async function createBenchRun(database: Database, agent: Agent): Promise<Run> {
  runCounter += 1;
  const { run } = await database.stores.runs.create({
    id: `run_${process.pid}_${runCounter}`,
    orgId: benchOrg,
    agentId: agent.id,
    goal: { text: 'benchmark goal' },
    budgets: agent.budgets,
    workspace: '/tmp',
    now: Date.now(),
  });
  return run;
}

/** Takes the run's lease as the benchmark worker. */
export async function leaseRun(database: Database, run: Run): Promise<Lease> {
  const lease = await database.stores.runs.acquireLease(benchOrg, run.id, {
    owner: benchOwner,
    now: Date.now(),
    ttlMs: 60_000,
  });
  if ('refused' in lease) throw new Error(`lease refused for ${run.id}: ${lease.reason}`);
  return lease;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A scripted brain that calls `echo` once per step for `toolSteps` steps, then finishes. Arguments
 * differ per step so the loop guard never refuses a call. With `latencyMs`, every decision (including
 * the final one) waits on a real timer first, like a model call would.
 */
export function stepBrain(toolSteps: number, latencyMs = 0): ScriptedBrain {
  const script: ScriptedStep[] = Array.from({ length: toolSteps }, (_, index) => async () => {
    if (latencyMs > 0) await sleep(latencyMs);
    return { kind: 'act', calls: [{ tool: 'echo', args: { value: `step-${index + 1}` } }] };
  });
  script.push(async () => {
    if (latencyMs > 0) await sleep(latencyMs);
    return { kind: 'finish', status: 'succeeded', answer: 'done' };
  });
  return new ScriptedBrain(script);
}

/** Ports of the store the loop uses, possibly wrapped by {@link instrumentStores}. */
export interface LoopPorts {
  runs: AgentRuntime['runs'];
  toolCalls: AgentRuntime['toolCalls'];
}

/** What one benchmark advance runs. */
export interface BenchAdvance {
  run: Run;
  lease: Lease;
  agent: Agent;
  brain: ScriptedBrain;
  /** Steps before the slice yields. @default until the run stops */
  sliceSteps?: number;
}

/** Runs the real loop over a leased run until it stops (or for `sliceSteps` steps). */
export function advanceRun(ports: LoopPorts, advance: BenchAdvance): Promise<AdvanceRunResult> {
  const { run, lease, agent, brain, sliceSteps } = advance;
  const runtime: AgentRuntime = {
    runs: ports.runs,
    toolCalls: ports.toolCalls,
    tools,
    brain,
    clock: systemClock,
  };
  return advanceRunSlice(runtime, {
    run,
    lease,
    agent,
    leaseTtlMs: 60_000,
    ...(sliceSteps === undefined ? {} : { sliceSteps }),
  });
}

/** Throws unless the run ended `succeeded` after `toolSteps` tool steps and the final step. */
export function assertFinished(result: AdvanceRunResult, toolSteps: number): void {
  const { run } = result;
  if (run.status !== 'succeeded' || run.stepCount !== toolSteps + 1 || run.usage.toolCalls !== toolSteps) {
    throw new Error(
      `run ${run.id} ended ${run.status} after ${run.stepCount} steps and ${run.usage.toolCalls} tool calls`,
    );
  }
}

/** Work attributed to one store method. */
export interface MethodTally {
  calls: number;
  ms: number;
  statements: number;
  commits: number;
  bytes: number;
}

/**
 * Wraps the run store and journal so each method call records its time and the driver counters it
 * moved. Attribution is exact only when calls do not overlap (the sequential benchmarks).
 */
export function instrumentStores(database: Database, tally: Map<string, MethodTally>): LoopPorts {
  const wrap = <T extends object>(target: T, port: string): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]): Promise<unknown> => {
          const before = database.stats();
          const start = performance.now();
          try {
            return await method.apply(object, args);
          } finally {
            const after = database.stats();
            const name = `${port}.${String(property)}`;
            const entry = tally.get(name) ?? { calls: 0, ms: 0, statements: 0, commits: 0, bytes: 0 };
            entry.calls += 1;
            entry.ms += performance.now() - start;
            entry.statements += after.statements - before.statements;
            entry.commits += after.commits - before.commits;
            entry.bytes += after.bytesWritten - before.bytesWritten;
            tally.set(name, entry);
          }
        };
      },
    });
  return {
    runs: wrap(database.stores.runs, 'runs'),
    toolCalls: wrap(database.stores.toolCalls, 'toolCalls'),
  };
}

/** Counter movement between two `stats()` readings. */
export const counterDelta = (before: DriverCounters, after: DriverCounters): DriverCounters => ({
  statements: after.statements - before.statements,
  commits: after.commits - before.commits,
  bytesWritten: after.bytesWritten - before.bytesWritten,
});

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/** Nearest-rank percentile (0–100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** A number with a fixed number of decimals. */
export const fixed = (value: number, digits = 2): string => value.toFixed(digits);

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Load average and machine summary printed with every result. */
export async function environment(): Promise<Record<string, unknown>> {
  const os = await import('node:os');
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    loadAverage: os.loadavg().map((value) => Number(value.toFixed(2))),
  };
}
