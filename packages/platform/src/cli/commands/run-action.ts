import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdvanceRunResult, GoalSpec, Run } from '@autonoma/core';
import { AutonomaError, GoalSpec as GoalSpecSchema, userError } from '@autonoma/core';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { checkWorkspaceDirectory } from '../../runtime/workspace-directory.ts';
import { readControlRecord } from '../../api/control-socket.ts';
import { toRunView } from '../../api/views/runs.ts';
import { configFor, withApp } from '../app-context.ts';
import type { Output } from '../output.ts';
import { processOutput } from '../output.ts';
import { createProgress } from '../progress.ts';
import { startLocalControl } from '../remote/local-control.ts';
import { reportRun, runHeadline } from '../report-run.ts';

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
  delegate: GoalSpecSchema.shape.delegate,
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
  const { goal, ...spec } = parsed.data;
  return { goal, spec: spec.delegate === undefined ? { facts: spec.facts, inputs: spec.inputs } : spec };
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
      : await runs.advanceTree(app.localScope, run.id, options);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    progress.done();
  }
}

/** Resumes runs an earlier process left unfinished (embedded mode does this at every start). */
export async function resumeInterrupted(app: App, output: Output): Promise<void> {
  if (app.mode !== 'embedded') return;
  // Conversation turns left waiting by a process that died as the previous turn ended.
  await app.services.conversations.resumeStalled({ orgId: app.localScope.orgId });
  const tried = new Set<string>();
  // A resumed child that ends can make its parent runnable: look again until nothing new is left.
  for (;;) {
    const left = (await app.services.runs.interrupted(app.localScope)).filter((run) => !tried.has(run.id));
    if (left.length === 0) return;
    for (const run of left) {
      tried.add(run.id);
      output.err(`resuming interrupted run ${run.id} (${run.goal.text.slice(0, 60)})`);
      const result = await app.services.runs.advanceTree(app.localScope, run.id).catch((error: unknown) => {
        output.err(`  could not resume ${run.id}: ${(error as Error).message}`);
        return undefined;
      });
      if (result) output.err(`  ${run.id}: ${result.run.status}`);
    }
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
  const { config } = configFor(command);
  if (config.server) {
    // A server's runs work in their own workspace there: a local directory means nothing to it.
    if (flags.workspace !== undefined)
      throw userError(
        'invalid_input',
        '--workspace cannot be used with --server: a run on a server gets its own workspace',
      );
    const { serverClient } = await import('../remote/connect.ts');
    const { runRemotely } = await import('../remote/run-remote.ts');
    const client = await serverClient({ ...config, server: config.server });
    await runRemotely(
      client,
      {
        goal,
        ...(fromFile ? { spec: fromFile.spec } : {}),
        ...(flags.agent ? { agent: flags.agent } : {}),
        ...(maxSteps ? { budgets: { maxSteps } } : {}),
      },
      output,
      Boolean(flags.json),
    );
    return;
  }
  if (config.databaseUrl !== undefined && config.redisUrl !== undefined) {
    // A cluster: workers advance the run. Its workspace is its own on the worker, unless --workspace
    // names a directory the workers see.
    const { runInCluster } = await import('../cluster-run.ts');
    await withApp(command, (app) =>
      runInCluster(
        app,
        {
          goal,
          ...(fromFile ? { spec: fromFile.spec } : {}),
          ...(flags.agent ? { agent: flags.agent } : {}),
          ...(flags.workspace ? { workspace: resolve(flags.workspace) } : {}),
          ...(maxSteps ? { budgets: { maxSteps } } : {}),
        },
        output,
        Boolean(flags.json),
      ),
    );
    return;
  }
  const workspace = resolve(flags.workspace ?? process.cwd());
  // Before the store is opened: a mistyped workspace must leave no run behind.
  const home = resolve(config.home);
  await checkWorkspaceDirectory(workspace, { label: '--workspace', readWrite: true, home });
  await withHeldStore(command, 'run', async (app) => {
    await resumeInterrupted(app, output);
    const run = await app.services.runs.start(app.localScope, {
      goal,
      ...(fromFile ? { spec: fromFile.spec } : {}),
      ...(flags.agent ? { agent: flags.agent } : {}),
      workspace,
      ...(maxSteps ? { budgets: { maxSteps } } : {}),
    });
    if (!flags.json) output.err(runHeadline(run.id, goal));
    const result = await driveRun(app, run, output, Boolean(flags.json), false);
    reportRun(toRunView(result.run), output, Boolean(flags.json));
  });
}

/**
 * Opens the embedded store for a command that advances runs in this process, serving its control
 * endpoint meanwhile so other terminals can list, cancel and approve. A store another process holds is
 * refused with what to do instead: a second process cannot advance runs on it.
 */
export async function withHeldStore(
  command: Command,
  kind: 'run' | 'resume',
  action: (app: App) => Promise<void>,
): Promise<void> {
  try {
    await withApp(command, async (app) => {
      const control = startLocalControl(app, kind);
      try {
        await action(app);
      } finally {
        await control.close();
      }
    });
  } catch (error) {
    if (!(error instanceof AutonomaError) || error.code !== 'database_locked') throw error;
    const holder = await readControlRecord(resolve(configFor(command).config.home));
    const hint =
      holder?.kind === 'serve' && holder.url
        ? `; it serves the API: run this with --server ${holder.url}`
        : "; meanwhile 'autonoma runs', 'approve' and 'deny' work from here";
    throw new AutonomaError(error.code, `${error.message}${hint}`, {
      category: error.category,
      status: error.status,
      cause: error,
      ...(error.details ? { details: error.details } : {}),
    });
  }
}

/** `autonoma resume <runId> [--json]`. */
export async function resumeRun(runId: string, flags: { json?: boolean }, command: Command): Promise<void> {
  if (configFor(command).config.server)
    throw userError(
      'invalid_input',
      "resume runs on the store's own machine; a server's workers resume its runs",
    );
  await withHeldStore(command, 'resume', async (app) => {
    const run = await app.services.runs.get(app.localScope, runId);
    const result = await driveRun(app, run, processOutput, Boolean(flags.json), true);
    reportRun(toRunView(result.run), processOutput, Boolean(flags.json));
  });
}
