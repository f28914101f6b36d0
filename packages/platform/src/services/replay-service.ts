import type { Agent, Brain, Run, RunEvent, RunStatus, Scope, ToolHost } from '@autonoma/core';
import { isTerminal, userError } from '@autonoma/core';
import type { ComparedCall } from '../replay/compare-calls.ts';
import { callsOf, firstDifference } from '../replay/compare-calls.ts';
import { createReplayBrain } from '../replay/replay-brain.ts';
import { createReplayTools } from '../replay/replay-tools.ts';
import type { Redactor } from '../security/redact.ts';
import type { AgentService } from './agent-service.ts';
import type { RunService } from './run-service.ts';

export type { ComparedCall } from '../replay/compare-calls.ts';

/** How a replay ended. */
export interface ReplayReport {
  matches: boolean;
  /** The first difference, in words, when `matches` is false. */
  divergence?: string;
  /** Steps the replay took. */
  steps: number;
  /** Steps the run took. */
  recordedSteps: number;
  toolCalls: number;
  /** How the replay ended. */
  status: RunStatus;
  answer: string | null;
  /** The calls the replay made, in order. */
  calls: ComparedCall[];
}

/**
 * A throwaway world a replay re-runs in: a store holding only the recorded run (queued, same id and
 * organization) and its agent, and a run service over it whose brain and tools are the ones given.
 */
export interface ReplaySandbox {
  runs: Pick<RunService, 'get' | 'advance' | 'advanceTree' | 'resolveApproval' | 'events' | 'toolCalls'>;
  close(): Promise<void>;
}

/** Builds a {@link ReplaySandbox}; supplied by the composition root, which owns the adapters. */
export type CreateReplaySandbox = (setup: {
  run: Run;
  agent: Agent;
  brain: Brain;
  tools: ToolHost;
}) => Promise<ReplaySandbox>;

/** What the replay service needs. */
export interface ReplayServiceDeps {
  runs: Pick<RunService, 'get' | 'events' | 'toolCalls'>;
  agents: Pick<AgentService, 'get'>;
  /** The tools installed now: replay uses their names, schemas, risks and contracts, never their effects. */
  tools: ToolHost;
  /** Applied to journal arguments before comparing them with the (redacted) events. */
  redact: Redactor;
  createSandbox: CreateReplaySandbox;
}

/**
 * Re-runs a finished run's recorded decisions through the real loop, without calling models or tools
 * (ARCHITECTURE §4), and says whether the run still comes out the same.
 */
export class ReplayService {
  readonly #deps: ReplayServiceDeps;

  constructor(deps: ReplayServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Replays a finished run of the caller's organization (`not_found` for any other run,
   * `invalid_input` for one that has not ended) in a sandbox, with a brain and tools that only repeat
   * the record; recorded approvals are resolved the way they were. Then compares the calls (tool,
   * arguments, ok) with the run's tool-call journal and the end (status, answer) with the run as stored.
   */
  async replay(scope: Scope, runId: string): Promise<ReplayReport> {
    const deps = this.#deps;
    const run = await deps.runs.get(scope, runId);
    if (!isTerminal(run.status))
      throw userError(
        'invalid_input',
        `run ${runId} has not ended (${run.status}); replay needs a finished run`,
      );
    const agent = await deps.agents.get(scope, run.agentId);
    const events = await deps.runs.events(scope, runId);
    const journal = await deps.runs.toolCalls(scope, runId);
    const sandbox = await deps.createSandbox({
      run,
      agent,
      brain: createReplayBrain(events),
      tools: createReplayTools(events, deps.tools),
    });
    try {
      const replayScope: Scope = { orgId: run.orgId, actor: 'replay' };
      const replayed = await drive(sandbox, replayScope, run.id, events);
      const actual = callsOf(await sandbox.runs.events(replayScope, run.id), [], deps.redact);
      const divergence =
        firstDifference(callsOf(events, journal, deps.redact), actual) ?? endDifference(run, replayed);
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
      await sandbox.close();
    }
  }
}

/** Advances the sandboxed run to its end, resolving each approval it waits for as the record did. */
async function drive(
  sandbox: ReplaySandbox,
  scope: Scope,
  runId: string,
  events: readonly RunEvent[],
): Promise<Run> {
  const resolutions = events.filter((event) => event.type === 'approval-resolve');
  let replayed = await sandbox.runs.get(scope, runId);
  for (let round = 0; round <= resolutions.length + 1 && !isTerminal(replayed.status); round++) {
    replayed = (await sandbox.runs.advanceTree(scope, runId)).run;
    if (replayed.status !== 'waiting_approval') break;
    const waiting = (await sandbox.runs.toolCalls(scope, runId)).find(
      (record) => record.status === 'awaiting_approval',
    );
    const resolution = resolutions.find((event) => event.callId === waiting?.key);
    if (!waiting || !resolution) break;
    replayed = (
      await sandbox.runs.resolveApproval(scope, runId, waiting.key, {
        approved: resolution.approved,
        ...(resolution.reason ? { reason: resolution.reason } : {}),
      })
    ).run;
  }
  return replayed;
}

/** How the replay's end differs from the recorded run's (status first, then answer), if it does. */
function endDifference(run: Run, replayed: Run): string | undefined {
  if (replayed.status !== run.status)
    return `status: recorded ${run.status}, replayed ${replayed.status}${replayed.reason ? ` (${replayed.reason})` : ''}`;
  if ((replayed.answer ?? null) !== (run.answer ?? null))
    return `answer: recorded ${JSON.stringify(run.answer)}, replayed ${JSON.stringify(replayed.answer)}`;
  return undefined;
}
