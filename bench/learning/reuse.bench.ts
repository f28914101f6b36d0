/**
 * Plan reuse across sessions: a family of 20 similar goals run in one process on an embedded store
 * (PGlite in a temporary AUTONOMA_HOME), then the same family again in a fresh process on the same
 * store. Two families:
 * - "one kind": 20 audits over 20 different order exports, given as goal specs with the same facts
 *   (one context signature, so the first goal teaches the other 19 already in session 1);
 * - "twenty wordings": 20 differently worded text goals (the planner derives their facts), each its
 *   own signature, so session 1 meets every goal cold and only session 2 can reuse.
 * Every export has quoted fields that the cheap `summarize_csv_fast` refuses.
 * Run: `node bench/learning/reuse.bench.ts`. Prints Markdown tables.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GoalSpec } from '../../packages/core/src/index.ts';
import { createApp } from '../../packages/platform/src/app.ts';
import { loadConfig } from '../../packages/platform/src/config/index.ts';

const goals = 20;
const examples = resolve(import.meta.dirname, '../../examples');

interface Goal {
  family: string;
  text: string;
  spec?: GoalSpec;
}

interface Measured {
  family: string;
  index: number;
  status: string;
  steps: number;
  toolCalls: number;
  failedCalls: number;
  expansions: number;
  modelCalls: number;
  reused: boolean;
}

const dataVerbs = ['summarize', 'profile', 'describe', 'inspect', 'explore'];
const sourceVerbs = ['analyze', 'scan', 'review', 'audit'];

function family(): Goal[] {
  const list: Goal[] = [];
  for (let index = 1; index <= goals; index++) {
    list.push({
      family: 'one kind (spec goals)',
      text: `audit the project and orders export ${index}`,
      spec: {
        facts: ['source_analyzed', 'dataset_summarized', 'report_written'],
        inputs: {
          path: 'examples/sample-project',
          dataset: `data/orders-${index}.csv`,
          reportPath: `out/spec-${index}.md`,
          title: `Audit ${index}`,
        },
      },
    });
  }
  for (let index = 1; index <= goals; index++) {
    const dataVerb = dataVerbs[(index - 1) % dataVerbs.length] ?? 'summarize';
    const sourceVerb =
      sourceVerbs[Math.floor((index - 1) / dataVerbs.length) % sourceVerbs.length] ?? 'analyze';
    list.push({
      family: 'twenty wordings (text goals)',
      text: `${dataVerb} data/orders-${index}.csv, ${sourceVerb} the project in examples/sample-project and write a report to out/text-${index}.md`,
    });
  }
  return list;
}

/** Runs the whole family once in this process; returns one measurement per goal. */
async function session(home: string, workspace: string): Promise<Measured[]> {
  const { config } = loadConfig({ env: { AUTONOMA_HOME: home }, cwd: workspace });
  const app = await createApp(config, { cwd: workspace });
  try {
    const results: Measured[] = [];
    const counters = new Map<string, number>();
    for (const goal of family()) {
      const index = (counters.get(goal.family) ?? 0) + 1;
      counters.set(goal.family, index);
      const started = await app.services.runs.start(app.localScope, {
        goal: goal.text,
        ...(goal.spec ? { spec: goal.spec } : {}),
        workspace,
      });
      const { run } = await app.services.runs.advance(app.localScope, started.id);
      const events = await app.services.runs.events(app.localScope, run.id);
      results.push({
        family: goal.family,
        index,
        status: run.status,
        steps: run.usage.steps,
        toolCalls: run.usage.toolCalls,
        failedCalls: events.filter((event) => event.type === 'tool-call-end' && !event.ok).length,
        expansions: events.reduce(
          (sum, event) => sum + (event.type === 'plan-update' ? (event.expansions ?? 0) : 0),
          0,
        ),
        modelCalls: run.usage.modelCalls,
        reused: events.some((event) => event.type === 'plan-update' && event.reused),
      });
    }
    return results;
  } finally {
    await app.close();
  }
}

/** Session 2 in a fresh Node process on the same home and workspace. */
function childSession(home: string, workspace: string): Promise<Measured[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [import.meta.filename, '--session-2', home, workspace], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`session 2 exited with ${code}`));
      else resolvePromise(JSON.parse(stdout) as Measured[]);
    });
  });
}

async function prepareWorkspace(): Promise<{ root: string; home: string; workspace: string }> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'autonoma-reuse-bench-')));
  const workspace = join(root, 'workspace');
  await cp(examples, join(workspace, 'examples'), { recursive: true });
  await mkdir(join(workspace, 'data'), { recursive: true });
  const orders = await readFile(join(examples, 'orders.csv'), 'utf8');
  for (let index = 1; index <= goals; index++) {
    // Each export differs (order ids) but keeps the quoted fields the strict summarizer refuses.
    await writeFile(
      join(workspace, 'data', `orders-${index}.csv`),
      orders.replace(/^10(\d\d)/gm, `${index}$1`),
    );
  }
  return { root, home: join(root, 'home'), workspace };
}

const sum = (
  rows: readonly Measured[],
  key: 'steps' | 'toolCalls' | 'failedCalls' | 'expansions' | 'modelCalls',
): number => rows.reduce((total, row) => total + row[key], 0);
const fewer = (before: number, after: number): string =>
  before === 0 ? (after === 0 ? '—' : `+${after}`) : `${Math.round((100 * (before - after)) / before)}%`;

function print(first: readonly Measured[], second: readonly Measured[]): void {
  console.log(
    `### Plan reuse across sessions: ${goals} similar goals per family, planner brain, embedded PGlite\n`,
  );
  for (const name of [...new Set(first.map((row) => row.family))]) {
    const one = first.filter((row) => row.family === name);
    const two = second.filter((row) => row.family === name);
    console.log(`#### ${name}\n`);
    console.log(
      '| goal | s1 steps | s1 tool calls (failed) | s1 expansions | s1 reused | s2 steps | s2 tool calls (failed) | s2 expansions | s2 reused | model calls s1/s2 |',
    );
    console.log('| ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: | :---: | ---: |');
    for (const row of one) {
      const other = two.find((candidate) => candidate.index === row.index);
      if (!other) continue;
      console.log(
        `| ${row.index} | ${row.steps} | ${row.toolCalls} (${row.failedCalls}) | ${row.expansions} | ${row.reused ? 'yes' : 'no'} | ${other.steps} | ${other.toolCalls} (${other.failedCalls}) | ${other.expansions} | ${other.reused ? 'yes' : 'no'} | ${row.modelCalls}/${other.modelCalls} |`,
      );
    }
    const ok = (rows: readonly Measured[]): number => rows.filter((row) => row.status === 'succeeded').length;
    console.log(`\n| total | session 1 | session 2 | fewer in session 2 |`);
    console.log('| --- | ---: | ---: | ---: |');
    for (const key of ['steps', 'toolCalls', 'failedCalls', 'expansions', 'modelCalls'] as const)
      console.log(
        `| ${key} | ${sum(one, key)} | ${sum(two, key)} | ${fewer(sum(one, key), sum(two, key))} |`,
      );
    console.log(`| succeeded | ${ok(one)}/${one.length} | ${ok(two)}/${two.length} | |`);
    console.log(
      `| plans reused | ${one.filter((row) => row.reused).length} | ${two.filter((row) => row.reused).length} | |\n`,
    );
  }
}

if (process.argv[2] === '--session-2') {
  const [home = '', workspace = ''] = process.argv.slice(3);
  process.stdout.write(JSON.stringify(await session(home, workspace)));
} else {
  const { root, home, workspace } = await prepareWorkspace();
  try {
    const first = await session(home, workspace);
    const second = await childSession(home, workspace);
    print(first, second);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
