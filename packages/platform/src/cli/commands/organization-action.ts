import { userError } from '@autonoma/core';
import type { Command } from 'commander';
import type { OrganizationView } from '../../api/views/organization.ts';
import { maxRunsInFlightLimit } from '../../services/organization-service.ts';
import { processOutput } from '../output.ts';
import { withBackend } from '../remote/connect.ts';

const print = (organization: OrganizationView, json: boolean | undefined): void => {
  if (json) {
    processOutput.out(JSON.stringify(organization));
    return;
  }
  const cap = organization.settings.maxRunsInFlight;
  processOutput.out(`organization ${organization.id} · ${organization.name}`);
  processOutput.out(
    `max runs in flight: ${organization.effective.maxRunsInFlight}${cap === null ? ' (the deployment default, AUTONOMA_ORG_MAX_RUNS)' : ''}`,
  );
};

/** `--max-runs-in-flight`: a positive integer, or `default` (null). */
const parseCap = (value: string): number | null => {
  if (value === 'default') return null;
  const cap = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(cap) || cap < 1 || cap > maxRunsInFlightLimit)
    throw userError(
      'invalid_input',
      `--max-runs-in-flight must be an integer from 1 to ${maxRunsInFlightLimit} or 'default', got '${value}'`,
    );
  return cap;
};

/** `autonoma organization show [--json]`. */
export async function showOrganization(flags: { json?: boolean }, command: Command): Promise<void> {
  await withBackend(command, async (backend) => print(await backend.organization.get(), flags.json));
}

/** `autonoma organization set [--max-runs-in-flight N|default] [--json]`. */
export async function setOrganization(
  flags: { maxRunsInFlight?: string; json?: boolean },
  command: Command,
): Promise<void> {
  if (flags.maxRunsInFlight === undefined)
    throw userError('invalid_input', 'nothing to set: give --max-runs-in-flight <n|default>');
  const maxRunsInFlight = parseCap(flags.maxRunsInFlight);
  await withBackend(command, async (backend) =>
    print(await backend.organization.update({ maxRunsInFlight }), flags.json),
  );
}
