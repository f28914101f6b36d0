/**
 * Recall latency: p50/p95 of `MemoryStore.recall` (limit 5, local 256-dimension embeddings, default
 * weights) over 10k and 100k memories of one agent, on PGlite (pgvector + HNSW) and on PostgreSQL
 * (no pgvector here: full text + cosine over real[] candidates). Memories are inserted with bulk SQL
 * from 2,000 distinct synthetic texts; each size gets a fresh database.
 * Run: `node bench/learning/recall.bench.ts [--sizes 10000,100000] [--queries 100]`. Prints a Markdown table.
 * PostgreSQL: DATABASE_URL or postgres://postgres@127.0.0.1:5432/test (a database is created and dropped).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from '../../packages/platform/src/store/sql.ts';
import pg from 'pg';
import { defaultRecallHalfLifeMs, defaultRecallWeights, embedText } from '../../packages/core/src/index.ts';
import { createDatabase } from '../../packages/platform/src/store/database.ts';
import type { Database } from '../../packages/platform/src/store/database.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    queries: { type: 'string', default: '100' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const queryCount = Number(values.queries);
const postgresUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const distinctTexts = 2000;
const now = 1_800_000_000_000;
const day = 24 * 60 * 60 * 1000;

// A deterministic generator so every run inserts the same memories.
let seed = 42;
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

const verbs = [
  'summarize',
  'analyze',
  'audit',
  'check',
  'review',
  'profile',
  'scan',
  'compare',
  'export',
  'index',
];
const objects = [
  'the orders export',
  'the sales dataset',
  'the sample project',
  'the billing service',
  'the docs site links',
  'the customer table',
  'the inventory feed',
  'the release notes',
  'the payment logs',
  'the weekly metrics',
];
const tools = [
  'summarize_dataset',
  'summarize_csv_fast',
  'analyze_source_tree',
  'check_urls',
  'write_report',
  'http_request',
  'fs_read',
];
const outcomes = ['succeeded', 'failed', 'needs_review', 'budget_exceeded'];

function syntheticText(index: number): { kind: string; text: string } {
  const kind = index % 3 === 0 ? 'lesson' : index % 3 === 1 ? 'episode' : 'fact';
  if (kind === 'lesson')
    return {
      kind,
      text: `tool ${pick(tools)} failed ${1 + Math.floor(random() * 5)} of ${6 + Math.floor(random() * 5)} times on goals like "${pick(verbs)} ${pick(objects)}"; prefer ${pick(tools)}`,
    };
  if (kind === 'episode')
    return {
      kind,
      text: `Goal: ${pick(verbs)} ${pick(objects)} and write a report\nPlan: ${pick(tools)} → ${pick(tools)} → write_report\nOutcome: ${pick(outcomes)} (#${index})`,
    };
  return {
    kind,
    text: `${pick(objects)} lives in region ${pick(['north', 'south', 'east', 'west'])} and is owned by team ${index % 97}`,
  };
}

async function fill(database: Database, size: number): Promise<number> {
  const began = performance.now();
  const db = database.executor;
  await db.execute(
    sql.raw('CREATE TEMP TABLE bench_texts (i int PRIMARY KEY, kind text, text text, embedding real[])'),
  );
  for (let start = 0; start < distinctTexts; start += 200) {
    const rows = Array.from({ length: 200 }, (_, offset) => {
      const i = start + offset;
      const { kind, text } = syntheticText(i);
      return sql`(${i}, ${kind}, ${text}, ${`{${embedText(text).join(',')}}`}::real[])`;
    });
    await db.execute(sql`INSERT INTO bench_texts VALUES ${sql.join(rows, sql`, `)}`);
  }
  for (let start = 0; start < size; start += 10_000) {
    const end = Math.min(size, start + 10_000) - 1;
    await db.execute(sql`
      INSERT INTO memories (id, org_id, agent_id, kind, text, importance, embedding, run_id, metadata,
                            created_at, last_accessed_at, access_count)
      SELECT 'mem_' || g, 'org_bench', 'agent_bench', t.kind, t.text, ((g * 37) % 100) / 100.0, t.embedding,
             NULL, '{}'::jsonb, ${now}::bigint - (g::bigint * 60000), ${now}::bigint - (g::bigint * 60000), 0
      FROM generate_series(${start}::int, ${end}::int) AS g
      JOIN bench_texts t ON t.i = g % ${distinctTexts}`);
  }
  await db.execute(sql.raw('ANALYZE memories'));
  return performance.now() - began;
}

const queries = [
  'summarize the orders export and write a report',
  'audit the sample project',
  'check the docs site links',
  'which tool fails on quoted csv fields',
  'review the billing service and the payment logs',
  'profile the weekly metrics dataset',
];

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

async function measure(database: Database): Promise<{ p50: number; p95: number; found: number }> {
  const times: number[] = [];
  let found = 0;
  for (let index = -10; index < queryCount; index++) {
    const text = queries[(index + queries.length * 10) % queries.length] ?? '';
    const began = performance.now();
    const result = await database.stores.memories.recall({
      orgId: 'org_bench',
      agentId: 'agent_bench',
      text,
      embedding: embedText(text),
      kinds: ['episode', 'lesson', 'fact'],
      limit: 5,
      now: now + day,
      weights: defaultRecallWeights,
      halfLifeMs: defaultRecallHalfLifeMs,
    });
    // The first 10 are warm-up.
    if (index >= 0) {
      times.push(performance.now() - began);
      found += result.length;
    }
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), found: found / queryCount };
}

async function withPostgres<T>(action: (url: string) => Promise<T>): Promise<T> {
  const name = `autonoma_bench_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  try {
    return await action(url.toString());
  } finally {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  }
}

const rows: string[] = [];
async function bench(label: string, size: number, open: () => Promise<Database>): Promise<void> {
  const database = await open();
  try {
    const loadMs = await fill(database, size);
    const result = await measure(database);
    const line = `| ${label} | ${size.toLocaleString('en-US')} | ${database.stores.memories.vectorSearch ? 'pgvector HNSW' : 'full text + real[] cosine'} | ${result.p50.toFixed(2)} | ${result.p95.toFixed(2)} | ${result.p95 <= 10 ? 'yes' : 'no'} | ${result.found.toFixed(1)} | ${(loadMs / 1000).toFixed(1)} |`;
    rows.push(line);
    console.error(line);
  } finally {
    await database.close();
  }
}

for (const size of sizes) {
  await bench('PGlite', size, () => createDatabase({ kind: 'pglite' }));
  await withPostgres((url) =>
    bench('PostgreSQL 15', size, async () => {
      const database = await createDatabase({ kind: 'postgres', url });
      await database.migrate();
      return database;
    }),
  );
}
console.log(`### Memory recall latency (${queryCount} queries after 10 warm-up, limit 5, one agent)\n`);
console.log('| store | memories | relevance path | p50 ms | p95 ms | p95 ≤ 10 ms | results/query | load s |');
console.log('| --- | ---: | --- | ---: | ---: | :---: | ---: | ---: |');
for (const line of rows) console.log(line);
