import { userError } from '@autonoma/core';
import type { Command } from 'commander';
import { processOutput } from '../output.ts';
import { withBackend } from '../remote/connect.ts';

const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

const count = (value: string, flag: string, min: number): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min)
    throw userError('invalid_input', `${flag} must be an integer of at least ${min}, got '${value}'`);
  return parsed;
};

/** `autonoma audit list [--action A] [--target T] [--after ID] [--limit N] [--json]`. */
export async function listAudit(
  flags: { action?: string; target?: string; after?: string; limit: string; json?: boolean },
  command: Command,
): Promise<void> {
  const limit = count(flags.limit, '--limit', 1);
  const afterId = flags.after === undefined ? undefined : count(flags.after, '--after', 0);
  await withBackend(command, async (backend) => {
    const entries = await backend.audit.list({
      limit,
      ...(flags.action ? { action: flags.action } : {}),
      ...(flags.target ? { target: flags.target } : {}),
      ...(afterId === undefined ? {} : { afterId }),
    });
    if (flags.json) processOutput.out(JSON.stringify(entries));
    else if (entries.length === 0) processOutput.out('no audit entries');
    else
      for (const entry of entries)
        processOutput.out(
          `${String(entry.id).padStart(6)}  ${time(entry.at)}  ${entry.actor.padEnd(12)} ${entry.action.padEnd(18)} ${entry.target}`,
        );
  });
}

/** `autonoma audit verify [--json]`: exit 1 when the chain is broken. */
export async function verifyAudit(flags: { json?: boolean }, command: Command): Promise<void> {
  await withBackend(command, async (backend) => {
    const result = await backend.audit.verify();
    if (flags.json) processOutput.out(JSON.stringify(result));
    else
      processOutput.out(
        result.intact
          ? 'audit log intact'
          : `audit log broken at entry ${result.brokenAt ?? '?'}: it was changed`,
      );
    if (!result.intact) process.exitCode = 1;
  });
}
