/** The CLI's backend over the embedded store opened in this process: the app's services, as `cli`. */
import type { Explanation, RunEvent } from '@autonoma/core';
import type { App } from '../../app.ts';
import { toAgentView } from '../../api/views/agents.ts';
import { toAuditEntryView } from '../../api/views/audit.ts';
import {
  toConversationDetail,
  toConversationView,
  toSentMessageView,
} from '../../api/views/conversations.ts';
import { toMemoryView, toScoredMemoryView } from '../../api/views/memories.ts';
import { toOrganizationView } from '../../api/views/organization.ts';
import { toExplanationView, toRunDetail, toRunEventView, toRunView } from '../../api/views/runs.ts';
import { toScheduleView } from '../../api/views/schedules.ts';
import type { CliBackend } from './backend.ts';

/** The backend of an opened app, answering in the API's representation (the same output as remote). */
export function localBackend(app: App): CliBackend {
  const scope = app.localScope;
  const { runs, agents, memories, explain, audit, conversations, schedules, organization } = app.services;
  return {
    runs: {
      list: async (filter) => (await runs.list(scope, filter)).map(toRunView),
      get: async (runId) => {
        const run = await runs.get(scope, runId);
        return toRunDetail(run, await runs.list(scope, { parentRunId: run.id, limit: 1000 }));
      },
      // The API's event is core's event, re-read field for field (the same key order as over HTTP).
      events: async (runId, afterSeq) =>
        (await runs.events(scope, runId, afterSeq)).map((event) => toRunEventView(event) as RunEvent),
      cancel: async (runId, reason) => toRunView(await runs.cancel(scope, runId, reason)),
      resolveApproval: async (runId, callId, decision) => {
        const { run, changed } = await runs.resolveApproval(scope, runId, callId, decision);
        return { run: toRunView(run), changed };
      },
      explain: async (runId) => toExplanationView(await explain.explain(scope, runId)) as Explanation,
      answer: async (runId, text) => toRunView(await runs.answer(scope, runId, text)),
    },
    agents: {
      list: async () => (await agents.list(scope)).map(toAgentView),
      get: async (name) => toAgentView(await agents.get(scope, name)),
      put: async (spec) => toAgentView(await agents.put(scope, spec)),
      delete: (name) => agents.delete(scope, name),
    },
    memories: {
      list: async (filter) => {
        const agent = filter.agent === undefined ? undefined : await agents.get(scope, filter.agent);
        const found = await memories.list(scope, {
          limit: filter.limit,
          ...(agent ? { agentId: agent.id } : {}),
          ...(filter.kind ? { kind: filter.kind } : {}),
        });
        return found.map(toMemoryView);
      },
      search: async (query) => {
        const agent = await agents.get(scope, query.agent);
        const found = await memories.search(scope, {
          agentId: agent.id,
          text: query.text,
          limit: query.limit,
        });
        return found.map(toScoredMemoryView);
      },
      delete: (memoryId) => memories.delete(scope, memoryId),
    },
    audit: {
      list: async (filter) => (await audit.list(scope, filter)).map(toAuditEntryView),
      verify: () => audit.verify(scope),
    },
    conversations: {
      create: async (input) => toConversationView(await conversations.create(scope, input)),
      list: async (filter) => (await conversations.list(scope, filter)).map(toConversationView),
      get: async (conversationId, options = {}) => {
        const after =
          options.last === undefined
            ? 0
            : Math.max(0, (await conversations.get(scope, conversationId)).turns - options.last);
        const { conversation, messages } = await conversations.messages(scope, conversationId, {
          afterSeq: after,
        });
        return toConversationDetail(conversation, messages);
      },
      // Queued with its job, as through the API: a queue's consumer (serve, worker) advances it.
      send: async (conversationId, text) =>
        toSentMessageView(await conversations.send(scope, conversationId, text, { enqueue: true })),
      delete: (conversationId) => conversations.delete(scope, conversationId),
    },
    schedules: {
      create: async (input) => toScheduleView(await schedules.create(scope, input)),
      list: async () => (await schedules.list(scope)).map(toScheduleView),
      pause: async (scheduleId) => toScheduleView(await schedules.pause(scope, scheduleId)),
      resume: async (scheduleId) => toScheduleView(await schedules.resume(scope, scheduleId)),
      delete: (scheduleId) => schedules.delete(scope, scheduleId),
    },
    organization: {
      get: async () => toOrganizationView(await organization.get(scope)),
      update: async (settings) => toOrganizationView(await organization.update(scope, settings)),
    },
  };
}
