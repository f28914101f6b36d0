/** `/v1/runs`: create (idempotent), list, get, cancel, approvals, input, explanation. Streams: run-events.ts. */
import { createHash } from 'node:crypto';
import type { RunStatus } from '@autonoma/core';
import { RunStatus as RunStatusSchema, stableStringify } from '@autonoma/core';
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { requestError } from '../errors.ts';
import { cursorQuery, errorResponses, limitQuery, page, pathId } from '../views/common.ts';
import {
  ApprovalBody,
  ApprovalResult,
  CancelBody,
  CreateRunBody,
  InputBody,
  ExplanationView,
  RunDetail,
  RunView,
  toExplanationView,
  toRunDetail,
  toRunView,
} from '../views/runs.ts';
import type { ApiRoutes } from './route-deps.ts';

/** Params of routes under a run. */
export const RunParams = z.strictObject({ id: pathId.describe('run id') });
const tags = ['runs'];

const ListQuery = z.strictObject({
  status: z.string().max(500).optional().describe('comma-separated run states'),
  agent: z.string().min(1).max(200).optional().describe('agent name or id'),
  parentRunId: z.string().min(1).max(200).optional().describe('only the runs this run delegated to'),
  conversationId: z.string().min(1).max(200).optional().describe("only this conversation's turns"),
  limit: limitQuery(20, 1000),
  cursor: cursorQuery,
});

const statusesOf = (value: string): RunStatus[] =>
  value.split(',').map((part) => {
    const parsed = RunStatusSchema.safeParse(part.trim());
    if (!parsed.success)
      throw requestError(
        'query.status',
        `unknown run status '${part.trim()}'; one of ${RunStatusSchema.options.join(', ')}`,
      );
    return parsed.data;
  });

/** The hash an Idempotency-Key is stored with: the request body, whatever its key order. */
const requestHash = (body: z.infer<typeof CreateRunBody>): string =>
  createHash('sha256').update(stableStringify(body)).digest('hex');

/** The run routes. */
export const runRoutes: ApiRoutes = (api, { services, onRunnable }) => {
  const runs = services.runs;

  api.post('/runs', {
    // The service writes this request's audit entry, in the run's own transaction.
    config: { permission: 'runs:create', audit: false },
    schema: {
      tags,
      summary: 'Start a run',
      description:
        'Answers 201 once the run is stored (committed) and queued, with its audit entry. With an ' +
        '`Idempotency-Key`, the same key and body within 24 hours answer 200 with the same run; the same ' +
        "key with another body answers 422. Beyond the organization's quota of runs queued or running, 429.",
      headers: z.looseObject({
        'idempotency-key': z.string().min(1).max(255).optional().describe('makes a retried POST safe'),
      }),
      body: CreateRunBody,
      response: { 200: RunView, 201: RunView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const key = request.headers['idempotency-key'];
      const target = request.url.split('?')[0] ?? '/v1/runs';
      // One transaction stores the run and its first job (the outbox) after checking the organization's
      // quota on runs queued or running (429 beyond it; other organizations go on), with the audit
      // entry the request audit would otherwise write after it (see api/request-audit.ts).
      const { run, created } = await runs.create(scopeOf(request), {
        goal: body.goal,
        ...(body.spec ? { spec: body.spec } : {}),
        ...(body.agent ? { agent: body.agent } : {}),
        ...(body.priority ? { priority: body.priority } : {}),
        ...(body.budgets ? { budgets: body.budgets } : {}),
        ...(key ? { idempotencyKey: key, requestHash: requestHash(body) } : {}),
        enqueue: true,
        quota: services.runQuota.limit,
        audit: (outcome) => ({
          action: 'api.runs.create',
          target,
          detail: {
            method: request.method,
            route: request.routeOptions.url ?? '',
            status: outcome.created ? 201 : 200,
            requestId: request.id,
            runId: outcome.runId,
          },
        }),
      });
      if (created) onRunnable(run);
      return reply
        .code(created ? 201 : 200)
        .header('location', `/v1/runs/${run.id}`)
        .send(toRunView(run));
    },
  });

  api.get('/runs', {
    config: { permission: 'runs:read' },
    schema: {
      tags,
      summary: 'List runs, newest first',
      querystring: ListQuery,
      response: { 200: page(RunView), ...errorResponses },
    },
    handler: async (request) => {
      const scope = scopeOf(request);
      const query = request.query;
      const status = query.status === undefined ? undefined : statusesOf(query.status);
      let agentId: string | undefined;
      if (query.agent !== undefined) {
        const agent = await services.agents.get(scope, query.agent).catch(() => undefined);
        // An agent that does not exist has no runs.
        if (!agent) return { items: [], nextCursor: null };
        agentId = agent.id;
      }
      const found = await runs.list(scope, {
        limit: query.limit + 1,
        ...(status ? { status } : {}),
        ...(agentId ? { agentId } : {}),
        ...(query.parentRunId ? { parentRunId: query.parentRunId } : {}),
        ...(query.conversationId ? { conversationId: query.conversationId } : {}),
        ...(query.cursor ? { before: decodeCursor('runs', query.cursor, 'string') } : {}),
      });
      const items = found.slice(0, query.limit);
      const last = items.at(-1);
      return {
        items: items.map(toRunView),
        nextCursor: found.length > query.limit && last ? encodeCursor('runs', last.id) : null,
      };
    },
  });

  api.get('/runs/:id', {
    config: { permission: 'runs:read' },
    schema: {
      tags,
      summary: 'Get a run, with the runs it delegated to',
      params: RunParams,
      response: { 200: RunDetail, ...errorResponses },
    },
    handler: async (request) => {
      const scope = scopeOf(request);
      const run = await runs.get(scope, request.params.id);
      return toRunDetail(run, await runs.list(scope, { parentRunId: run.id, limit: 1000 }));
    },
  });

  api.post('/runs/:id/cancel', {
    config: { permission: 'runs:cancel' },
    schema: {
      tags,
      summary: 'Cancel a run',
      description: 'In-flight tools are aborted and no new step starts; the run ends `cancelled`.',
      params: RunParams,
      body: CancelBody,
      response: { 200: RunView, ...errorResponses },
    },
    handler: async (request) =>
      toRunView(await runs.cancel(scopeOf(request), request.params.id, request.body?.reason)),
  });

  api.post('/runs/:id/approvals/:callId', {
    config: { permission: 'runs:approve' },
    schema: {
      tags,
      summary: 'Approve or deny a tool call the run waits on',
      params: RunParams.extend({ callId: pathId.describe('tool call id (from `approval-request`)') }),
      body: ApprovalBody,
      response: { 200: ApprovalResult, ...errorResponses },
    },
    handler: async (request) => {
      const { approve, reason } = request.body;
      const { run, changed } = await runs.resolveApproval(
        scopeOf(request),
        request.params.id,
        request.params.callId,
        {
          approved: approve,
          ...(reason ? { reason } : {}),
        },
      );
      if (changed && run.status === 'queued') onRunnable(run);
      return { run: toRunView(run), changed };
    },
  });

  api.post('/runs/:id/input', {
    config: { permission: 'runs:answer' },
    schema: {
      tags,
      summary: 'Answer the question a run waits on (`ask_user`)',
      description:
        'The answer becomes the result of the run’s `ask_user` call, and the run is queued again with its ' +
        'job, in one transaction. 409 `not_waiting_input` when the run asks nothing (already answered, ' +
        'never asked, or ended).',
      params: RunParams,
      body: InputBody,
      response: { 200: RunView, ...errorResponses },
    },
    handler: async (request) => {
      const run = await runs.answer(scopeOf(request), request.params.id, request.body.answer);
      onRunnable(run);
      return toRunView(run);
    },
  });

  api.get('/runs/:id/explanation', {
    config: { permission: 'runs:read' },
    schema: {
      tags,
      summary: 'Why the run did what it did: per step, the options, scores, choice and reason',
      params: RunParams,
      response: { 200: ExplanationView, ...errorResponses },
    },
    handler: async (request) =>
      toExplanationView(await services.explain.explain(scopeOf(request), request.params.id)),
  });
};
