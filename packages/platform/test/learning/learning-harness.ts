import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GoalSpec, Run, RunEvent } from '@autonoma/core';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { makeWorkspace } from '../skills/skill-harness.ts';

/** An app on an in-memory PGlite whose runs work in a temporary copy of the examples. */
export async function openLearningApp(): Promise<{
  app: App;
  workspace: string;
  close: () => Promise<void>;
}> {
  const { workspace, cleanup } = await makeWorkspace({ withExamples: true });
  const { config } = loadConfig({ env: { AUTONOMA_HOME: join(workspace, '.home') }, cwd: workspace });
  const app = await createApp(config, { cwd: workspace, inMemory: true });
  return {
    app,
    workspace,
    close: async () => {
      await app.close();
      await cleanup();
    },
  };
}

/** The goal spec of an example file. */
export async function exampleSpec(
  workspace: string,
  name: string,
): Promise<{ goal: string; spec: GoalSpec }> {
  const file = JSON.parse(await readFile(join(workspace, 'examples', name), 'utf8')) as GoalSpec & {
    goal: string;
  };
  return { goal: file.goal, spec: { facts: file.facts, inputs: file.inputs } };
}

/** Starts and drives one run of a spec to its end; returns the run and its events. */
export async function runSpec(
  app: App,
  workspace: string,
  goal: { goal: string; spec: GoalSpec },
): Promise<{ run: Run; events: RunEvent[] }> {
  const runs = app.services.runs;
  const started = await runs.start(app.localScope, { goal: goal.goal, spec: goal.spec, workspace });
  const { run } = await runs.advance(app.localScope, started.id);
  return { run, events: await runs.events(app.localScope, run.id) };
}

/** The tools a run called, in order. */
export const calledTools = (events: readonly RunEvent[]): string[] =>
  events.flatMap((event) => (event.type === 'tool-call-start' ? [event.tool] : []));
