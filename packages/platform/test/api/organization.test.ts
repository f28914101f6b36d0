/**
 * The organization's settings: `GET/PATCH /v1/organization` (owners and administrators; validated;
 * audited; used by the job selection) against PGlite and PostgreSQL, and `autonoma organization
 * show|set` embedded and with `--server`, with the same output.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOrgId, jobKinds } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markForSending } from '../../src/jobs/job-rows.ts';
import { insertJob } from '../../src/jobs/job-rows.ts';
import { queryRows, sql } from '../../src/store/index.ts';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, runCli, startCli } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';
import type { ApiHarness, StoreName } from './api-harness.ts';
import { as, expectErrorShape, startApi } from './api-harness.ts';

describe.each<StoreName>(['pglite', 'postgres'])('/v1/organization [%s]', (store) => {
  let harness: ApiHarness;
  const call = async (method: 'GET' | 'PATCH', payload?: unknown, who: 'owner' | 'viewer' = 'owner') => {
    const response = await harness.api.inject({
      method,
      url: '/v1/organization',
      headers: as(who),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    return { status: response.statusCode, body: response.body, json: () => JSON.parse(response.body) };
  };

  beforeAll(async () => {
    harness = await startApi(store);
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('shows the settings and the values in force, and changes the cap the job selection uses', async () => {
    const defaultCap = harness.app.config.orgMaxRunsInFlight;
    const shown = await call('GET');
    expect(shown.status).toBe(200);
    expect(shown.json()).toMatchObject({
      id: defaultOrgId,
      settings: { maxRunsInFlight: null },
      effective: { maxRunsInFlight: defaultCap },
    });

    const changed = await call('PATCH', { settings: { maxRunsInFlight: 2 } });
    expect(changed.status).toBe(200);
    expect(changed.json()).toMatchObject({
      settings: { maxRunsInFlight: 2 },
      effective: { maxRunsInFlight: 2 },
    });
    expect((await call('GET')).json()).toMatchObject({ settings: { maxRunsInFlight: 2 } });

    // The relay's selection takes no more than the new cap of this organization's agent-run jobs.
    const db = harness.app.database.executor;
    const now = Date.now();
    for (let index = 0; index < 4; index += 1)
      await insertJob(db, {
        id: `job_org_cap_${store}_${index}`,
        now,
        job: { kind: jobKinds.agentRun, orgId: defaultOrgId, payload: { index }, runAt: now - 1 },
      });
    const sent = await markForSending(db, {
      now,
      limit: 100,
      queues: ['critical', 'high', 'normal', 'low'],
      defaultOrgCap: defaultCap,
    });
    expect(sent?.filter((job) => job.kind === jobKinds.agentRun)).toHaveLength(2);

    // The change is in the audit log, with the values before and after.
    const entries = await harness.app.services.audit.list(harness.app.localScope, {
      action: 'organization.update',
      limit: 10,
    });
    expect(entries.at(-1)).toMatchObject({
      action: 'organization.update',
      target: defaultOrgId,
      detail: { before: { maxRunsInFlight: null }, after: { maxRunsInFlight: 2 } },
    });

    // null restores the deployment's default; an empty change keeps everything.
    expect((await call('PATCH', { settings: { maxRunsInFlight: null } })).json()).toMatchObject({
      settings: { maxRunsInFlight: null },
      effective: { maxRunsInFlight: defaultCap },
    });
    expect((await call('PATCH', { settings: {} })).json()).toMatchObject({
      settings: { maxRunsInFlight: null },
    });
    const rows = await queryRows(
      db,
      sql`SELECT max_runs_in_flight FROM organizations WHERE id = ${defaultOrgId}`,
    );
    expect(rows[0]?.max_runs_in_flight).toBeNull();
  });

  it('refuses bad values with a 400 naming the field, and anyone but owners and administrators', async () => {
    for (const payload of [
      { settings: { maxRunsInFlight: 0 } },
      { settings: { maxRunsInFlight: -3 } },
      { settings: { maxRunsInFlight: 2.5 } },
      { settings: { maxRunsInFlight: '10' } },
      { settings: { maxRunsInFlight: 10_000_000 } },
    ]) {
      const refused = await call('PATCH', payload);
      expect(refused.status, JSON.stringify(payload)).toBe(400);
      expect(expectErrorShape(refused.body).message).toContain('maxRunsInFlight');
    }
    const unknown = await call('PATCH', { settings: { maxRuns: 5 } });
    expect(unknown.status).toBe(400);
    expect(expectErrorShape(unknown.body).message).toContain('maxRuns');
    expect((await call('PATCH', {})).status).toBe(400);

    expect((await call('GET', undefined, 'viewer')).status).toBe(403);
    const denied = await call('PATCH', { settings: { maxRunsInFlight: 5 } }, 'viewer');
    expect(denied.status).toBe(403);
    expect((await call('GET')).json()).toMatchObject({ settings: { maxRunsInFlight: null } });
  });
});

describe('autonoma organization', () => {
  const home = mkdtempSync(join(tmpdir(), 'autonoma-organization-'));
  const env = cliEnvironment({ AUTONOMA_HOME: home });
  let server: { child: ChildProcess; done: Promise<CliResult> } | undefined;
  const cli = (args: string[]): Promise<CliResult> => runCli(args, env);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.done;
    rmSync(home, { recursive: true, force: true });
  });

  it(
    'shows and sets the cap embedded and with --server, with the same output',
    { timeout: 180_000 },
    async () => {
      const shown = await cli(['organization', 'show']);
      expect(shown).toMatchObject({ code: 0, stderr: '' });
      expect(shown.stdout).toMatch(
        /max runs in flight: \d+ \(the deployment default, AUTONOMA_ORG_MAX_RUNS\)/,
      );

      const set = await cli(['organization', 'set', '--max-runs-in-flight', '7']);
      expect(set).toMatchObject({ code: 0, stderr: '' });
      expect(set.stdout).toContain('max runs in flight: 7\n');
      const embeddedJson = await cli(['organization', 'show', '--json']);
      expect(JSON.parse(embeddedJson.stdout)).toMatchObject({
        settings: { maxRunsInFlight: 7 },
        effective: { maxRunsInFlight: 7 },
      });

      for (const [args, reason] of [
        [
          ['--max-runs-in-flight', '0'],
          "--max-runs-in-flight must be an integer from 1 to 1000000 or 'default', got '0'",
        ],
        [['--max-runs-in-flight', 'lots'], "got 'lots'"],
        [[], 'nothing to set: give --max-runs-in-flight <n|default>'],
      ] as const) {
        const refused = await cli(['organization', 'set', ...args]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr.trim().split('\n')).toHaveLength(1);
        expect(refused.stderr).toContain(reason);
      }

      server = startCli(['serve', '--port', '0'], env);
      let url = '';
      const stderr: string[] = [];
      server.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      await waitFor(
        () => {
          url = /serving the API at (http:\/\/[^\s]+)/.exec(stderr.join(''))?.[1] ?? '';
          return url !== '';
        },
        { what: 'the server to listen', timeoutMs: 120_000 },
      );
      const remoteJson = await cli(['--server', url, 'organization', 'show', '--json']);
      expect(remoteJson).toMatchObject({ code: 0, stdout: embeddedJson.stdout });
      const remoteSet = await cli([
        '--server',
        url,
        'organization',
        'set',
        '--max-runs-in-flight',
        'default',
      ]);
      expect(remoteSet).toMatchObject({ code: 0, stdout: shown.stdout });
      const refused = await cli(['--server', url, 'organization', 'set', '--max-runs-in-flight', '-1']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("got '-1'");
      // The server's store has the change; the audit log has both, embedded and remote.
      const audit = await cli([
        '--server',
        url,
        'audit',
        'list',
        '--action',
        'organization.update',
        '--json',
      ]);
      const entries = JSON.parse(audit.stdout) as { detail: { after: { maxRunsInFlight: number | null } } }[];
      expect(entries.map((entry) => entry.detail.after.maxRunsInFlight)).toEqual([7, null]);
    },
  );
});
