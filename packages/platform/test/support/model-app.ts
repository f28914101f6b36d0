/** An app on an in-memory PGlite whose model brain talks to a loopback provider fixture. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Fixture } from '../fixtures/openai-server.ts';

/** A fresh app (temporary home, in-memory store) using `model` as an OpenAI-compatible provider. */
export async function appWithModel(model: Fixture, env: Record<string, string> = {}): Promise<App> {
  const root = mkdtempSync(join(tmpdir(), 'autonoma-model-app-'));
  const { config } = loadConfig({
    env: {
      AUTONOMA_HOME: join(root, 'home'),
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
      ...env,
    },
    cwd: root,
  });
  return createApp(config, { cwd: root, inMemory: true });
}
