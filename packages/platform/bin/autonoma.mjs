#!/usr/bin/env node
// Autonoma runs on Node >= 22.12 (the project ships Node 24 as its `node` devDependency). When an
// older Node starts this script, hand over to the project's own Node rather than failing obscurely.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth += 1) {
    const candidate = join(directory, 'node_modules', '.bin', 'node');
    if (existsSync(candidate)) {
      const result = spawnSync(candidate, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
        stdio: 'inherit',
      });
      process.exit(result.status ?? 1);
    }
    directory = dirname(directory);
  }
  process.stderr.write(`autonoma: Node ${process.versions.node} is too old; Node >= 22.12 is required\n`);
  process.exit(1);
}
await import('../src/cli/main.ts');
