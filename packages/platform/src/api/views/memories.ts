/** How memories look through the API and in the CLI's `--json` output. */
import type { Memory, ReusablePlan, ScoredMemory } from '@autonoma/core';
import { z } from 'zod';

/** The kinds of long-term memory. */
export const MemoryKind = z.enum(['episode', 'fact', 'lesson', 'summary']);

/** A memory, without its embedding (a long vector only the store uses). */
export const MemoryView = z
  .object({
    id: z.string(),
    agentId: z.string(),
    kind: MemoryKind,
    text: z.string(),
    importance: z.number(),
    runId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.number(),
    lastAccessedAt: z.number(),
    accessCount: z.number().int(),
  })
  .meta({ id: 'Memory' });
/** A memory as clients see it. */
export type MemoryView = z.infer<typeof MemoryView>;

/** A recalled memory with the parts of its score. */
export const ScoredMemoryView = z
  .object({
    memory: MemoryView,
    score: z.number(),
    relevance: z.number(),
    recency: z.number(),
    importance: z.number(),
  })
  .meta({ id: 'ScoredMemory' });
/** A recalled memory as clients see it. */
export type ScoredMemoryView = z.infer<typeof ScoredMemoryView>;

/** The client view of a memory. */
export const toMemoryView = (memory: Memory): MemoryView =>
  MemoryView.parse({
    id: memory.id,
    agentId: memory.agentId,
    kind: memory.kind,
    text: memory.text,
    importance: memory.importance,
    runId: memory.runId,
    metadata: memory.metadata,
    createdAt: memory.createdAt,
    lastAccessedAt: memory.lastAccessedAt,
    accessCount: memory.accessCount,
  });

/** The client view of a recalled memory. */
export const toScoredMemoryView = (scored: ScoredMemory): ScoredMemoryView => ({
  memory: toMemoryView(scored.memory),
  score: scored.score,
  relevance: scored.relevance,
  recency: scored.recency,
  importance: scored.importance,
});

/** A reusable plan: the steps of a successful run, followed again for goals of the same signature. */
export const PlanView = z
  .object({
    id: z.string(),
    agentId: z.string(),
    signature: z.string().describe('the normalized goal signature it is found by'),
    goalText: z.string(),
    steps: z.array(z.object({ tool: z.string(), args: z.unknown() })),
    successes: z.number().int(),
    failures: z.number().int(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .meta({ id: 'ReusablePlan' });
/** A reusable plan as clients see it. */
export type PlanView = z.infer<typeof PlanView>;

/** The client view of a reusable plan (without its embedding). */
export const toPlanView = (plan: ReusablePlan): PlanView => ({
  id: plan.id,
  agentId: plan.agentId,
  signature: plan.signature,
  goalText: plan.goalText,
  steps: plan.steps,
  successes: plan.successes,
  failures: plan.failures,
  createdAt: plan.createdAt,
  updatedAt: plan.updatedAt,
});
