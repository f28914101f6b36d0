/**
 * Planner benchmark: A* with h_max over generated STRIPS problems of growing size.
 * Run: `node bench/learning/planner.bench.ts`. Prints a Markdown table.
 */
import { plan } from '../../packages/core/src/planning/plan.ts';
import type { PlanAction, PlanProblem } from '../../packages/core/src/planning/types.ts';
import { mulberry32 } from '../../packages/core/src/learning/random.ts';

const seedsPerSize = 20;
const sizes = [5, 10, 20, 30, 40, 50];

/**
 * A layered tool domain: action i needs up to two facts made by earlier actions, adds one or two
 * facts, sometimes deletes one, and costs 1–5. Several actions share effects (alternatives), and
 * the goal is a few facts made late in the order, so plans are chains of several steps.
 */
function generate(size: number, seed: number): PlanProblem {
  const random = mulberry32(seed * 7919 + size);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const produced: string[] = ['start'];
  const actions: PlanAction[] = [];
  for (let index = 0; index < size; index++) {
    const preconditions = [
      ...new Set(Array.from({ length: Math.floor(random() * 3) }, () => pick(produced))),
    ];
    const reuse = random() < 0.25 && produced.length > 1;
    const effects = reuse ? [pick(produced.slice(1))] : [`fact_${index}`];
    if (!reuse && random() < 0.3) effects.push(`side_${index}`);
    const deletes =
      random() < 0.15 && produced.length > 2
        ? [pick(produced.slice(1))].filter((fact) => !effects.includes(fact))
        : [];
    actions.push({
      name: `action_${String(index).padStart(2, '0')}`,
      preconditions,
      effects,
      deletes,
      cost: 1 + Math.floor(random() * 5),
    });
    for (const fact of effects) if (!produced.includes(fact)) produced.push(fact);
  }
  const late = produced.slice(Math.max(1, Math.floor(produced.length * 0.6)));
  const goal = [...new Set(Array.from({ length: Math.max(2, Math.round(size / 10)) }, () => pick(late)))];
  return { initial: ['start'], goal, actions };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

const rows: string[] = [];
for (const size of sizes) {
  const expansions: number[] = [];
  const times: number[] = [];
  const lengths: number[] = [];
  const outcomes = new Map<string, number>();
  for (let seed = 1; seed <= seedsPerSize; seed++) {
    const problem = generate(size, seed);
    plan(problem); // warm-up, so JIT compilation is not timed
    const started = performance.now();
    const result = plan(problem, { maxExpansions: 100_000, maxMs: 5_000, now: () => performance.now() });
    times.push(performance.now() - started);
    expansions.push(result.expansions);
    const outcome = result.ok ? 'solved' : result.reason;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (result.ok) lengths.push(result.actions.length);
  }
  const outcomeText = [...outcomes.entries()].map(([name, count]) => `${name} ${count}`).join(', ');
  rows.push(
    `| ${size} | ${outcomeText} | ${lengths.length ? median(lengths) : '—'} | ${median(expansions)} | ${Math.max(...expansions)} | ${median(times).toFixed(3)} | ${Math.max(...times).toFixed(3)} |`,
  );
}

console.log(
  `### Planner: A* + h_max over generated problems (${seedsPerSize} seeds per size, Node ${process.version})\n`,
);
console.log(
  '| actions | outcomes | median plan length | median expansions | max expansions | median ms | max ms |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
