/**
 * `GET /v1/runs/stats`: the operations charts' numbers, computed in SQL over the whole window — runs
 * created per bucket by their state, step durations (percentiles, overall and per bucket), and model
 * calls, tokens and cost per agent. Readable by every member, like the runs themselves. A static path:
 * the router prefers it to `GET /v1/runs/:id`, which it never shadows (no run id is `stats`).
 */
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { maxStatsBuckets, statsBuckets, type StatsBucket } from '../../services/run-stats-service.ts';
import { errorResponses } from '../views/common.ts';
import type { ApiRoutes } from './route-deps.ts';

const time = (what: string) =>
  z.coerce
    .number()
    .int()
    .min(0)
    .max(8_640_000_000_000_000)
    .optional()
    .describe(`${what}, in milliseconds since the epoch (UTC)`);

const bucketNames = Object.keys(statsBuckets) as [StatsBucket, ...StatsBucket[]];

const StatsQuery = z.strictObject({
  from: time('start of the window, included @default `to` minus one day'),
  to: time('end of the window, excluded @default now'),
  bucket: z
    .enum(bucketNames)
    .default('hour')
    .describe(`bucket length, aligned on the epoch (UTC); a window holds at most ${maxStatsBuckets}`),
});

const milliseconds = z.number().nullable().describe('milliseconds; null when no step is counted');

const Latency = {
  steps: z.number().int().describe('steps counted (those that recorded their duration)'),
  p50Ms: milliseconds,
  p90Ms: milliseconds,
  p99Ms: milliseconds,
  meanMs: milliseconds,
  maxMs: milliseconds,
};

/** The statistics of a window. */
export const RunStatsView = z
  .object({
    from: z.number().describe('start of the window (included), ms since the epoch'),
    to: z.number().describe('end of the window (excluded), ms since the epoch'),
    bucket: z.enum(bucketNames),
    bucketMs: z.number().int(),
    runsByStatus: z
      .array(
        z.object({
          start: z.number().describe('start of the bucket, ms since the epoch'),
          counts: z.record(z.string(), z.number().int()).describe('run state → runs'),
          total: z.number().int(),
        }),
      )
      .describe('runs created in each bucket (buckets with none are left out), by the state they are in now'),
    stepLatency: z
      .object({
        ...Latency,
        buckets: z
          .array(z.object({ start: z.number(), ...Latency }))
          .describe('by the bucket the step ended in'),
      })
      .describe('durations of the steps that ended in the window, from start to commit'),
    agents: z
      .array(
        z.object({
          agentId: z.string(),
          agent: z.string().nullable().describe('the agent name; null when the agent was deleted since'),
          runs: z.number().int().describe('runs of the agent created in the window'),
          modelCalls: z.number().int(),
          inputTokens: z.number(),
          outputTokens: z.number(),
          costUsd: z.number(),
        }),
      )
      .describe(
        "model calls made in the window, by the agent of the run that made them (a child run's calls count for its own agent, once); most expensive first",
      ),
  })
  .meta({ id: 'RunStats' });

/** The run statistics route. */
export const runStatsRoutes: ApiRoutes = (api, { services }) => {
  api.get('/runs/stats', {
    config: { permission: 'runs:read' },
    schema: {
      tags: ['runs'],
      summary: "Statistics of the organization's runs over a window (the operations charts)",
      description:
        'Runs by state per bucket, step latency percentiles, and tokens and cost per agent, computed in the ' +
        'store over the whole window. 400 `invalid_input` naming the parameter when `from` is not before ' +
        `\`to\` or the window holds more than ${maxStatsBuckets} buckets.`,
      querystring: StatsQuery,
      response: { 200: RunStatsView, ...errorResponses },
    },
    handler: async (request) => {
      const { from, to, bucket } = request.query;
      return services.runStats.stats(scopeOf(request), {
        bucket,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      });
    },
  });
};
