import { userError } from '@autonoma/core';
import type { Command } from 'commander';
import type { JobRow, JobStatus } from '../../jobs/job-rows.ts';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';

const statuses: readonly JobStatus[] = ['pending', 'sent', 'active', 'done', 'failed'];
const time = (ms: number | null): string =>
  ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

const line = (job: JobRow): string =>
  `${job.id}  ${job.status.padEnd(7)} ${job.kind.padEnd(16)} ${job.priority.padEnd(8)} attempt ${job.attempt}/${job.maxAttempts}  ${time(job.createdAt)}  ${job.runId ?? ''}${job.lastError ? `  — ${job.lastError.slice(0, 80)}` : ''}`;

/** `autonoma jobs list [--status S] [--kind K] [--run R] [--limit N] [--json]`. */
export async function listJobs(
  flags: { status?: string; kind?: string; run?: string; limit: string; json?: boolean },
  command: Command,
): Promise<void> {
  if (flags.status !== undefined && !(statuses as readonly string[]).includes(flags.status))
    throw userError('invalid_input', `unknown job status '${flags.status}'; one of ${statuses.join(', ')}`);
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit <= 0)
    throw userError('invalid_input', `--limit must be a positive integer, got '${flags.limit}'`);
  await withApp(command, async (app) => {
    const jobs = await app.services.jobs.list(app.localScope, {
      limit,
      ...(flags.status ? { status: [flags.status as JobStatus] } : {}),
      ...(flags.kind ? { kind: flags.kind } : {}),
      ...(flags.run ? { runId: flags.run } : {}),
    });
    if (flags.json) {
      processOutput.out(JSON.stringify(jobs));
      return;
    }
    if (jobs.length === 0) processOutput.out('no jobs');
    for (const job of jobs) processOutput.out(line(job));
  });
}

/** `autonoma jobs show <jobId> [--json]`. */
export async function showJob(jobId: string, flags: { json?: boolean }, command: Command): Promise<void> {
  await withApp(command, async (app) => {
    const job = await app.services.jobs.get(app.localScope, jobId);
    if (flags.json) {
      processOutput.out(JSON.stringify(job));
      return;
    }
    processOutput.out(`job ${job.id} · ${job.kind} · ${job.status} · queue ${job.priority}`);
    processOutput.out(`attempts: ${job.attempt} of ${job.maxAttempts}`);
    if (job.runId) processOutput.out(`run: ${job.runId}`);
    processOutput.out(`payload: ${JSON.stringify(job.payload)}`);
    processOutput.out(
      `created ${time(job.createdAt)} · due ${time(job.runAt)} · started ${time(job.startedAt)} · finished ${time(job.finishedAt)}`,
    );
    if (job.lockedBy) processOutput.out(`held by ${job.lockedBy} until ${time(job.lockedUntil)}`);
    if (job.lastError) processOutput.out(`last error: ${job.lastError}`);
  });
}

/** `autonoma jobs retry <jobId>`. */
export async function retryJob(jobId: string, _flags: unknown, command: Command): Promise<void> {
  await withApp(command, async (app) => {
    const job = await app.services.jobs.retry(app.localScope, jobId);
    processOutput.out(`job ${job.id}: pending again (attempts reset)`);
  });
}
