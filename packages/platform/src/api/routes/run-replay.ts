/**
 * `POST /v1/runs/:id/replay`: `autonoma replay` through the API (docs/learning.md). The run's recorded
 * decisions are re-run through the real loop on a throwaway store, calling no model and no tool, and
 * compared with the run's journal and end. It changes nothing, so reading the run is enough to ask;
 * it costs a throwaway store (about a second), so it is a POST and rate-limited like any request.
 */
import { RunStatus } from '@autonoma/core';
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { errorResponses } from '../views/common.ts';
import type { ApiRoutes } from './route-deps.ts';
import { RunParams } from './runs.ts';

/** What a replay found. */
export const ReplayReportView = z
  .object({
    matches: z.boolean(),
    divergence: z.string().optional().describe('the first difference, in words, when it does not match'),
    steps: z.number().int().describe('steps the replay took'),
    recordedSteps: z.number().int().describe('steps the run took'),
    toolCalls: z.number().int(),
    status: RunStatus.describe('how the replay ended'),
    answer: z.string().nullable(),
    calls: z.array(
      z.object({ callId: z.string(), tool: z.string(), args: z.unknown(), ok: z.boolean().nullable() }),
    ),
  })
  .meta({ id: 'ReplayReport' });

/** The replay route. */
export const runReplayRoutes: ApiRoutes = (api, { services }) => {
  api.post('/runs/:id/replay', {
    config: { permission: 'runs:read' },
    schema: {
      tags: ['runs'],
      summary: "Replay a finished run's recorded decisions and check they reproduce it",
      description:
        'Calls no model and no tool; 400 `invalid_input` when the run has not ended. `matches` false names the ' +
        'first difference in `divergence`.',
      params: RunParams,
      response: { 200: ReplayReportView, ...errorResponses },
    },
    handler: async (request) => services.replay.replay(scopeOf(request), request.params.id),
  });
};
