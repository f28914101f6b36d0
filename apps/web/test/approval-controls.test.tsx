import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { ApprovalDecision } from '../src/components/approval-controls.tsx';
import { ApprovalControls } from '../src/components/approval-controls.tsx';

const request = {
  callId: 'run_1:2:0',
  tool: 'fs_write',
  args: { path: 'greeting.txt', content: 'hello' },
  risk: 'medium',
  reason: 'fs_write is listed in approval.tools',
};

describe('ApprovalControls', () => {
  it('approves with one click', async () => {
    const onDecide = vi.fn<(decision: ApprovalDecision) => Promise<void>>(async () => undefined);
    render(<ApprovalControls request={request} canDecide onDecide={onDecide} />);
    expect(screen.getByText(/greeting\.txt/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(onDecide).toHaveBeenCalledExactlyOnceWith({ approve: true });
  });

  it('denies with the reason typed', async () => {
    const onDecide = vi.fn<(decision: ApprovalDecision) => Promise<void>>(async () => undefined);
    render(<ApprovalControls request={request} canDecide onDecide={onDecide} />);
    await userEvent.type(screen.getByLabelText(/Reason/), '  not in production  ');
    await userEvent.click(screen.getByRole('button', { name: 'Deny' }));
    expect(onDecide).toHaveBeenCalledExactlyOnceWith({ approve: false, reason: 'not in production' });
  });

  it('shows why a decision failed and lets the user try again', async () => {
    const onDecide = vi
      .fn<(decision: ApprovalDecision) => Promise<void>>()
      .mockRejectedValueOnce(new Error('role viewer may not runs:approve'))
      .mockResolvedValueOnce(undefined);
    render(<ApprovalControls request={request} canDecide onDecide={onDecide} />);
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('role viewer may not runs:approve');
    expect(screen.getByRole('button', { name: 'Approve' })).toBeEnabled();
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(onDecide).toHaveBeenCalledTimes(2);
  });

  it('gives a viewer the request but no control', () => {
    render(<ApprovalControls request={request} canDecide={false} onDecide={vi.fn()} />);
    expect(screen.getByText(/Waiting for approval/)).toBeInTheDocument();
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.queryByLabelText(/Reason/)).toBeNull();
  });

  it('shows how a resolved request ended, with no control', () => {
    render(
      <ApprovalControls
        request={request}
        resolution={{ approved: false, reason: 'too risky', by: 'alice' }}
        canDecide
        onDecide={vi.fn()}
      />,
    );
    expect(screen.getByText('Denied by alice: too risky')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });
});
