/** The delegation tree under a run: each child with its state and goal, linked, and its own children. */
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/session.tsx';
import type { RunDetail, RunView } from '../api/types.ts';
import { Link } from '../router.tsx';
import { StatusBadge } from './status-badge.tsx';

function Node({ run, depth }: { run: RunView; depth: number }) {
  const client = useApi();
  // Children of children are fetched when shown (three levels by default, ARCHITECTURE's depth limit).
  const detail = useQuery({
    queryKey: ['run', run.id],
    queryFn: ({ signal }) =>
      client.get<RunDetail>(`/v1/runs/${encodeURIComponent(run.id)}`, undefined, signal),
    enabled: depth < 6,
  });
  const children = detail.data?.children ?? [];
  return (
    <li>
      <StatusBadge status={detail.data?.status ?? run.status} />{' '}
      <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.id}</Link>{' '}
      <span className="muted">{run.goal.text}</span>
      {children.length > 0 ? (
        <ul>
          {children.map((child) => (
            <Node key={child.id} run={child} depth={depth + 1} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** The tree of runs `run` delegated to, with a link up to its parent. */
export function DelegationTree({ run }: { run: RunDetail }) {
  return (
    <section className="delegation-tree" aria-label="delegation tree">
      {run.parentRunId ? (
        <p>
          Delegated by <Link to={`/runs/${encodeURIComponent(run.parentRunId)}`}>{run.parentRunId}</Link>
          {run.rootRunId !== run.parentRunId ? (
            <>
              {' '}
              (tree root <Link to={`/runs/${encodeURIComponent(run.rootRunId)}`}>{run.rootRunId}</Link>)
            </>
          ) : null}
        </p>
      ) : null}
      {run.children.length === 0 ? (
        <p className="muted">This run delegated nothing.</p>
      ) : (
        <ul className="tree">
          {run.children.map((child) => (
            <Node key={child.id} run={child} depth={1} />
          ))}
        </ul>
      )}
    </section>
  );
}
