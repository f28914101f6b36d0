import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdvanceRunResult, GoalSpec, Run } from '@autonoma/core';
import { GoalSpec as GoalSpecSchema, userError } from '@autonoma/core';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { checkWorkspaceDirectory } from '../../runtime/workspace-directory.ts';
import { configFor, withApp } from '../app-context.ts';
import type { Output } from '../output.ts';
import { processOutput } from '../output.ts';
import { createProgress, formatUsage } from '../progress.ts';

interface RunFlags {
  agent?: string;
  json?: boolean;
  spec?: string;
  workspace?: string;
  maxSteps?: string;
}

const SpecFile = z.strictObject({
  goal: z.string().optional(),
  facts: GoalSpecSchema.shape.facts,
  inputs: GoalSpecSchema.shape.inputs,
});

/** Reads a goal spec file (JSON or YAML): `{ goal?, facts, inputs }`. */
export function readSpecFile(path: string): { goal: string | undefined; spec: GoalSpec } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw userError(
      'invalid_goal',
      `cannot read goal spec ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw userError(
      'invalid_goal',
      `goal spec ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const parsed = SpecFile.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw userError(
      'invalid_goal',
      `goal spec ${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return { goal: parsed.data.goal, spec: { facts: parsed.data.facts, inputs: parsed.data.inputs } };
}

/** Advances a run in the foreground with progress, Ctrl-C cancelling it; prints and returns its end. */
export async function driveRun(
  app: App,
  run: Run,
  output: Output,
  json: boolean,
  resume: boolean,
): Promise<AdvanceRunResult> {
  const progress = createProgress(output);
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onInterrupt);
  try {
    const options = { signal: controller.signal, ...(json ? {} : { sink: progress.sink }) };
    const runs = app.services.runs;
    return resume
      ? await runs.resume(app.localScope, run.id, options)
      : await runs.advance(app.localScope, run.id, options);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    progress.done();
  }
}

/**
 * Prints a run's end: the answer and the run id, or JSON. Only a succeeded run's answer goes to stdout;
 * any other run's answer (often its error) goes to stderr with the status line, so a script reading
 * stdout never takes a failure for a result. Sets a non-zero exit code unless it succeeded.
 */
export function reportRun(run: Run, output: Output, json: boolean): void {
  if (json) {
    output.out(
      JSON.stringify({
        runId: run.id,
        status: run.status,
        answer: run.answer,
        reason: run.reason,
        usage: run.usage,
      }),
    );
  } else if (run.status === 'succeeded') {
    if (run.answer) output.out(run.answer);
    output.err(`run ${run.id}: ${run.status} (${formatUsage(run.usage)})`);
  } else {
    // The answer of a failed run is usually its reason: print it once.
    if (run.answer && run.answer !== run.reason) output.err(run.answer);
    output.err(
      `run ${run.id}: ${run.status}${run.reason ? ` — ${run.reason}` : ''} (${formatUsage(run.usage)})`,
    );
  }
  if (run.status !== 'succeeded') process.exitCode = run.status === 'waiting_approval' ? 3 : 1;
}

/** Resumes runs an earlier process left unfinished (embedded mode does this at every start). */
export async function resumeInterrupted(app: App, output: Output): Promise<void> {
  if (app.mode !== 'embedded') return;
  for (const run of await app.services.runs.interrupted(app.localScope)) {
    output.err(`resuming interrupted run ${run.id} (${run.goal.text.slice(0, 60)})`);
    const result = await app.services.runs.advance(app.localScope, run.id).catch((error: unknown) => {
      output.err(`  could not resume ${run.id}: ${(error as Error).message}`);
      return undefined;
    });
    if (result) output.err(`  ${run.id}: ${result.run.status}`);
  }
}

/** `autonoma run [goal...] [--agent A] [--spec FILE] [--workspace DIR] [--max-steps N] [--json]`. */
export async function runGoal(words: string[], flags: RunFlags, command: Command): Promise<void> {
  const output = processOutput;
  const fromFile = flags.spec ? readSpecFile(resolve(flags.spec)) : undefined;
  const goal =
    words.join(' ').trim() ||
    fromFile?.goal ||
    (fromFile ? `make true: ${fromFile.spec.facts.join(', ')}` : '');
  if (!goal) throw userError('invalid_goal', 'the goal is empty: give it in words or with --spec FILE');
  const maxSteps = flags.maxSteps === undefined ? undefined : Number(flags.maxSteps);
  if (maxSteps !== undefined && (!Number.isInteger(maxSteps) || maxSteps <= 0)) {
    throw userError('invalid_input', `--max-steps must be a positive integer, got '${flags.maxSteps}'`);
  }
  const workspace = resolve(flags.workspace ?? process.cwd());
  // Before the store is opened: a mistyped workspace must leave no run behind.
  const home = resolve(configFor(command).config.home);
  await checkWorkspaceDirectory(workspace, { label: '--workspace', readWrite: true, home });
  await withApp(command, async (app) => {
    await resumeInterrupted(app, output);
    const run = await app.services.runs.start(app.localScope, {
      goal,
      ...(fromFile ? { spec: fromFile.spec } : {}),
      ...(flags.agent ? { agent: flags.agent } : {}),
      workspace,
      ...(maxSteps ? { budgets: { maxSteps } } : {}),
    });
    if (!flags.json) output.err(`run ${run.id} · ${goal.length > 70 ? `${goal.slice(0, 69)}…` : goal}`);
    const result = await driveRun(app, run, output, Boolean(flags.json), false);
    reportRun(result.run, output, Boolean(flags.json));
  });
}

/** `autonoma resume <runId> [--json]`. */
export async function resumeRun(runId: string, flags: { json?: boolean }, command: Command): Promise<void> {
  await withApp(command, async (app) => {
    const run = await app.services.runs.get(app.localScope, runId);
    const result = await driveRun(app, run, processOutput, Boolean(flags.json), true);
    reportRun(result.run, processOutput, Boolean(flags.json));
  });
}
