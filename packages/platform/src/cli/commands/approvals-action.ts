import type { Command } from 'commander';
import { withBackend } from '../remote/connect.ts';
import { processOutput } from '../output.ts';

const resolveCall =
  (approved: boolean) =>
  async (runId: string, callId: string, flags: { reason?: string }, command: Command): Promise<void> => {
    await withBackend(command, async (backend) => {
      const { run, changed } = await backend.runs.resolveApproval(runId, callId, {
        approved,
        ...(flags.reason ? { reason: flags.reason } : {}),
      });
      if (!changed) {
        processOutput.out(
          `call ${callId} was already resolved; nothing changed (run ${run.id}: ${run.status})`,
        );
        return;
      }
      processOutput.out(
        `${approved ? 'approved' : 'denied'} ${callId}; run ${run.id} is ${run.status} — continue it with 'autonoma resume ${run.id}'`,
      );
    });
  };

/** `autonoma approve <runId> <callId>`. */
export const approveCall = resolveCall(true);

/** `autonoma deny <runId> <callId> [--reason R]`. */
export const denyCall = resolveCall(false);
