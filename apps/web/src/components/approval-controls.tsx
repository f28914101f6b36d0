/**
 * A tool call waiting for a person: what it would do (tool, arguments, risk, why it needs approval),
 * and for those allowed to decide, Approve and Deny with an optional reason. Viewers see the request
 * and no control (the API refuses them anyway).
 */
import { useState } from 'react';
import type { EventOf } from '../api/types.ts';
import { JsonValue } from './json-value.tsx';

/** What a decision sends: `POST /v1/runs/:id/approvals/:callId` `{ approve, reason? }`. */
export interface ApprovalDecision {
  approve: boolean;
  reason?: string;
}

type Request = Pick<EventOf<'approval-request'>, 'callId' | 'tool' | 'args' | 'risk' | 'reason'>;

/** Props of {@link ApprovalControls}. */
export interface ApprovalControlsProps {
  request: Request;
  /** How it was resolved, once it was. */
  resolution?: Pick<EventOf<'approval-resolve'>, 'approved' | 'reason' | 'by'> | undefined;
  /** False for viewers: no controls. */
  canDecide: boolean;
  onDecide(decision: ApprovalDecision): Promise<void>;
}

/** The request and, while it is pending, the controls. */
export function ApprovalControls({ request, resolution, canDecide, onDecide }: ApprovalControlsProps) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const decide = async (approve: boolean): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await onDecide({ approve, ...(reason.trim() ? { reason: reason.trim() } : {}) });
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section
      className={`approval ${resolution ? 'resolved' : 'pending'}`}
      aria-label={`approval for ${request.tool}`}
    >
      <header>
        <strong>{resolution ? 'Approval' : 'Waiting for approval'}</strong>: <code>{request.tool}</code>{' '}
        <span className={`badge badge-risk-${request.risk}`}>risk {request.risk}</span>
      </header>
      <p className="muted">{request.reason}</p>
      <JsonValue value={request.args} label="arguments" />
      {resolution ? (
        <p className={resolution.approved ? 'good' : 'bad'}>
          {resolution.approved ? 'Approved' : 'Denied'}
          {resolution.by ? ` by ${resolution.by}` : ''}
          {resolution.reason ? `: ${resolution.reason}` : ''}
        </p>
      ) : canDecide ? (
        <div className="approval-form">
          <label>
            Reason (optional, shown to the agent on a denial)
            <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={2000} />
          </label>
          <div className="buttons">
            <button type="button" className="primary" disabled={busy} onClick={() => void decide(true)}>
              Approve
            </button>
            <button type="button" className="danger" disabled={busy} onClick={() => void decide(false)}>
              Deny
            </button>
          </div>
          {error ? (
            <p role="alert" className="bad">
              {error}
            </p>
          ) : null}
        </div>
      ) : (
        <p className="muted">An operator must approve or deny this call.</p>
      )}
    </section>
  );
}
