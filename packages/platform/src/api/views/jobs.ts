/** How jobs look through the API and in the CLI's `--json` output. */
import { Priority } from '@autonoma/core';
import { z } from 'zod';
import type { JobRow } from '../../jobs/job-rows.ts';

const time = z.number().describe('milliseconds since the epoch, UTC');

/** Where a job is. */
export const JobStatus = z.enum(['pending', 'sent', 'active', 'done', 'failed']);

/** A job: what a worker does (advance a run by a slice, a learning refresh…) and its bookkeeping. */
export const JobView = z
  .object({
    id: z.string(),
    kind: z.string().describe('`agent-run`, `learning-refresh`…'),
    status: JobStatus,
    priority: Priority,
    payload: z.record(z.string(), z.unknown()),
    attempt: z.number().int().describe('starts so far, including those whose process died'),
    maxAttempts: z.number().int(),
    runId: z.string().nullable(),
    agentId: z.string().nullable(),
    dedupeKey: z.string().nullable(),
    lastError: z.string().nullable(),
    recovered: z.boolean().describe('its previous attempt never ended (its consumer died)'),
    createdAt: time,
    runAt: time.describe('due at'),
    lockedBy: z.string().nullable().describe('the consumer holding it'),
    lockedUntil: time.nullable(),
    startedAt: time.nullable(),
    finishedAt: time.nullable(),
    updatedAt: time,
  })
  .meta({ id: 'Job' });
/** A job as clients see it. */
export type JobView = z.infer<typeof JobView>;

/** The client view of a job. */
export function toJobView(job: JobRow): JobView {
  const { orgId: _orgId, ...view } = job;
  return JobView.parse(view);
}
