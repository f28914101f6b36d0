import type {
  ActionStats,
  Agent,
  Clock,
  EventPayload,
  MemoryStore,
  PlanStore,
  RecalledMemory,
  Run,
  RunEvent,
  RunHooks,
  RunPreparation,
  StatsStore,
  TerminalStatus,
} from '@autonoma/core';
import {
  defaultRecallHalfLifeMs,
  defaultRecallWeights,
  deriveLessons,
  embedText,
  episodeText,
  hashString,
  importanceOf,
  isTerminal,
  learnedCosts,
  reward,
} from '@autonoma/core';
import { runSignature } from './signature.ts';
import { scrubSecrets } from '../security/scrub-secrets.ts';

/** What the learning hooks read and write. */
export interface LearningDeps {
  memories: MemoryStore;
  stats: StatsStore;
  plans: PlanStore;
  clock: Clock;
  /** Embeds text for recall and plan similarity. @default the local hashed n-gram embedder */
  embed?: (text: string) => Promise<number[]>;
  /** Recall weights. @default relevance 0.6, recency 0.2, importance 0.2 */
  weights?: { relevance: number; recency: number; importance: number };
  /** Recency half-life. @default 7 days */
  halfLifeMs?: number;
  /** Least embedding similarity for reusing a plan of a goal with a different signature. @default 0.92 */
  planSimilarity?: number;
}

const localEmbed = async (text: string): Promise<number[]> => embedText(text);

/** Reusable-plan id: one per (agent, signature), so repeated successes update one record. */
const planIdFor = (agentId: string, signature: string): string =>
  `plan_${hashString(`${agentId}|${signature}`)}`;

/** The successful tool calls of a run, in order: the plan worth reusing. */
function successfulSteps(events: readonly RunEvent[]): { tool: string; args: unknown }[] {
  const args = new Map<string, unknown>();
  const steps: { tool: string; args: unknown }[] = [];
  for (const event of events) {
    if (event.type === 'tool-call-start') args.set(event.callId, event.args);
    if (event.type === 'tool-call-end' && event.ok)
      steps.push({ tool: event.tool, args: args.get(event.callId) });
  }
  return steps;
}

/**
 * Statistics as they stood before this run: the loop records every executed call of a committed step
 * (`observeTool`) before the next step, so the run's own calls are already in the store and would be
 * counted twice next to its events.
 */
function historyBefore(history: readonly ActionStats[], events: readonly RunEvent[]): ActionStats[] {
  const own = new Map<string, { calls: number; successes: number }>();
  for (const event of events) {
    if (event.type !== 'tool-call-end' || event.fromJournal) continue;
    const tally = own.get(event.tool) ?? { calls: 0, successes: 0 };
    tally.calls += 1;
    if (event.ok) tally.successes += 1;
    own.set(event.tool, tally);
  }
  return history.map((row) => {
    const tally = own.get(row.action);
    if (!tally) return row;
    own.delete(row.action);
    const trials = Math.max(0, row.trials - tally.calls);
    return { ...row, trials, successes: Math.min(trials, Math.max(0, row.successes - tally.successes)) };
  });
}

/**
 * Lessons that name only real alternatives: tools the planner weighed against each other for the same
 * step (its `tool-choice` decisions) are judged together, so a failure of one can point at another
 * that succeeded — already after one failed call, since the replacement is known. Every other tool is
 * judged alone (a lesson after at least two calls, naming its errors).
 */
function groupedLessons(
  events: readonly RunEvent[],
  goalText: string,
  history: readonly ActionStats[],
): ReturnType<typeof deriveLessons> {
  const groups: string[][] = [];
  for (const event of events) {
    if (event.type !== 'decision' || event.about !== 'tool-choice') continue;
    const names = [...new Set(event.options.map((option) => option.id))].sort();
    if (!groups.some((group) => group.join() === names.join())) groups.push(names);
  }
  const grouped = new Set(groups.flat());
  const called = new Set(events.flatMap((event) => (event.type === 'tool-call-end' ? [event.tool] : [])));
  const singles = [...called].filter((tool) => !grouped.has(tool)).map((tool) => [tool]);
  const lessons: ReturnType<typeof deriveLessons> = [];
  const seen = new Set<string>();
  for (const group of [...groups, ...singles]) {
    const members = new Set(group);
    const found = deriveLessons(
      events.filter((event) => event.type !== 'tool-call-end' || members.has(event.tool)),
      {
        goalText,
        history: history.filter((row) => members.has(row.action)),
        minCalls: group.length > 1 ? 1 : 2,
      },
    );
    for (const lesson of found) {
      if (seen.has(lesson.tool) || (group.length > 1 && lesson.calls < 2 && !lesson.prefer)) continue;
      seen.add(lesson.tool);
      lessons.push(lesson);
    }
  }
  return lessons;
}

/**
 * Memory and cross-session learning, plugged into the loop: recall and plan lookup before the first
 * decision, outcome statistics after every tool call, and at the end a reflection that writes the
 * episode, lessons and (for successes) a reusable plan.
 */
export function createLearningHooks(deps: LearningDeps): RunHooks {
  const embed = deps.embed ?? localEmbed;
  const weights = deps.weights ?? defaultRecallWeights;
  const halfLifeMs = deps.halfLifeMs ?? defaultRecallHalfLifeMs;
  // Computed from the run each time (cheap): no per-run cache that would grow with every run.
  const signatureOf = (run: Run): string => runSignature(run);

  return {
    async prepare(run: Run, agent: Agent): Promise<RunPreparation> {
      const signature = signatureOf(run);
      const embedding = await embed(run.goal.text);
      const now = deps.clock.now();
      const scored =
        agent.memory.recallLimit > 0
          ? await deps.memories.recall({
              orgId: run.orgId,
              agentId: run.agentId,
              text: run.goal.text,
              embedding,
              kinds: ['episode', 'lesson', 'fact'],
              limit: agent.memory.recallLimit,
              now,
              weights,
              halfLifeMs,
            })
          : [];
      const recalled: RecalledMemory[] = scored.map((item) => ({
        id: item.memory.id,
        kind: item.memory.kind,
        text: item.memory.text,
        score: item.score,
        relevance: item.relevance,
        recency: item.recency,
        importance: item.importance,
      }));
      const stats = await deps.stats.get(run.orgId, run.agentId, signature);
      const found = await deps.plans.find({
        orgId: run.orgId,
        agentId: run.agentId,
        signature,
        embedding,
        minSimilarity: deps.planSimilarity ?? 0.92,
      });
      const events: EventPayload[] = [];
      if (recalled.length > 0)
        events.push({
          type: 'memory-recall',
          step: run.stepCount + 1,
          query: run.goal.text,
          items: recalled,
        });
      const usable = found && found.plan.successes > found.plan.failures ? found.plan : undefined;
      if (found) {
        events.push({
          type: 'decision',
          step: run.stepCount + 1,
          about: 'plan-reuse',
          options: [
            {
              id: found.plan.id,
              label: found.plan.steps.map((step) => step.tool).join(' → '),
              score: found.similarity,
              detail: { successes: found.plan.successes, failures: found.plan.failures },
            },
          ],
          chosen: usable ? found.plan.id : null,
          reason: usable
            ? `a plan for a ${found.similarity === 1 ? 'same-signature' : `similar (${found.similarity.toFixed(2)})`} goal succeeded ${found.plan.successes} time(s)`
            : `plan ${found.plan.id} failed more often than it succeeded`,
        });
      }
      return { recalled, reusablePlan: usable, learnedCosts: learnedCosts(stats), events };
    },

    async observeTool(run, _agent, observation) {
      await deps.stats.record({
        orgId: run.orgId,
        agentId: run.agentId,
        signature: signatureOf(run),
        action: observation.tool,
        success: observation.ok,
        reward: reward({ success: observation.ok, costUsd: 0, latencyMs: observation.latencyMs }),
        costUsd: 0,
        latencyMs: observation.latencyMs,
        now: deps.clock.now(),
      });
    },

    async reflect(run: Run, _agent: Agent, events: readonly RunEvent[]) {
      // Called once the run is terminal and committed, with its final usage and whole log; it may run
      // again after a crash, so every write is idempotent per run: memory ids derive from the run, and
      // plan counters move through the store's (plan, run) ledger.
      const outcome = { status: run.status, answer: run.answer, reason: run.reason };
      const signature = signatureOf(run);
      const now = deps.clock.now();
      const history = historyBefore(await deps.stats.get(run.orgId, run.agentId, signature), events);
      const lessons = groupedLessons(events, run.goal.text, history);
      const finalEvents: EventPayload[] = [
        ...events,
        {
          type: 'run-end',
          status: terminalOf(run),
          ...(outcome.answer ? { answer: outcome.answer } : {}),
          ...(outcome.reason ? { reason: outcome.reason } : {}),
          usage: run.usage,
        },
      ];
      const failedCalls = events.filter((event) => event.type === 'tool-call-end' && !event.ok).length;
      const text = scrubSecrets(episodeText({ goal: run.goal.text, events: finalEvents, lessons }));
      const importance = importanceOf({ status: terminalOf(run), lessons: lessons.length, failedCalls });
      const written: EventPayload[] = [];
      const episode = await deps.memories.write({
        id: `mem_${run.id}_episode`,
        orgId: run.orgId,
        agentId: run.agentId,
        kind: 'episode',
        text,
        importance,
        embedding: await embed(text),
        runId: run.id,
        metadata: { status: run.status, signature },
        createdAt: now,
        lastAccessedAt: now,
        accessCount: 0,
      });
      written.push({ type: 'memory-write', memoryId: episode.id, kind: 'episode', text, importance });
      for (const [index, lesson] of lessons.entries()) {
        const lessonText = scrubSecrets(lesson.text);
        await deps.memories.write({
          id: `mem_${run.id}_lesson_${index}`,
          orgId: run.orgId,
          agentId: run.agentId,
          kind: 'lesson',
          text: lessonText,
          importance: 0.8,
          embedding: await embed(lessonText),
          runId: run.id,
          metadata: { tool: lesson.tool, signature },
          createdAt: now,
          lastAccessedAt: now,
          accessCount: 0,
        });
        written.push({ type: 'lesson-learned', lesson: lessonText, source: 'statistics' });
      }
      const reused =
        run.brainState !== null && typeof run.brainState === 'object'
          ? (run.brainState as { reusedPlanId?: unknown }).reusedPlanId
          : undefined;
      const success = run.status === 'succeeded';
      if (typeof reused === 'string') {
        await deps.plans.recordRun({ orgId: run.orgId, planId: reused, runId: run.id, success, now });
      }
      const steps = successfulSteps(events);
      if (success && steps.length > 0 && typeof reused !== 'string') {
        await deps.plans.recordRun({
          orgId: run.orgId,
          planId: planIdFor(run.agentId, signature),
          runId: run.id,
          success,
          now,
          plan: {
            agentId: run.agentId,
            signature,
            goalText: run.goal.text,
            embedding: await embed(run.goal.text),
            steps,
          },
        });
      }
      return written;
    },
  };
}

/** The terminal status of a run reflection sees (reflection only ever sees terminal runs). */
function terminalOf(run: Run): TerminalStatus {
  return isTerminal(run.status) ? run.status : 'failed';
}
