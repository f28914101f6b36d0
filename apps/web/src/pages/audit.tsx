/** Audit: the hash-chained log with filters, and whether the chain verifies. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../api/session.tsx';
import type { AuditEntryView, AuditVerification, Page } from '../api/types.ts';
import { formatValue } from '../components/json-value.tsx';
import { dateTime } from '../format.ts';

/** The audit page. */
export default function AuditPage() {
  const client = useApi();
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const [filters, setFilters] = useState({ action: '', target: '' });
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const entries = useQuery({
    queryKey: ['audit', filters, cursor],
    queryFn: ({ signal }) =>
      client.get<Page<AuditEntryView>>(
        '/v1/audit',
        { action: filters.action, target: filters.target, limit: 100, cursor },
        signal,
      ),
  });
  const verification = useQuery({
    queryKey: ['audit', 'verify'],
    queryFn: ({ signal }) => client.get<AuditVerification>('/v1/audit/verify', undefined, signal),
    enabled: false,
  });
  return (
    <section>
      <h1>Audit log</h1>
      <div className="card verify">
        <button type="button" onClick={() => void verification.refetch()} disabled={verification.isFetching}>
          Verify the chain
        </button>{' '}
        {verification.data ? (
          <span role="status" className={verification.data.intact ? 'good' : 'bad'}>
            {verification.data.intact
              ? 'The chain is intact: every entry’s hash verifies.'
              : `The chain is broken at entry ${verification.data.brokenAt ?? '?'}.`}
          </span>
        ) : null}
        {verification.error ? <span className="bad">{verification.error.message}</span> : null}
      </div>
      <form
        className="filters"
        aria-label="filter the audit log"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters({ action: action.trim(), target: target.trim() });
          setCursors([undefined]);
        }}
      >
        <label>
          Action{' '}
          <input
            value={action}
            onChange={(event) => setAction(event.target.value)}
            placeholder="approval.resolve"
          />
        </label>
        <label>
          Target{' '}
          <input
            value={target}
            onChange={(event) => setTarget(event.target.value)}
            placeholder="run id, call key…"
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      {entries.error ? (
        <p role="alert" className="bad">
          {entries.error.message}
        </p>
      ) : null}
      <table className="list audit">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">time</th>
            <th scope="col">actor</th>
            <th scope="col">action</th>
            <th scope="col">target</th>
            <th scope="col">detail</th>
          </tr>
        </thead>
        <tbody>
          {entries.data?.items.map((entry) => (
            <tr key={entry.id} data-action={entry.action}>
              <td className="number" title={`hash ${entry.hash}`}>
                {entry.id}
              </td>
              <td>{dateTime(entry.at)}</td>
              <td>{entry.actor}</td>
              <td>
                <code>{entry.action}</code>
              </td>
              <td>
                <code>{entry.target}</code>
              </td>
              <td>
                <pre className="inline">{formatValue(entry.detail)}</pre>
              </td>
            </tr>
          ))}
          {entries.data?.items.length === 0 ? (
            <tr>
              <td colSpan={6} className="muted">
                No entries.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          ← Earlier
        </button>
        <button
          type="button"
          disabled={!entries.data?.nextCursor}
          onClick={() => entries.data?.nextCursor && setCursors([...cursors, entries.data.nextCursor])}
        >
          Later →
        </button>
      </div>
    </section>
  );
}
