import type {
  Agent,
  AnyTool,
  Brain,
  BrainContext,
  BrainDecision,
  EventPayload,
  ProposedCall,
  Run,
  RunEvent,
  ToolCallRecord,
  ToolHost,
} from '@autonoma/core';
import {
  AgentSpec,
  ToolError,
  ToolRegistry,
  isTerminal,
  randomIds,
  systemClock,
  userError,
} from '@autonoma/core';
import type { Command } from 'commander';
import { z } from 'zod';
import { RunService } from '../../runtime/run-service.ts';
import { createDatabase } from '../../store/database.ts';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';
import { readAllEvents } from './explain-action.ts';

/** What was recorded of a run: the inputs of a replay. */
export interface RecordedRun {
  run: Run;
  agent: Agent;
  events: readonly RunEvent[];
  /** The tool-call journal of the run: the reference for what was called with which arguments. */
  journal: readonly ToolCallRecord[];
  /** The tools installed now; replay uses their schemas, risks and contracts, never their effects. */
  tools: ToolHost;
  /** Applied to journal arguments before comparing them with (redacted) events. @default identity */
  redact?: <T>(value: T) => T;
}

/** One tool call of a run, as compared by replay. */
export interface ComparedCall {
  callId: string;
  tool: string;
  args: unknown;
  ok: boolean | null;
}

/** How a replay ended. */
export interface ReplayResult {
  matches: boolean;
  /** The first difference, in words, when `matches` is false. */
  divergence?: string;
  steps: number;
  recordedSteps: number;
  toolCalls: number;
  status: string;
  answer: string | null;
  calls: ComparedCall[];
}

/** Step number inside a call key `runId:step:index`. */
const keyPart = (callId: string, from: number): number => Number(callId.split(':').at(from) ?? NaN);

/** The calls the brain proposed at each step (approval requests included), in call order. */
function decisionsByStep(events: readonly RunEvent[]): Map<number, { callId: string; call: ProposedCall }[]> {
  const byStep = new Map<number, { callId: string; call: ProposedCall }[]>();
  for (const event of events) {
    if (event.type !== 'tool-call-start' && event.type !== 'approval-request') continue;
    // A call the loop finished later (after an approval or a crash) keeps the key of its deciding step.
    if (keyPart(event.callId, -2) !== event.step) continue;
    const calls = byStep.get(event.step) ?? [];
    if (!calls.some((entry) => entry.callId === event.callId))
      calls.push({ callId: event.callId, call: { tool: event.tool, args: event.args } });
    byStep.set(event.step, calls);
  }
  for (const calls of byStep.values()) calls.sort((a, b) => keyPart(a.callId, -1) - keyPart(b.callId, -1));
  return byStep;
}

/**
 * A brain that says again what was recorded: at each step the calls proposed then, and at the final
 * step the recorded finish. It re-emits the step's recorded `decision` and `plan-update` events so the
 * replayed log explains itself, and asks no model and no planner.
 */
export function createReplayBrain(events: readonly RunEvent[], name: string): Brain {
  const decisions = decisionsByStep(events);
  const explanations = new Map<number, EventPayload[]>();
  const finals = new Map<number, { status: 'succeeded' | 'failed'; answer: string }>();
  for (const event of events) {
    if (event.type === 'decision' || event.type === 'plan-update') {
      const { runId: _runId, seq: _seq, at: _at, ...payload } = event;
      explanations.set(event.step, [...(explanations.get(event.step) ?? []), payload]);
    }
    if (event.type === 'step-end' && event.outcome.kind === 'final') {
      const { status, answer, reason } = event.outcome;
      if (status === 'succeeded' || status === 'failed')
        finals.set(event.step, { status, answer: answer ?? reason ?? '' });
    }
  }
  return {
    name: `replay:${name}`,
    async decide(context: BrainContext): Promise<BrainDecision> {
      for (const payload of explanations.get(context.step) ?? []) context.emit(payload);
      const calls = decisions.get(context.step);
      if (calls && calls.length > 0) return { kind: 'act', calls: calls.map((entry) => entry.call) };
      const final = finals.get(context.step);
      if (final) return { kind: 'finish', status: final.status, answer: final.answer };
      return {
        kind: 'finish',
        status: 'failed',
        answer: `replay: no decision was recorded for step ${context.step}`,
      };
    },
  };
}

/**
 * Tools with the installed tools' names, schemas, risks and contracts (so allowlist, schema checks,
 * loop guard and approvals behave as they did) whose execution returns the recorded result of the
 * same call key instead of doing anything.
 */
export function createReplayTools(events: readonly RunEvent[], installed: ToolHost): ToolHost {
  const outcomes = new Map<string, Extract<RunEvent, { type: 'tool-call-end' }>>();
  for (const event of events) if (event.type === 'tool-call-end') outcomes.set(event.callId, event);
  const execute = async (_input: unknown, context: { callId: string }): Promise<unknown> => {
    const recorded = outcomes.get(context.callId);
    if (!recorded) throw new ToolError('replay_missing', `no result was recorded for call ${context.callId}`);
    if (recorded.ok) return recorded.result;
    const message = recorded.error?.message ?? 'failed';
    const prefix = `${recorded.tool}: `;
    throw new ToolError(
      recorded.error?.code ?? 'tool_failed',
      message.startsWith(prefix) ? message.slice(prefix.length) : message,
    );
  };
  const twins = new Map<string, AnyTool>();
  for (const tool of installed.list()) twins.set(tool.name, { ...tool, execute });
  for (const event of events) {
    if (event.type !== 'tool-call-start' || twins.has(event.tool)) continue;
    // A tool that is no longer installed (an MCP server that is not connected now).
    twins.set(event.tool, {
      name: event.tool,
      description: 'replayed tool',
      input: z.unknown(),
      idempotent: true,
      risk: 'low',
      execute,
    });
  }
  return new ToolRegistry(twins.values());
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : inner,
  ) ?? 'undefined';

/** The calls a log shows, in order, with their outcome; journal arguments and statuses win when given. */
function callsOf(
  events: readonly RunEvent[],
  journal: readonly ToolCallRecord[],
  redact: <T>(value: T) => T,
): ComparedCall[] {
  const byKey = new Map(journal.map((record) => [record.key, record] as const));
  const calls = new Map<string, ComparedCall>();
  for (const event of events) {
    if (event.type === 'tool-call-start' && !calls.has(event.callId)) {
      const record = byKey.get(event.callId);
      calls.set(event.callId, {
        callId: event.callId,
        tool: record?.tool ?? event.tool,
        args: record ? redact(record.args) : event.args,
        ok: null,
      });
    }
    if (event.type === 'tool-call-end') {
      const call = calls.get(event.callId);
      const record = byKey.get(event.callId);
      if (call)
        call.ok =
          record && (record.status === 'succeeded' || record.status === 'failed')
            ? record.status === 'succeeded'
            : event.ok;
    }
  }
  return [...calls.values()];
}

function firstDifference(
  expected: readonly ComparedCall[],
  actual: readonly ComparedCall[],
): string | undefined {
  const length = Math.max(expected.length, actual.length);
  for (let index = 0; index < length; index++) {
    const want = expected[index];
    const got = actual[index];
    const where = `tool call ${index + 1}`;
    if (!want)
      return `${where}: replay called ${got?.tool ?? '?'} ${canonical(got?.args)}, the record has no such call`;
    if (!got)
      return `${where}: the record has ${want.tool} ${canonical(want.args)}, replay made no such call`;
    if (want.tool !== got.tool || canonical(want.args) !== canonical(got.args))
      return `${where} (${want.callId}): recorded ${want.tool} ${canonical(want.args)}, replayed ${got.tool} ${canonical(got.args)}`;
    if (want.ok !== got.ok)
      return `${where} (${want.callId}) ${want.tool}: recorded ${want.ok ? 'ok' : 'error'}, replayed ${got.ok ? 'ok' : 'error'}`;
  }
  return undefined;
}

/**
 * Re-runs a finished run's recorded decisions through the real loop (`runAgent` via the run service)
 * on a throwaway in-memory store, with a brain and tools that only repeat the record, then compares
 * the calls (tool, arguments, ok) with the run's tool-call journal and the end (status, answer) with
 * the run as stored. Recorded approvals are resolved the way they were.
 */
export async function replayRun(recorded: RecordedRun): Promise<ReplayResult> {
  const { run, agent, events } = recorded;
  const redact = recorded.redact ?? (<T>(value: T): T => value);
  const database = await createDatabase({ kind: 'pglite' });
  try {
    const { stores } = database;
    const { id, orgId: _orgId, createdAt: _createdAt, updatedAt: _updatedAt, ...spec } = agent;
    const now = systemClock.now();
    await stores.agents.upsert(run.orgId, AgentSpec.parse(spec), { id, now });
    await stores.runs.create({
      id: run.id,
      orgId: run.orgId,
      agentId: id,
      goal: run.goal,
      priority: run.priority,
      budgets: run.budgets,
      workspace: run.workspace,
      now,
    });
    const startEvent = events.find((event) => event.type === 'run-start');
    const brain = createReplayBrain(events, startEvent?.type === 'run-start' ? startEvent.brain : 'brain');
    const service = new RunService({
      orgId: run.orgId,
      runs: stores.runs,
      toolCalls: stores.toolCalls,
      agents: stores.agents,
      audit: stores.audit,
      tools: createReplayTools(events, recorded.tools),
      brainFor: () => brain,
      clock: systemClock,
      ids: randomIds,
      redact,
      owner: 'replay',
      canSteal: () => true,
    });
    const resolutions = events.filter((event) => event.type === 'approval-resolve');
    let replayed = await service.get(run.id);
    for (let round = 0; round <= resolutions.length + 1 && !isTerminal(replayed.status); round++) {
      replayed = (await service.advance(run.id)).run;
      if (replayed.status !== 'waiting_approval') break;
      const waiting = (await stores.toolCalls.listForRun(run.orgId, run.id)).find(
        (record) => record.status === 'awaiting_approval',
      );
      const resolution = resolutions.find((event) => event.callId === waiting?.key);
      if (!waiting || !resolution) break;
      replayed = (
        await service.resolveApproval(
          run.id,
          waiting.key,
          resolution.approved,
          resolution.reason,
          resolution.by ?? 'replay',
        )
      ).run;
    }
    const replayedEvents = await readAllEvents(stores.runs, run);
    const expected = callsOf(events, recorded.journal, redact);
    const actual = callsOf(replayedEvents, [], redact);
    let divergence = firstDifference(expected, actual);
    if (!divergence && replayed.status !== run.status)
      divergence = `status: recorded ${run.status}, replayed ${replayed.status}${replayed.reason ? ` (${replayed.reason})` : ''}`;
    if (!divergence && (replayed.answer ?? null) !== (run.answer ?? null))
      divergence = `answer: recorded ${JSON.stringify(run.answer)}, replayed ${JSON.stringify(replayed.answer)}`;
    return {
      matches: divergence === undefined,
      ...(divergence ? { divergence } : {}),
      steps: replayed.stepCount,
      recordedSteps: run.stepCount,
      toolCalls: actual.length,
      status: replayed.status,
      answer: replayed.answer,
      calls: actual,
    };
  } finally {
    await database.close();
  }
}

/** `autonoma replay <runId> [--json]`: re-runs the recorded decisions without models or tools. */
export async function printReplay(runId: string, flags: { json?: boolean }, command: Command): Promise<void> {
  await withApp(command, async (app) => {
    const run = await app.runs.get(runId);
    if (!isTerminal(run.status))
      throw userError(
        'invalid_input',
        `run ${runId} has not ended (${run.status}); replay needs a finished run`,
      );
    const agent = await app.database.stores.agents.get(run.orgId, run.agentId);
    if (!agent) throw userError('invalid_input', `the agent of run ${runId} no longer exists`);
    const result = await replayRun({
      run,
      agent,
      events: await readAllEvents(app.database.stores.runs, run),
      journal: await app.database.stores.toolCalls.listForRun(run.orgId, runId),
      tools: app.tools,
      redact: app.redact,
    });
    if (flags.json) processOutput.out(JSON.stringify(result));
    else if (result.matches)
      processOutput.out(
        `replay matches: ${result.steps} steps, ${result.toolCalls} tool calls, status ${result.status}`,
      );
    else processOutput.err(`replay diverges: ${result.divergence ?? 'unknown difference'}`);
    if (!result.matches) process.exitCode = 1;
  });
}
