import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fixture, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';

const toolMessages = (request: RecordedRequest): { role?: string; content?: unknown }[] =>
  ((request.body as { messages?: { role?: string; content?: unknown }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  );

describe('human approval across process restarts [pglite]', () => {
  let model: Fixture;
  let workspace: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    model = await startOpenAiFixture((request) =>
      toolMessages(request).length === 0
        ? {
            kind: 'tool-calls',
            calls: [{ name: 'fs_write', input: { path: 'greeting.txt', content: 'hello' } }],
          }
        : { kind: 'text', text: `finished after: ${JSON.stringify(toolMessages(request).at(-1)?.content)}` },
    );
    const home = mkdtempSync(join(tmpdir(), 'autonoma-approval-'));
    workspace = mkdtempSync(join(tmpdir(), 'autonoma-approval-ws-'));
    env = cliEnvironment({
      AUTONOMA_HOME: home,
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
    });
    const agentFile = join(home, 'careful.json');
    writeFileSync(
      agentFile,
      JSON.stringify({ name: 'careful', tools: ['fs_write', 'fs_read'], approval: { tools: ['fs_write'] } }),
    );
    const created = await runCli(['agents', 'create', '--file', agentFile], env);
    expect(created.code).toBe(0);
  });
  afterAll(async () => {
    await model.close();
  });

  const startWaiting = async (): Promise<{ runId: string; callId: string }> => {
    const started = await runCli(
      ['run', '--agent', 'careful', '--workspace', workspace, '--json', 'write a greeting'],
      env,
    );
    expect(started.code).toBe(3);
    const result = JSON.parse(started.stdout) as { runId: string; status: string };
    expect(result.status).toBe('waiting_approval');
    const shown = await runCli(['runs', 'show', result.runId, '--json'], env);
    const events = (
      JSON.parse(shown.stdout) as { events: { type: string; callId?: string; tool?: string }[] }
    ).events;
    const request = events.find((event) => event.type === 'approval-request');
    expect(request?.tool).toBe('fs_write');
    return { runId: result.runId, callId: String(request?.callId) };
  };

  it('a run waits for approval, survives the restart, and runs the call once approved', async () => {
    const { runId, callId } = await startWaiting();
    expect(existsSync(join(workspace, 'greeting.txt'))).toBe(false);
    const approved = await runCli(['approve', runId, callId], env);
    expect(approved.code).toBe(0);
    const again = await runCli(['approve', runId, callId], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already resolved');
    const resumed = await runCli(['resume', runId, '--json'], env);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'succeeded' });
    expect(readFileSync(join(workspace, 'greeting.txt'), 'utf8')).toBe('hello');
  });

  it('a denial reaches the brain as a tool result and the call never runs', async () => {
    const target = join(workspace, 'greeting.txt');
    const before = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    writeFileSync(target, 'untouched');
    const { runId, callId } = await startWaiting();
    const denied = await runCli(['deny', runId, callId, '--reason', 'not on a Friday'], env);
    expect(denied.code).toBe(0);
    const resumed = await runCli(['resume', runId, '--json'], env);
    expect(resumed.code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    const last = model.requests.at(-1);
    expect(JSON.stringify(last?.body)).toContain('not on a Friday');
    expect(before === undefined || before === 'hello').toBe(true);
  });
});
