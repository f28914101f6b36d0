import type { Agent } from '../protocol/agent.ts';
import type { ConversationContext, TranscriptEntry } from '../protocol/context.ts';
import type { DelegatedTask, EventPayload, RecalledMemory } from '../protocol/events.ts';
import type { Run } from '../protocol/run.ts';
import type { ReusablePlan } from '../ports/learning-store.ts';
import type { ToolDescriptor } from '../tools/define-tool.ts';

/** One entry of a run's working memory (its schema lives with the persisted run context). */
export type { TranscriptEntry } from '../protocol/context.ts';

/** A tool call a brain proposes. The loop validates it against the allowlist and the tool's schema. */
export interface ProposedCall {
  tool: string;
  args: unknown;
  /** The provider's own id for the call, when there is one (kept for the transcript). */
  providerCallId?: string;
}

/**
 * What a brain decided for one step: call tools, finish, hand sub-goals to child runs, ask the user a
 * question, or sleep until a time. The loop maps each to a step outcome in one place (`outcomeOf`).
 */
export type BrainDecision =
  | { kind: 'act'; calls: ProposedCall[]; text?: string; brainState?: unknown }
  | { kind: 'finish'; status: 'succeeded' | 'failed'; answer: string; brainState?: unknown }
  | { kind: 'delegate'; tasks: DelegatedTask[]; text?: string; brainState?: unknown }
  | { kind: 'ask'; question: string; brainState?: unknown }
  | { kind: 'sleep'; until: number; reason?: string; brainState?: unknown };

/** Everything a brain may look at to decide. */
export interface BrainContext {
  run: Run;
  agent: Agent;
  /** The step being decided (1-based). */
  step: number;
  /** Working memory, oldest first; older parts may be summarized. */
  transcript: readonly TranscriptEntry[];
  /** Tools the agent may call (already filtered by its allowlist). */
  tools: readonly ToolDescriptor[];
  /** Memories recalled for this run. */
  recalled: readonly RecalledMemory[];
  /** A plan that worked for a similar goal, when one exists. */
  reusablePlan: ReusablePlan | undefined;
  /** Learned cost per tool name (lower is better), when statistics exist. */
  learnedCosts: ReadonlyMap<string, number>;
  /** The brain's own state from the previous step. */
  brainState: unknown;
  /** When the run answers a turn of a conversation: the turns before it (bounded, summarized). */
  conversation?: ConversationContext;
  /** Records an event (decision, plan-update, model-call-*, text-delta) in the step. */
  emit(event: EventPayload): void;
  signal: AbortSignal;
}

/** Decides what a run does next. Model brains and the classical planner implement it. */
export interface Brain {
  /** e.g. `planner` or `openai:gpt-4.1-mini`. */
  readonly name: string;
  decide(context: BrainContext): Promise<BrainDecision>;
}
