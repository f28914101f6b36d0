import type { Command } from 'commander';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';

const ago = (now: number, at: number): string => {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  return seconds < 120 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
};

/** `autonoma workers list [--all] [--json]`. */
export async function listWorkers(flags: { all?: boolean; json?: boolean }, command: Command): Promise<void> {
  await withApp(command, async (app) => {
    const workers = await app.services.workers.list(app.localScope, { includeStopped: Boolean(flags.all) });
    if (flags.json) {
      processOutput.out(JSON.stringify(workers));
      return;
    }
    if (workers.length === 0) processOutput.out('no workers');
    const now = app.clock.now();
    for (const worker of workers) {
      const state = worker.alive
        ? 'alive'
        : worker.stoppedAt !== null
          ? `stopped (${worker.stopReason ?? '-'})`
          : 'dead';
      processOutput.out(
        `${worker.id}  ${state.padEnd(18)} ${worker.hostname}:${worker.pid}  v${worker.version}  ${worker.transport}  queues ${worker.queues.join(',')}  ${worker.inFlight}/${worker.concurrency} in flight  heartbeat ${ago(now, worker.heartbeatAt)}`,
      );
      processOutput.out(`    capabilities: ${worker.capabilities.join(', ')}`);
    }
  });
}
