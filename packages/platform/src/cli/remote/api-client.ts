/**
 * The CLI's backend over the HTTP API: a server (`--server URL`) or the control socket of the process
 * holding the embedded store. Answers are read with the API's own schemas, so the CLI prints exactly
 * what it prints from the embedded store.
 */
import type { AgentSpec, Explanation, RunEvent } from '@autonoma/core';
import { z } from 'zod';
import { encodeCursor } from '../../api/cursor.ts';
import { AgentView } from '../../api/views/agents.ts';
import { AuditEntryView, AuditVerification } from '../../api/views/audit.ts';
import { ConversationDetail, ConversationView, SentMessageView } from '../../api/views/conversations.ts';
import { MemoryView, ScoredMemoryView } from '../../api/views/memories.ts';
import { OrganizationView } from '../../api/views/organization.ts';
import type { CreateRunBody } from '../../api/views/runs.ts';
import { ApprovalResult, ExplanationView, RunDetail, RunEventView, RunView } from '../../api/views/runs.ts';
import { ScheduleView } from '../../api/views/schedules.ts';
import type {
  AgentsBackend,
  AuditBackend,
  CliBackend,
  ConversationsBackend,
  MemoriesBackend,
  OrganizationBackend,
  RunsBackend,
  SchedulesBackend,
} from './backend.ts';
import type { HttpTransport } from './http-transport.ts';
import { answerError } from './http-transport.ts';
import { createSseParser } from './sse-parser.ts';

/** How a followed run's stream ended. */
export type FollowEnd = 'ended' | 'stopped';

/** Options of {@link ApiClient.followRun}. */
export interface FollowOptions {
  /** The last `seq` already seen. @default 0 */
  afterSeq?: number;
  /** Called for each event in order; return true to stop following (the run goes on). */
  onEvent(event: RunEvent): boolean | void;
  signal?: AbortSignal;
  /** Reconnections after a dropped stream before giving up. @default 10 */
  reconnects?: number;
}

const path = (...parts: string[]): string => parts.map(encodeURIComponent).join('/');
const query = (values: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A client of one Autonoma server. */
export class ApiClient implements CliBackend {
  readonly transport: HttpTransport;
  readonly runs: RunsBackend;
  readonly agents: AgentsBackend;
  readonly memories: MemoriesBackend;
  readonly audit: AuditBackend;
  readonly conversations: ConversationsBackend;
  readonly schedules: SchedulesBackend;
  readonly organization: OrganizationBackend;

  constructor(transport: HttpTransport) {
    this.transport = transport;
    const get = async <T extends z.ZodType>(url: string, schema: T): Promise<z.infer<T>> =>
      schema.parse((await transport.json({ method: 'GET', path: url })).body);
    const send = async <T extends z.ZodType>(
      method: string,
      url: string,
      body: unknown,
      schema: T,
    ): Promise<z.infer<T>> => schema.parse((await transport.json({ method, path: url, body })).body);
    this.runs = {
      list: async (filter) =>
        (
          await get(
            `/v1/runs${query({
              limit: filter.limit,
              status: filter.status?.join(','),
              parentRunId: filter.parentRunId,
              conversationId: filter.conversationId,
            })}`,
            items(RunView),
          )
        ).items,
      get: (runId) => get(`/v1/runs/${path(runId)}`, RunDetail),
      events: async (runId, afterSeq) =>
        (
          await get(
            `/v1/runs/${path(runId)}/events${query({ fromSeq: afterSeq ? afterSeq + 1 : undefined })}`,
            items(RunEventView),
          )
        ).items as RunEvent[],
      cancel: (runId, reason) =>
        send('POST', `/v1/runs/${path(runId)}/cancel`, reason === undefined ? {} : { reason }, RunView),
      resolveApproval: (runId, callId, decision) =>
        send(
          'POST',
          `/v1/runs/${path(runId, 'approvals', callId)}`,
          { approve: decision.approved, ...(decision.reason ? { reason: decision.reason } : {}) },
          ApprovalResult,
        ),
      explain: async (runId) =>
        (await get(`/v1/runs/${path(runId)}/explanation`, ExplanationView)) as Explanation,
      answer: (runId, text) => send('POST', `/v1/runs/${path(runId)}/input`, { answer: text }, RunView),
    };
    this.agents = {
      list: async () => (await get('/v1/agents', items(AgentView))).items,
      get: (name) => get(`/v1/agents/${path(name)}`, AgentView),
      put: (spec: AgentSpec) => send('PUT', `/v1/agents/${path(spec.name)}`, spec, AgentView),
      delete: async (name) => {
        await transport.json({ method: 'DELETE', path: `/v1/agents/${path(name)}` });
      },
    };
    this.memories = {
      list: async (filter) =>
        (
          await get(
            `/v1/memories${query({ limit: filter.limit, agent: filter.agent, kind: filter.kind })}`,
            items(MemoryView),
          )
        ).items,
      search: async (search) =>
        (
          await get(
            `/v1/memories/search${query({ q: search.text, agent: search.agent, limit: search.limit })}`,
            items(ScoredMemoryView),
          )
        ).items,
      delete: async (memoryId) => {
        await transport.json({ method: 'DELETE', path: `/v1/memories/${path(memoryId)}` });
      },
    };
    this.audit = {
      list: async (filter) => {
        const cursor = filter.afterId === undefined ? undefined : encodeCursor('audit', filter.afterId);
        const url = `/v1/audit${query({ limit: filter.limit, action: filter.action, target: filter.target, cursor })}`;
        return (await get(url, items(AuditEntryView))).items;
      },
      verify: () => get('/v1/audit/verify', AuditVerification),
    };
    this.conversations = {
      create: (input) => send('POST', '/v1/conversations', input, ConversationView),
      list: async (filter) =>
        (await get(`/v1/conversations${query({ limit: filter.limit })}`, items(ConversationView))).items,
      get: (conversationId, options = {}) =>
        get(`/v1/conversations/${path(conversationId)}${query({ last: options.last })}`, ConversationDetail),
      send: (conversationId, text) =>
        send('POST', `/v1/conversations/${path(conversationId, 'messages')}`, { text }, SentMessageView),
      delete: async (conversationId) => {
        await transport.json({ method: 'DELETE', path: `/v1/conversations/${path(conversationId)}` });
      },
    };
    this.schedules = {
      create: (input) => send('POST', '/v1/schedules', input, ScheduleView),
      list: async () => (await get('/v1/schedules', items(ScheduleView))).items,
      pause: (scheduleId) =>
        send('POST', `/v1/schedules/${path(scheduleId, 'pause')}`, undefined, ScheduleView),
      resume: (scheduleId) =>
        send('POST', `/v1/schedules/${path(scheduleId, 'resume')}`, undefined, ScheduleView),
      delete: async (scheduleId) => {
        await transport.json({ method: 'DELETE', path: `/v1/schedules/${path(scheduleId)}` });
      },
    };
    this.organization = {
      get: () => get('/v1/organization', OrganizationView),
      update: (settings) => send('PATCH', '/v1/organization', { settings }, OrganizationView),
    };
  }

  /** Starts a run (`POST /v1/runs`); the key makes a retried request safe. */
  async startRun(body: CreateRunBody, idempotencyKey: string): Promise<RunView> {
    const { body: run } = await this.transport.json<unknown>({
      method: 'POST',
      path: '/v1/runs',
      body,
      headers: { 'idempotency-key': idempotencyKey },
    });
    return RunView.parse(run);
  }

  /**
   * Follows a run's live events (SSE) until `run-end`, or until `onEvent` says stop. A dropped
   * connection is resumed from the last `seq` seen (`Last-Event-ID`): no event is missed or repeated.
   */
  async followRun(runId: string, options: FollowOptions): Promise<FollowEnd> {
    let lastSeq = options.afterSeq ?? 0;
    let failures = 0;
    const allowed = options.reconnects ?? 10;
    for (;;) {
      const outcome = await this.#followOnce(runId, lastSeq, options, (seq) => {
        lastSeq = seq;
        failures = 0;
      }).catch((error: unknown) => {
        if (options.signal?.aborted || failures >= allowed) throw error;
        return 'dropped' as const;
      });
      if (outcome !== 'dropped') return outcome;
      failures += 1;
      if (failures > allowed) throw answerError(503, '');
      await sleep(Math.min(200 * 2 ** failures, 5000));
    }
  }

  async #followOnce(
    runId: string,
    afterSeq: number,
    options: FollowOptions,
    seen: (seq: number) => void,
  ): Promise<FollowEnd | 'dropped'> {
    const response = await this.transport.open({
      method: 'GET',
      path: `/v1/runs/${path(runId)}/events`,
      headers: {
        accept: 'text/event-stream',
        ...(afterSeq > 0 ? { 'last-event-id': String(afterSeq) } : {}),
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const status = response.statusCode ?? 0;
    if (status >= 400) {
      let text = '';
      response.setEncoding('utf8');
      for await (const chunk of response) text += String(chunk);
      throw Object.assign(answerError(status, text), { final: true });
    }
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (outcome: FollowEnd | 'dropped'): void => {
        if (done) return;
        done = true;
        response.destroy();
        resolve(outcome);
      };
      const parse = createSseParser((message) => {
        if (done) return;
        if (message.event === 'stream-error') return finish('dropped');
        let event: RunEvent;
        try {
          event = RunEventView.parse(JSON.parse(message.data)) as RunEvent;
        } catch (error) {
          done = true;
          response.destroy();
          return reject(error);
        }
        if (event.seq > 0) seen(event.seq);
        const stop = options.onEvent(event);
        if (event.type === 'run-end') finish('ended');
        else if (stop === true) finish('stopped');
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parse(chunk));
      response.on('end', () => finish('dropped'));
      response.on('error', () => finish('dropped'));
      response.on('close', () => finish('dropped'));
    });
  }
}
