/**
 * Memory: what an agent remembers. Search shows each recalled memory's score and its parts
 * (relevance, recency, importance) as a run would see them; the lists show lessons, episodes and facts,
 * and the reusable plans learned from successful runs. Administrators can delete a memory.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useAgents } from '../api/queries.ts';
import { useApi, useCan } from '../api/session.tsx';
import type { MemoryView, Page, ScoredMemoryView } from '../api/types.ts';
import { Markdown } from '../components/markdown.tsx';
import { age, score } from '../format.ts';
import { Link } from '../router.tsx';

/** A reusable plan (`GET /v1/memories/plans`). */
interface PlanView {
  id: string;
  agentId: string;
  goalText: string;
  steps: { tool: string; args: unknown }[];
  successes: number;
  failures: number;
  updatedAt: number;
}

const kinds = ['lesson', 'episode', 'fact', 'summary'] as const;

function DeleteButton({ id }: { id: string }) {
  const client = useApi();
  const queries = useQueryClient();
  const remove = useMutation({
    mutationFn: () => client.request('DELETE', `/v1/memories/${encodeURIComponent(id)}`),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['memories'] }),
  });
  return (
    <button
      type="button"
      className="link-button danger"
      disabled={remove.isPending}
      onClick={() => remove.mutate()}
    >
      {remove.error ? `delete failed: ${remove.error.message}` : 'Delete'}
    </button>
  );
}

function MemoryItem({ memory, canDelete }: { memory: MemoryView; canDelete: boolean }) {
  return (
    <div className="memory-text">
      <span className="badge badge-neutral">{memory.kind}</span>{' '}
      <span className="muted">
        importance {score(memory.importance)} · {age(memory.createdAt)}
        {memory.runId ? (
          <>
            {' '}
            · <Link to={`/runs/${encodeURIComponent(memory.runId)}`}>run</Link>
          </>
        ) : null}
      </span>{' '}
      {canDelete ? <DeleteButton id={memory.id} /> : null}
      <Markdown text={memory.text} />
    </div>
  );
}

/** The memory page. */
export default function MemoryPage() {
  const client = useApi();
  const agents = useAgents();
  const canDelete = useCan('memories:delete');
  const [agent, setAgent] = useState('default');
  const [query, setQuery] = useState('');
  const [submitted, setSubmitted] = useState('');
  const [kind, setKind] = useState<(typeof kinds)[number]>('lesson');
  const search = useQuery({
    queryKey: ['memories', 'search', agent, submitted],
    queryFn: ({ signal }) =>
      client.get<{ items: ScoredMemoryView[] }>(
        '/v1/memories/search',
        { q: submitted, agent, limit: 20 },
        signal,
      ),
    enabled: submitted !== '',
  });
  const list = useQuery({
    queryKey: ['memories', 'list', agent, kind],
    queryFn: ({ signal }) => client.get<Page<MemoryView>>('/v1/memories', { agent, kind, limit: 50 }, signal),
  });
  const plans = useQuery({
    queryKey: ['memories', 'plans', agent],
    queryFn: ({ signal }) => client.get<{ items: PlanView[] }>('/v1/memories/plans', { agent }, signal),
  });
  return (
    <section>
      <h1>Memory</h1>
      <label>
        Agent{' '}
        <select value={agent} onChange={(event) => setAgent(event.target.value)}>
          {(agents.data?.items ?? [{ id: 'default', name: 'default' }]).map((item) => (
            <option key={item.id} value={item.name}>
              {item.name}
            </option>
          ))}
        </select>
      </label>
      <form
        className="card"
        aria-label="search memories"
        onSubmit={(event) => {
          event.preventDefault();
          setSubmitted(query.trim());
        }}
      >
        <label>
          Search, as a run of this agent would recall
          <input
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            placeholder="which tool fails on quoted csv"
          />
        </label>
        <button type="submit" disabled={!query.trim()}>
          Search
        </button>
      </form>
      {search.error ? (
        <p role="alert" className="bad">
          {search.error.message}
        </p>
      ) : null}
      {search.data ? (
        <table className="list">
          <thead>
            <tr>
              <th scope="col" className="number">
                score
              </th>
              <th scope="col" className="number">
                relevance
              </th>
              <th scope="col" className="number">
                recency
              </th>
              <th scope="col" className="number">
                importance
              </th>
              <th scope="col">memory</th>
            </tr>
          </thead>
          <tbody>
            {search.data.items.map((item) => (
              <tr key={item.memory.id}>
                <td className="number">{score(item.score)}</td>
                <td className="number">{score(item.relevance)}</td>
                <td className="number">{score(item.recency)}</td>
                <td className="number">{score(item.importance)}</td>
                <td>
                  <MemoryItem memory={item.memory} canDelete={canDelete} />
                </td>
              </tr>
            ))}
            {search.data.items.length === 0 ? (
              <tr>
                <td colSpan={5} className="muted">
                  Nothing recalled.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
      <div className="tabs" role="tablist">
        {kinds.map((item) => (
          <button
            key={item}
            type="button"
            role="tab"
            aria-selected={kind === item}
            className={kind === item ? 'tab active' : 'tab'}
            onClick={() => setKind(item)}
          >
            {item}s
          </button>
        ))}
      </div>
      {list.error ? (
        <p role="alert" className="bad">
          {list.error.message}
        </p>
      ) : null}
      <ul className="list-plain">
        {list.data?.items.map((memory) => (
          <li key={memory.id}>
            <MemoryItem memory={memory} canDelete={canDelete} />
          </li>
        ))}
        {list.data?.items.length === 0 ? <li className="muted">No {kind}s yet.</li> : null}
      </ul>
      <h2>Reusable plans</h2>
      {plans.error ? <p className="muted">Plans are not available: {plans.error.message}</p> : null}
      <ul className="list-plain">
        {plans.data?.items.map((plan) => (
          <li key={plan.id}>
            <strong>{plan.goalText}</strong>{' '}
            <span className="muted">
              {plan.successes} successes · {plan.failures} failures · {age(plan.updatedAt)}
            </span>
            <ol>
              {plan.steps.map((step, index) => (
                <li key={index}>
                  <code>{step.tool}</code>
                </li>
              ))}
            </ol>
          </li>
        ))}
        {plans.data?.items.length === 0 ? <li className="muted">No reusable plans yet.</li> : null}
      </ul>
    </section>
  );
}
