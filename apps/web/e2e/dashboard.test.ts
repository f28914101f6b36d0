/**
 * The dashboard end to end, in Debian's Chromium against a real embedded `autonoma serve` and the
 * fixture model: an owner signs in, starts a run, watches it delegate, approves its paused call, sees
 * its answer stream in and the run succeed, then opens its decision trace, its delegation tree and
 * its audit entry; every page is visited and screenshotted; a viewer sees no mutating control and a
 * forced call is refused; a session ended on the server returns to sign-in and back to the page.
 * Every wait is for a state on the page or in the API, never for a time.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../packages/platform/test/support/wait-for.ts';
import { screenshot, signIn } from './harness.ts';
import type { Scenario } from './scenario.ts';
import { goals, signInAs, startScenario, users } from './scenario.ts';

interface RunBody {
  id: string;
  status: string;
}

let scenario: Scenario;
let page: Page;
/** The run the owner starts in the first test. */
let greetingRunId = '';

beforeAll(async () => {
  scenario = await startScenario();
  page = scenario.page;
}, 300_000);
afterAll(async () => scenario?.close(), 120_000);

const summaryStatus = (status: string) =>
  page.locator('.run-summary .badge', { hasText: new RegExp(`^${status}$`) });

/** Waits until the API says the run is in `status`. */
async function waitForRunStatus(runId: string, status: string): Promise<void> {
  await waitFor(
    async () => (await scenario.api<RunBody>(users.owner, 'GET', `/v1/runs/${runId}`)).body.status === status,
    { what: `run ${runId} to be ${status}`, timeoutMs: 120_000, intervalMs: 200 },
  );
}

describe('the dashboard in a browser', () => {
  it('signs in, starts a run, approves its call, streams its answer and shows why it did what it did', async () => {
    await page.goto(`${scenario.server.url}/runs`);
    await signIn(page, users.owner);
    await screenshot(page, '01-runs-empty');

    // Start a run with the careful agent from the runs page.
    const start = page.getByRole('form', { name: 'start a run' });
    await start.getByLabel('Goal').fill(goals.greeting);
    await start.getByLabel('Agent').selectOption('careful');
    await start.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/runs\/run_[^/]+$/);
    greetingRunId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1) ?? '');
    expect(greetingRunId).toMatch(/^run_/);

    // It delegates to a helper, then pauses for approval of fs_write: the request shows live.
    const attention = page.getByRole('region', { name: 'needs attention' });
    const approval = attention.getByRole('region', { name: 'approval for fs_write' });
    await approval.waitFor({ timeout: 120_000 });
    await expect(approval.textContent()).resolves.toContain('greeting.txt');
    await summaryStatus('waiting approval').waitFor();
    const timeline = page.locator('.timeline');
    await timeline.getByText('I will ask a helper for a name.', { exact: true }).waitFor();
    // The model's decision: the tools it was offered, the call it made, and its own words as the reason.
    const decided = timeline
      .getByRole('region', { name: 'decision: next-action' })
      .filter({ hasText: "reason (the model's words): I will ask a helper for a name." });
    await decided.locator('tr.chosen', { hasText: 'delegate' }).waitFor();
    await decided.locator('tr', { hasText: 'answer (no tool call)' }).waitFor();
    await timeline.locator('.event.delegation', { hasText: 'find a name' }).first().waitFor();
    await screenshot(page, '02-run-waiting-approval');

    // Approve: the call runs, and the answer streams in — seen half-written, marked as streaming.
    await approval.getByLabel(/Reason/).fill('looks right');
    await approval.getByRole('button', { name: 'Approve' }).click();
    const streaming = timeline.getByRole('region', { name: 'model text' }).filter({ hasText: 'streaming' });
    await streaming.filter({ hasText: 'Hello, Ada!' }).waitFor({ timeout: 120_000 });
    expect(await streaming.textContent()).not.toContain('greeting.txt.');
    await screenshot(page, '03-run-streaming');
    scenario.greetingAnswer.release();

    // The run succeeds, live: the summary, the stored answer and the run's end.
    await summaryStatus('succeeded').waitFor({ timeout: 120_000 });
    await page.locator('.answer', { hasText: 'The greeting is in greeting.txt.' }).waitFor();
    await timeline.locator('.run-end', { hasText: 'succeeded' }).waitFor();
    await page.getByText(/events · complete/).waitFor();
    await expect(
      timeline.getByRole('region', { name: 'approval for fs_write' }).textContent(),
    ).resolves.toMatch(/Approved by user:.*: looks right/);
    // The tool call shows its arguments and result.
    const call = timeline.getByRole('region', { name: 'tool call fs_write' });
    await expect(call.textContent()).resolves.toContain('Hello, Ada!');
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await screenshot(page, '04-run-succeeded');

    // The decision trace (`explain`): the delegation decision with its options and reason, each step's calls.
    await page.getByRole('tab', { name: 'Explain' }).click();
    const explanation = page.getByRole('region', { name: 'explanation' });
    await explanation.getByRole('heading', { name: 'Step 1' }).waitFor();
    await expect(explanation.textContent()).resolves.toMatch(/fs_write[\s\S]*ok/);
    await screenshot(page, '05-run-explain');

    // Replay: the recorded decisions reproduce the run.
    await page.getByRole('tab', { name: 'Replay' }).click();
    await page.getByRole('region', { name: 'replay' }).getByRole('button', { name: 'Replay' }).click();
    await page.getByText(/^replay matches: /).waitFor({ timeout: 120_000 });

    // The delegation tree links to the child, whose page links back.
    await page.getByRole('tab', { name: /Delegation tree/ }).click();
    const tree = page.getByRole('region', { name: 'delegation tree' });
    await tree.getByText('find a name').waitFor();
    await screenshot(page, '06-run-tree');
    await tree.getByRole('link', { name: /^run_/ }).first().click();
    await page.getByRole('heading', { name: 'find a name' }).waitFor();
    await summaryStatus('succeeded').waitFor();
    await page.getByRole('link', { name: greetingRunId }).first().waitFor();

    // The approval is in the audit log, and the chain verifies.
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Audit' }).click();
    const filters = page.getByRole('form', { name: 'filter the audit log' });
    await filters.getByLabel('Action').fill('approval.approve');
    await filters.getByRole('button', { name: 'Filter' }).click();
    const entry = page.locator('tr[data-action="approval.approve"]', { hasText: greetingRunId });
    await entry.waitFor();
    await expect(entry.textContent()).resolves.toContain('looks right');
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByRole('status').filter({ hasText: 'The chain is intact' }).waitFor();
    await screenshot(page, '07-audit');

    // The run is in the list with its usage, and the list filters by state.
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Runs' }).click();
    const row = page.locator(`tr[data-run-id="${greetingRunId}"]`);
    // The list may first show what it cached when the run was queued; it refreshes by itself.
    await row.filter({ hasText: 'succeeded' }).waitFor();
    await expect(row.textContent()).resolves.toMatch(/succeeded.*careful.*write a greeting/);
    await page.locator('label.chip', { hasText: /^failed$/ }).click();
    await page.getByText('No runs match these filters.').waitFor();
    await page.locator('label.chip', { hasText: /^failed$/ }).click();
    await row.waitFor();
    await screenshot(page, '08-runs');
  });

  it('starts a planner run from a spec file and shows each decision’s options, scores and reason', async () => {
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Runs' }).click();
    const start = page.getByRole('form', { name: 'start a run' });
    await start.getByLabel('Agent').selectOption('auditor');
    // The spec file names the goal too: the form takes it from there.
    await start.getByLabel(/Spec file/).setInputFiles({
      name: 'audit.json',
      mimeType: 'application/json',
      buffer: Buffer.from(
        JSON.stringify({
          goal: 'audit this workspace',
          facts: ['source_analyzed', 'report_written'],
          inputs: { path: '.', reportPath: 'report.md', title: 'Workspace audit' },
        }),
      ),
    });
    // The form reads the file asynchronously: wait for the goal to appear.
    await expect
      .poll(() => start.getByLabel('Goal').inputValue(), { timeout: 30_000 })
      .toBe('audit this workspace');
    await start.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('heading', { name: 'audit this workspace' }).waitFor();
    await summaryStatus('succeeded').waitFor({ timeout: 120_000 });

    // Each decision in the live timeline: the options weighed, their scores, the choice and why.
    const decision = page
      .locator('.timeline')
      .getByRole('region', { name: 'decision: next-action' })
      .filter({ hasText: 'analyze_source_tree' })
      .first();
    await decision.waitFor();
    await decision.locator('tr.chosen', { hasText: '✓ chosen' }).waitFor();
    await expect(decision.textContent()).resolves.toMatch(/reason: step 1 of \d+: analyze_source_tree makes/);
    await expect(decision.locator('td.number').first().textContent()).resolves.toMatch(/^\d+\.\d{3}$/);
    await page.getByRole('tab', { name: 'Explain' }).click();
    const explanation = page.getByRole('region', { name: 'explanation' });
    await explanation.getByRole('region', { name: 'decision: next-action' }).first().waitFor();
    await screenshot(page, '05b-planner-decisions');
  });

  it('shows agents, chat, memory and operations, and changes them for an owner', async () => {
    const nav = page.getByRole('navigation', { name: 'main' });

    // Agents: create one with a tool from /v1/tools, see it listed, delete it.
    page.on('dialog', (dialog) => void dialog.accept());
    await nav.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: '+ New agent' }).click();
    const editor = page.getByRole('form', { name: 'new agent' });
    await editor.getByLabel('Name', { exact: true }).fill('drafter');
    await editor.getByLabel('Instructions').fill('Draft things.');
    await editor.getByLabel(/every built-in below high risk/).uncheck();
    await editor
      .locator('label.chip', { hasText: /^fs_read/ })
      .first()
      .click();
    await editor.getByRole('button', { name: 'Create agent' }).click();
    const saved = page.getByRole('form', { name: 'agent drafter' });
    await saved.waitFor();
    await page.locator('.list-plain li', { hasText: 'drafter' }).getByText('1 tools').waitFor();
    await page.getByRole('link', { name: 'careful', exact: true }).click();
    await page.getByRole('form', { name: 'agent careful' }).waitFor();
    await screenshot(page, '09-agents');
    await page.getByRole('link', { name: 'drafter', exact: true }).click();
    await page.getByRole('form', { name: 'agent drafter' }).getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/agents$/);
    await waitFor(
      async () => (await page.getByRole('link', { name: 'drafter', exact: true }).count()) === 0,
      {
        what: 'the deleted agent to leave the list',
      },
    );

    // Chat: a conversation whose reply arrives in the thread.
    await nav.getByRole('link', { name: 'Chat' }).click();
    const create = page.getByRole('form', { name: 'new conversation' });
    await create.getByLabel('Title').fill('greetings');
    await create.getByRole('button', { name: 'New conversation' }).click();
    const conversation = page.getByRole('region', { name: 'conversation' });
    await conversation.getByRole('heading', { name: 'greetings' }).waitFor();
    await conversation.getByLabel('Message').fill('say hello');
    await conversation.getByRole('button', { name: 'Send' }).click();
    await conversation.locator('.message.user', { hasText: 'say hello' }).waitFor();
    await conversation.locator('.message.agent', { hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
    await conversation.locator('.message.agent', { hasText: 'Noted:' }).waitFor();
    await screenshot(page, '10-chat');

    // Memory: a search shows the recall score's parts; the lists and plans load.
    await nav.getByRole('link', { name: 'Memory' }).click();
    const search = page.getByRole('form', { name: 'search memories' });
    await search.getByLabel(/Search/).fill('greeting');
    await search.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('columnheader', { name: 'relevance' }).waitFor();
    await page.getByRole('heading', { name: 'Reusable plans' }).waitFor();
    await screenshot(page, '11-memory');

    // Operations: charts drawn from the API's runs; a schedule created, paused and deleted.
    await nav.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { name: /Recent runs \([1-9]\d*\)/ }).waitFor();
    await page.locator('.charts .recharts-surface').first().waitFor();
    await page.getByRole('heading', { name: 'Workers' }).waitFor();
    await page.getByRole('heading', { name: 'Queues' }).waitFor();
    await page.getByRole('cell', { name: 'alive' }).first().waitFor();
    await screenshot(page, '12-operations');
    const schedule = page.getByRole('form', { name: 'new schedule' });
    await schedule.getByLabel('Goal').fill('nightly digest');
    await schedule.getByLabel('Cron').fill('0 3 * * *');
    await schedule.getByLabel('Time zone').fill('UTC');
    await schedule.getByRole('button', { name: 'Create schedule' }).click();
    const scheduled = page.locator('tr', { hasText: 'nightly digest' });
    await scheduled.getByText('active').waitFor();
    await scheduled.getByRole('button', { name: 'Pause' }).click();
    await scheduled.getByText('paused').waitFor();
    await scheduled.getByRole('button', { name: 'Delete' }).click();
    await waitFor(async () => (await scheduled.count()) === 0, { what: 'the schedule to be deleted' });
  });

  it('gives a viewer no mutating control, and the API refuses a forced call', async () => {
    // A run of the careful agent waits for approval (started by the owner, through the API).
    const started = await scenario.api<RunBody>(users.owner, 'POST', '/v1/runs', {
      goal: goals.guestbook,
      agent: 'careful',
    });
    expect(started.status).toBe(201);
    const runId = started.body.id;
    await waitForRunStatus(runId, 'waiting_approval');

    await page.goto(`${scenario.server.url}/runs/${runId}`);
    await signInAs(page, users.viewer);
    const approval = page
      .getByRole('region', { name: 'needs attention' })
      .getByRole('region', { name: 'approval for fs_write' });
    await approval.getByText('An operator must approve or deny this call.').waitFor();
    await page.locator('.timeline').getByRole('region', { name: 'approval for fs_write' }).waitFor();
    for (const name of ['Approve', 'Deny', 'Cancel run'])
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    await screenshot(page, '13-viewer-run');

    // A forced call with the viewer's own session is refused, and the run still waits.
    const forced = await page.evaluate(
      async ({ runId: id }) => {
        const session = await fetch('/v1/auth/session/refresh', { method: 'POST' });
        const { accessToken } = (await session.json()) as { accessToken: string };
        const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
        const read = (await fetch(`/v1/runs/${id}`, { headers }).then((response) => response.json())) as {
          status: string;
        };
        const approve = await fetch(`/v1/runs/${id}/approvals/${encodeURIComponent(`${id}:1:0`)}`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ approve: true }),
        });
        const cancel = await fetch(`/v1/runs/${id}/cancel`, { method: 'POST', headers, body: '{}' });
        return { status: read.status, approve: approve.status, cancel: cancel.status };
      },
      { runId },
    );
    expect(forced).toEqual({ status: 'waiting_approval', approve: 403, cancel: 403 });
    expect((await scenario.api<RunBody>(users.owner, 'GET', `/v1/runs/${runId}`)).body.status).toBe(
      'waiting_approval',
    );

    // No page offers the viewer a control that changes anything.
    const nav = page.getByRole('navigation', { name: 'main' });
    expect(await nav.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Runs' }).click();
    await page.locator(`tr[data-run-id="${runId}"]`).waitFor();
    expect(await page.getByRole('form', { name: 'start a run' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: 'careful', exact: true }).click();
    const editor = page.getByRole('form', { name: 'agent careful' });
    await editor.waitFor();
    expect(await editor.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('link', { name: '+ New agent' }).count()).toBe(0);
    await expect(editor.getByLabel('Instructions').isDisabled()).resolves.toBe(true);
    await nav.getByRole('link', { name: 'Chat' }).click();
    await page.getByText('Pick or start a conversation.').waitFor();
    expect(await page.getByRole('form', { name: 'new conversation' }).count()).toBe(0);
    await page.getByRole('link', { name: 'greetings' }).click();
    await page.getByRole('region', { name: 'conversation' }).locator('.message.agent').first().waitFor();
    expect(await page.getByRole('button', { name: 'Send' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Memory' }).click();
    await page.getByRole('heading', { name: 'Reusable plans' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { name: 'Schedules' }).waitFor();
    expect(await page.getByRole('form', { name: 'new schedule' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Workers' }).count()).toBe(0);

    // The owner approves from the API; the viewer's page follows the run to its end, live.
    await page.goto(`${scenario.server.url}/runs/${runId}`);
    await summaryStatus('waiting approval').waitFor();
    const approved = await scenario.api(users.owner, 'POST', `/v1/runs/${runId}/approvals/${runId}:1:0`, {
      approve: true,
    });
    expect(approved.status).toBe(200);
    await summaryStatus('succeeded').waitFor({ timeout: 120_000 });
    await page.locator('.timeline .run-end', { hasText: 'succeeded' }).waitFor();
  });

  it('returns to sign-in when the session ends on the server, and back to the page after signing in', async () => {
    await page.goto(`${scenario.server.url}/operations`);
    await signInAs(page, users.owner);
    await page.getByRole('heading', { name: 'Operations' }).waitFor();

    // End the browser's session on the server: spend its refresh cookie, then log that session out.
    // The cookie is sent to /v1/auth/session only: list every cookie, not those of the page's path.
    const cookie = (await scenario.browser.context.cookies()).find(
      (item) => item.name === 'autonoma_refresh',
    );
    expect(cookie?.httpOnly).toBe(true);
    const refreshed = await fetch(`${scenario.server.url}/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: decodeURIComponent(cookie?.value ?? '') }),
    });
    expect(refreshed.status).toBe(200);
    const { accessToken } = (await refreshed.json()) as { accessToken: string };
    const logout = await fetch(`${scenario.server.url}/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(logout.status).toBe(204);

    // The page's next request (the operations page refreshes itself) finds the session gone.
    await page.getByText('Your session has expired. Sign in again to continue.').waitFor({ timeout: 60_000 });
    expect(new URL(page.url()).pathname).toBe('/operations');
    await screenshot(page, '14-session-expired');
    await signIn(page, users.owner);
    await page.getByRole('heading', { name: 'Operations' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/operations');

    // Nothing of the session is in the page's storage: the refresh token is an HttpOnly cookie.
    const stored = await page.evaluate(() => ({
      local: Object.keys(localStorage).length,
      session: Object.keys(sessionStorage).length,
      cookies: document.cookie,
    }));
    expect(stored).toEqual({ local: 0, session: 0, cookies: '' });
  });
});
