#!/usr/bin/env node
// Builds the web dashboard (apps/web → apps/web/dist) as the last step of `npm install`, so that on a
// fresh clone `npm install && npx autonoma serve` shows it at / with no step to remember.
// Plain JavaScript (not TypeScript) because npm may run it with whatever Node started npm.
// It steps aside, exit 0, where there is nothing to build: an install without dev dependencies
// (`--omit=dev`: no Vite), a tree with only the manifests (the Dockerfile's install layer, whose web
// stage builds explicitly), or AUTONOMA_SKIP_WEB_BUILD=1. A failed build warns and leaves the install
// usable: `autonoma serve` then says the dashboard is missing and how to build it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'apps', 'web');
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const say = (message) => process.stderr.write(`autonoma: ${message}\n`);

if (process.env.AUTONOMA_SKIP_WEB_BUILD === '1') {
  say('AUTONOMA_SKIP_WEB_BUILD=1: not building the dashboard');
} else if (!existsSync(join(web, 'src', 'main.tsx'))) {
  say('no dashboard sources here (apps/web/src): not building it');
} else if (!existsSync(vite)) {
  say('Vite is not installed (production install): not building the dashboard');
} else {
  say('building the web dashboard (apps/web/dist)…');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: web,
    stdio: 'inherit',
  });
  if (result.status === 0) say('dashboard built: `npx autonoma serve` shows it at /');
  else
    say(
      `the dashboard build failed (exit ${result.status ?? result.signal}); the API works without it. ` +
        'Retry with `npm run build -w apps/web`.',
    );
}
