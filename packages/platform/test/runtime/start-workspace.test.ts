import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';

describe('RunService.start and the workspace', () => {
  const root = mkdtempSync(join(tmpdir(), 'autonoma-start-'));
  let app: App;
  beforeAll(async () => {
    const { config } = loadConfig({ env: { AUTONOMA_HOME: join(root, 'home') }, cwd: root });
    app = await createApp(config, { cwd: root, inMemory: true });
  });
  afterAll(async () => {
    await app.close();
  });

  it('refuses a workspace that is not an existing directory, and stores nothing', async () => {
    writeFileSync(join(root, 'a-file'), 'x');
    for (const workspace of [join(root, 'missing'), join(root, 'a-file')]) {
      await expect(
        app.services.runs.start(app.localScope, { goal: 'list the files', workspace }),
      ).rejects.toMatchObject({
        code: 'invalid_workspace',
        message: expect.stringContaining(`workspace ${workspace}: `),
      });
    }
    expect(await app.services.runs.list(app.localScope, { limit: 10 })).toEqual([]);
    const run = await app.services.runs.start(app.localScope, { goal: 'list the files', workspace: root });
    expect(run.status).toBe('queued');
  });
});
