/**
 * Agents: the list, and an editor for one (instructions, brain, tools from `/v1/tools`, budgets,
 * approval policy, MCP servers). Administrators create, edit and delete; everyone else reads.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useAgents, useTools } from '../api/queries.ts';
import { useApi, useCan } from '../api/session.tsx';
import type { AgentView } from '../api/types.ts';
import { Link, useRouter } from '../router.tsx';

type Brain = AgentView['brain'];
type MinRisk = AgentView['approval']['minRisk'];

interface Draft {
  name: string;
  instructions: string;
  brain: Brain;
  /** Undefined: every built-in below high risk (the default). */
  tools: string[] | undefined;
  shellAllow: string;
  maxSteps: string;
  maxTokens: string;
  maxCostUsd: string;
  maxWallMinutes: string;
  minRisk: MinRisk;
  approvalTools: string[];
  mcpServers: string;
  concurrency: string;
  workingTokens: string;
  recallLimit: string;
}

const draftOf = (agent: AgentView | undefined): Draft => ({
  name: agent?.name ?? '',
  instructions: agent?.instructions ?? '',
  brain: agent?.brain ?? 'auto',
  tools: agent?.tools,
  shellAllow: (agent?.shellAllow ?? []).join(', '),
  maxSteps: String(agent?.budgets.maxSteps ?? 50),
  maxTokens: agent?.budgets.maxTokens ? String(agent.budgets.maxTokens) : '',
  maxCostUsd: agent?.budgets.maxCostUsd ? String(agent.budgets.maxCostUsd) : '',
  maxWallMinutes: String((agent?.budgets.maxWallMs ?? 30 * 60_000) / 60_000),
  minRisk: agent?.approval.minRisk ?? 'high',
  approvalTools: agent?.approval.tools ?? [],
  mcpServers: JSON.stringify(agent?.mcpServers ?? [], null, 2),
  concurrency: String(agent?.concurrency ?? 10),
  workingTokens: String(agent?.memory.workingTokens ?? 8000),
  recallLimit: String(agent?.memory.recallLimit ?? 5),
});

const positive = (text: string): number | undefined => {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) && value > 0 ? value : undefined;
};

/** The body of `POST`/`PUT /v1/agents`; throws a message for people on a bad field. */
function bodyOf(draft: Draft): Record<string, unknown> {
  let mcpServers: unknown;
  try {
    mcpServers = JSON.parse(draft.mcpServers || '[]');
  } catch {
    throw new Error('MCP servers: not valid JSON');
  }
  const wall = positive(draft.maxWallMinutes);
  const budgets = {
    ...(positive(draft.maxSteps) ? { maxSteps: Math.round(positive(draft.maxSteps) as number) } : {}),
    ...(positive(draft.maxTokens) ? { maxTokens: Math.round(positive(draft.maxTokens) as number) } : {}),
    ...(positive(draft.maxCostUsd) ? { maxCostUsd: positive(draft.maxCostUsd) } : {}),
    ...(wall ? { maxWallMs: Math.round(wall * 60_000) } : {}),
  };
  return {
    name: draft.name,
    instructions: draft.instructions,
    brain: draft.brain,
    ...(draft.tools ? { tools: draft.tools } : {}),
    shellAllow: draft.shellAllow
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
    budgets,
    approval: { minRisk: draft.minRisk, tools: draft.approvalTools },
    mcpServers,
    concurrency: Math.round(positive(draft.concurrency) ?? 10),
    // Sent back as they were (or edited): a PUT replaces the whole definition.
    memory: {
      workingTokens: Math.round(positive(draft.workingTokens) ?? 8000),
      recallLimit: Math.max(0, Math.round(Number(draft.recallLimit) || 0)),
    },
  };
}

function AgentEditor({ agent, canWrite }: { agent: AgentView | undefined; canWrite: boolean }) {
  const client = useApi();
  const queries = useQueryClient();
  const tools = useTools();
  const { navigate } = useRouter();
  const [draft, setDraft] = useState<Draft>(() => draftOf(agent));
  const set = <K extends keyof Draft>(key: K, value: Draft[K]): void => setDraft({ ...draft, [key]: value });
  const save = useMutation({
    mutationFn: async () => {
      const body = bodyOf(draft);
      return agent
        ? client.request<AgentView>('PUT', `/v1/agents/${encodeURIComponent(agent.name)}`, { body })
        : client.request<AgentView>('POST', '/v1/agents', { body });
    },
    onSuccess: (saved) => {
      void queries.invalidateQueries({ queryKey: ['agents'] });
      navigate(`/agents/${encodeURIComponent(saved.name)}`);
    },
  });
  const remove = useMutation({
    mutationFn: () => client.request('DELETE', `/v1/agents/${encodeURIComponent(agent?.name ?? '')}`),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['agents'] });
      navigate('/agents');
    },
  });
  const toolNames = tools.data?.items.map((tool) => tool.name) ?? [];
  const toggle = (list: string[], name: string): string[] =>
    list.includes(name) ? list.filter((item) => item !== name) : [...list, name];
  return (
    <form
      className="card agent-editor"
      aria-label={agent ? `agent ${agent.name}` : 'new agent'}
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <fieldset disabled={!canWrite}>
        <h2>{agent ? agent.name : 'New agent'}</h2>
        <label>
          Name
          <input
            value={draft.name}
            onChange={(event) => set('name', event.target.value)}
            required
            disabled={Boolean(agent)}
          />
        </label>
        <label>
          Instructions
          <textarea
            value={draft.instructions}
            onChange={(event) => set('instructions', event.target.value)}
            rows={5}
          />
        </label>
        <label>
          Brain
          <select value={draft.brain} onChange={(event) => set('brain', event.target.value as Brain)}>
            <option value="auto">auto (model when one is configured)</option>
            <option value="model">model</option>
            <option value="planner">planner (offline)</option>
          </select>
        </label>
        <fieldset>
          <legend>Tools</legend>
          <label className="inline">
            <input
              type="checkbox"
              checked={draft.tools === undefined}
              onChange={(event) => set('tools', event.target.checked ? undefined : [])}
            />
            every built-in below high risk (default)
          </label>
          {draft.tools !== undefined ? (
            <div className="chips">
              {tools.data?.items.map((tool) => (
                <label
                  key={tool.name}
                  className={draft.tools?.includes(tool.name) ? 'chip on' : 'chip'}
                  title={tool.description}
                >
                  <input
                    type="checkbox"
                    checked={draft.tools?.includes(tool.name) ?? false}
                    onChange={() => set('tools', toggle(draft.tools ?? [], tool.name))}
                  />
                  {tool.name} <span className="muted">({tool.risk})</span>
                </label>
              ))}
            </div>
          ) : null}
        </fieldset>
        <label>
          Commands shell_exec may run (comma-separated)
          <input value={draft.shellAllow} onChange={(event) => set('shellAllow', event.target.value)} />
        </label>
        <fieldset className="row">
          <legend>Budgets</legend>
          <label>
            Max steps
            <input
              inputMode="numeric"
              value={draft.maxSteps}
              onChange={(event) => set('maxSteps', event.target.value)}
            />
          </label>
          <label>
            Max tokens
            <input
              inputMode="numeric"
              value={draft.maxTokens}
              onChange={(event) => set('maxTokens', event.target.value)}
            />
          </label>
          <label>
            Max cost (USD)
            <input
              inputMode="decimal"
              value={draft.maxCostUsd}
              onChange={(event) => set('maxCostUsd', event.target.value)}
            />
          </label>
          <label>
            Max wall time (min)
            <input
              inputMode="decimal"
              value={draft.maxWallMinutes}
              onChange={(event) => set('maxWallMinutes', event.target.value)}
            />
          </label>
          <label>
            Concurrent runs
            <input
              inputMode="numeric"
              value={draft.concurrency}
              onChange={(event) => set('concurrency', event.target.value)}
            />
          </label>
        </fieldset>
        <fieldset className="row">
          <legend>Memory</legend>
          <label>
            Working memory (tokens)
            <input
              inputMode="numeric"
              value={draft.workingTokens}
              onChange={(event) => set('workingTokens', event.target.value)}
            />
          </label>
          <label>
            Memories recalled at start
            <input
              inputMode="numeric"
              value={draft.recallLimit}
              onChange={(event) => set('recallLimit', event.target.value)}
            />
          </label>
        </fieldset>
        <fieldset>
          <legend>Approval policy</legend>
          <label>
            Calls at or above this risk wait for a person
            <select value={draft.minRisk} onChange={(event) => set('minRisk', event.target.value as MinRisk)}>
              <option value="low">low</option>
              <option value="medium">medium</option>
              <option value="high">high</option>
              <option value="none">none (only the tools below)</option>
            </select>
          </label>
          <div className="chips" aria-label="tools that always need approval">
            {toolNames.map((name) => (
              <label key={name} className={draft.approvalTools.includes(name) ? 'chip on' : 'chip'}>
                <input
                  type="checkbox"
                  checked={draft.approvalTools.includes(name)}
                  onChange={() => set('approvalTools', toggle(draft.approvalTools, name))}
                />
                {name}
              </label>
            ))}
          </div>
        </fieldset>
        <label>
          MCP servers (JSON:{' '}
          {'[{ "transport": "stdio", "name", "command", "args" } | { "transport": "http", "name", "url" }]'})
          <textarea
            className="code"
            value={draft.mcpServers}
            onChange={(event) => set('mcpServers', event.target.value)}
            rows={4}
          />
        </label>
      </fieldset>
      {canWrite ? (
        <div className="buttons">
          <button type="submit" className="primary" disabled={save.isPending}>
            {agent ? 'Save' : 'Create agent'}
          </button>
          {agent && agent.name !== 'default' ? (
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Delete the agent ${agent.name}?`)) remove.mutate();
              }}
            >
              Delete
            </button>
          ) : null}
        </div>
      ) : null}
      {save.error ? (
        <p role="alert" className="bad">
          {save.error.message}
        </p>
      ) : null}
      {remove.error ? (
        <p role="alert" className="bad">
          {remove.error.message}
        </p>
      ) : null}
    </form>
  );
}

/** The agents page. */
export default function AgentsPage() {
  const agents = useAgents();
  const canWrite = useCan('agents:write');
  const { location } = useRouter();
  const selected = decodeURIComponent(location.pathname.split('/')[2] ?? '');
  const agent = agents.data?.items.find((item) => item.name === selected);
  return (
    <section className="split">
      <div>
        <h1>Agents</h1>
        {canWrite ? (
          <p>
            <Link to="/agents/new">+ New agent</Link>
          </p>
        ) : null}
        {agents.error ? (
          <p role="alert" className="bad">
            {agents.error.message}
          </p>
        ) : null}
        <ul className="list-plain">
          {agents.data?.items.map((item) => (
            <li key={item.id} className={item.name === selected ? 'selected' : undefined}>
              <Link to={`/agents/${encodeURIComponent(item.name)}`}>{item.name}</Link>{' '}
              <span className="muted">
                {item.brain} · {item.tools ? `${item.tools.length} tools` : 'default tools'}
              </span>
            </li>
          ))}
        </ul>
      </div>
      <div>
        {selected === 'new' && canWrite ? <AgentEditor key="new" agent={undefined} canWrite /> : null}
        {agent ? (
          <AgentEditor key={`${agent.name}:${agent.updatedAt}`} agent={agent} canWrite={canWrite} />
        ) : null}
        {selected && selected !== 'new' && agents.data && !agent ? (
          <p className="bad">No agent named {selected}.</p>
        ) : null}
      </div>
    </section>
  );
}
