/** Helpers shared by the brain tests: a brain context with an event recorder, and a recording clock. */
import {
  AgentSpec,
  emptyUsage,
  type Agent,
  type BrainContext,
  type EventOf,
  type EventPayload,
  type EventType,
  type Run,
  type ToolDescriptor,
  type TranscriptEntry,
} from '@autonoma/core';
import { FixedClock } from '@autonoma/core/testing';

/** A clock whose sleeps return at once and are recorded, so tests assert waits without waiting. */
export class RecordingClock extends FixedClock {
  readonly sleeps: number[] = [];
  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    await super.sleep(ms, signal);
  }
}

/** The `fs_read` tool as a brain sees it. */
export const readFileTool: ToolDescriptor = {
  name: 'fs_read',
  description: 'Read a file of the workspace',
  inputSchema: {
    type: 'object',
    properties: { path: { type: 'string' } },
    required: ['path'],
    additionalProperties: false,
  },
  risk: 'low',
  idempotent: true,
};

/** What a test context records. */
export interface RecordedContext {
  context: BrainContext;
  events: EventPayload[];
  /** Events of one type, in order. */
  eventsOf<T extends EventType>(type: T): EventOf<T>[];
}

/** Overrides of the context a test cares about. */
export interface ContextOverrides {
  goal?: string;
  instructions?: string;
  step?: number;
  transcript?: TranscriptEntry[];
  tools?: ToolDescriptor[];
  signal?: AbortSignal;
  recalled?: BrainContext['recalled'];
  reusablePlan?: BrainContext['reusablePlan'];
  learnedCosts?: Map<string, number>;
}

/** A brain context for run `run_1` with an event recorder. */
export function createContext(overrides: ContextOverrides = {}): RecordedContext {
  const now = Date.UTC(2026, 0, 1);
  const agent: Agent = {
    ...AgentSpec.parse({ name: 'tester', instructions: overrides.instructions ?? '' }),
    id: 'agent_1',
    orgId: 'org_1',
    createdAt: now,
    updatedAt: now,
  };
  const run: Run = {
    id: 'run_1',
    orgId: 'org_1',
    agentId: agent.id,
    parentRunId: null,
    depth: 0,
    rootRunId: 'run_1',
    conversationId: null,
    goal: { text: overrides.goal ?? 'Read notes.txt and tell me what it says' },
    status: 'running',
    version: 1,
    priority: 'normal',
    budgets: {},
    usage: emptyUsage(),
    lastSeq: 0,
    stepCount: 0,
    brainState: null,
    context: null,
    preparation: null,
    wakeAt: null,
    finalizedAt: null,
    workspace: '/tmp/workspace',
    answer: null,
    reason: null,
    leaseOwner: null,
    leaseEpoch: 0,
    leaseExpiresAt: null,
    createdAt: now,
    updatedAt: now,
    endedAt: null,
  };
  const events: EventPayload[] = [];
  const context: BrainContext = {
    run,
    agent,
    step: overrides.step ?? 1,
    transcript: overrides.transcript ?? [],
    tools: overrides.tools ?? [readFileTool],
    recalled: overrides.recalled ?? [],
    reusablePlan: overrides.reusablePlan,
    learnedCosts: overrides.learnedCosts ?? new Map(),
    brainState: undefined,
    emit: (event) => {
      events.push(event);
    },
    signal: overrides.signal ?? new AbortController().signal,
  };
  return {
    context,
    events,
    eventsOf: <T extends EventType>(type: T) =>
      events.filter((event): event is EventOf<T> => event.type === type),
  };
}

/** The transcript after one `fs_read` call of step 1 returned `result`. */
export function readFileTranscript(
  result: { ok: true; value: unknown } | { ok: false; code: string },
): TranscriptEntry[] {
  return [
    {
      kind: 'assistant',
      step: 1,
      text: '',
      calls: [{ callId: 'run_1:1:0', tool: 'fs_read', args: { path: 'notes.txt' } }],
    },
    result.ok
      ? { kind: 'tool-result', step: 1, callId: 'run_1:1:0', tool: 'fs_read', ok: true, result: result.value }
      : {
          kind: 'tool-result',
          step: 1,
          callId: 'run_1:1:0',
          tool: 'fs_read',
          ok: false,
          error: { code: result.code, message: 'no such file' },
        },
  ];
}
