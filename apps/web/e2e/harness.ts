/**
 * What the dashboard's browser tests stand on: a fresh build of the app, an embedded `autonoma serve`
 * on a temporary home with users and agents made beforehand, the loopback OpenAI fixture as its model,
 * and Debian's Chromium driven by playwright-core (`npx playwright install` cannot work here: browsers
 * come from Debian, see docs/dashboard.md).
 */
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AgentSpecInput, Role } from '@autonoma/core';
import { AgentSpec } from '@autonoma/core';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { createApp } from '../../../packages/platform/src/app.ts';
import { loadConfig } from '../../../packages/platform/src/config/index.ts';
import { cliEnvironment, repositoryRoot, startCli } from '../../../packages/platform/test/support/cli.ts';
import { waitFor } from '../../../packages/platform/test/support/wait-for.ts';

/** Debian's Chromium (installed by `.ci/run` when missing). */
export const chromiumPath = '/usr/bin/chromium';
/** The flags the browser tests run Chromium with (headless is Playwright's own flag). */
export const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Where screenshots go (gitignored). */
export const artifactsDirectory = resolve(repositoryRoot, 'test-artifacts/dashboard');

const web = resolve(repositoryRoot, 'apps/web');

/** Newest modification time under `path` (files only). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds apps/web/dist unless it is newer than every source of the app (what `npm install` built). */
export function ensureDashboardBuilt(): void {
  const built = join(web, 'dist', 'index.html');
  const sources = Math.max(
    newest(join(web, 'src')),
    newest(join(web, 'index.html')),
    newest(join(web, 'vite.config.ts')),
  );
  if (existsSync(built) && statSync(built).mtimeMs > sources) return;
  const vite = resolve(repositoryRoot, 'node_modules/vite/bin/vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error'], {
    cwd: web,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`the dashboard build failed:\n${result.stdout}\n${result.stderr}`);
}

/** A user the tests sign in as. */
export interface TestUser {
  email: string;
  password: string;
  role: Role;
}

/** Creates users and agents in a new embedded home, before any server holds it. */
export async function prepareHome(options: {
  users: TestUser[];
  agents: AgentSpecInput[];
  env: Record<string, string>;
}): Promise<void> {
  const { config } = loadConfig({ env: options.env, cwd: repositoryRoot });
  const app = await createApp(config, { cwd: repositoryRoot });
  try {
    const owner = { scope: app.localScope, role: 'owner' as const };
    await app.services.agents.ensureDefault(app.localScope);
    for (const user of options.users) await app.services.users.create(owner, user);
    for (const agent of options.agents) await app.services.agents.put(app.localScope, AgentSpec.parse(agent));
  } finally {
    await app.close();
  }
}

/** A running `autonoma serve`. */
export interface Server {
  url: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `autonoma serve --port 0` on `env`'s home and waits until it listens. */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const started = startCli(['serve', '--port', '0'], cliEnvironment({ ...env, LOG_LEVEL: 'warn' }));
  const output: string[] = [];
  started.child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  let url = '';
  await waitFor(
    () => {
      url = /serving the API at (http:\/\/[^\s]+)/.exec(output.join(''))?.[1] ?? '';
      if (started.child.exitCode !== null) throw new Error(`serve exited:\n${output.join('')}`);
      return url !== '';
    },
    { what: 'autonoma serve to listen', timeoutMs: 120_000 },
  );
  return {
    url,
    child: started.child,
    stderr: () => output.join(''),
    stop: async () => {
      started.child.kill('SIGTERM');
      await Promise.race([started.done, new Promise((resolveLater) => setTimeout(resolveLater, 20_000))]);
      started.child.kill('SIGKILL');
    },
  };
}

/** A browser with a fresh profile. */
export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Launches Debian's Chromium headless with a fresh `--user-data-dir` (Playwright's persistent context). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `${chromiumPath} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'autonoma-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1360, height: 900 },
    timeout: 120_000,
  });
  context.setDefaultTimeout(60_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot under the artifacts directory. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDirectory, { recursive: true });
  const path = join(artifactsDirectory, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Signs in through the form. */
export async function signIn(page: Page, user: TestUser): Promise<void> {
  const form = page.getByRole('form', { name: 'sign in', exact: true });
  await form.getByLabel('Email').fill(user.email);
  await form.getByLabel('Password').fill(user.password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'main' }).waitFor();
}
