/** How workers look through the API and in the CLI's `--json` output. */
import { Priority } from '@autonoma/core';
import { z } from 'zod';
import type { WorkerView as Worker } from '../../services/worker-service.ts';

const time = z.number().describe('milliseconds since the epoch, UTC');

/** A worker process: its registration, its last heartbeat, and whether it is alive. */
export const WorkerView = z
  .object({
    id: z.string(),
    hostname: z.string(),
    pid: z.number().int(),
    version: z.string(),
    leaseOwner: z.string().nullable(),
    transport: z.enum(['local', 'bullmq']),
    queues: z.array(Priority),
    capabilities: z.array(z.string()),
    concurrency: z.number().int(),
    inFlight: z.number().int(),
    startedAt: time,
    heartbeatAt: time,
    stoppedAt: time.nullable(),
    stopReason: z.string().nullable().describe('`drained`, `forced` or `expired`'),
    alive: z.boolean(),
  })
  .meta({ id: 'Worker' });
/** A worker as clients see it. */
export type WorkerView = z.infer<typeof WorkerView>;

/** The client view of a worker. */
export const toWorkerView = (worker: Worker): WorkerView => WorkerView.parse(worker);
