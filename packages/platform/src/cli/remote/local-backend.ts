/** The CLI's backend over the embedded store opened in this process: the app's services, as `cli`. */
import type { Explanation, RunEvent } from '@autonoma/core';
import type { App } from '../../app.ts';
import { toAgentView } from '../../api/views/agents.ts';
import { toAuditEntryView } from '../../api/views/audit.ts';
import { toMemoryView, toScoredMemoryView } from '../../api/views/memories.ts';
import { toExplanationView, toRunDetail, toRunEventView, toRunView } from '../../api/views/runs.ts';
import type { CliBackend } from './backend.ts';

/** The backend of an opened app, answering in the API's representation (the same output as remote). */
export function localBackend(app: App): CliBackend {
  const scope = app.localScope;
  const { runs, agents, memories, explain, audit } = app.services;
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
  };
}
