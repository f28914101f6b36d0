#!/usr/bin/env node
// Autonoma runs on Node >= 22.12 (the project ships Node 24 as its `node` devDependency). When an
// older Node starts this script, hand over to the project's own Node rather than failing obscurely.
import { spawnSync } from 'node:child_process';
import module from 'node:module';
import v8 from 'node:v8';
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
// Short-lived commands keep the embedded store's WebAssembly (PostgreSQL) on V8's baseline compiler.
// Otherwise V8 recompiles PostgreSQL's hottest functions with its optimizing compiler in the background,
// and a process cannot exit before that finishes: every command paid about 2 s of CPU and 450 MB for
// it at its very end (see bench/RESULTS.md, start-up). The tier-up filter names a function index no
// module has, so nothing tiers up; unlike `--liftoff-only` it can still be set once Node is running.
// The long-running `serve` and `worker` keep the optimizing tier, which pays off over hours.
if (!['serve', 'worker'].includes(process.argv[2] ?? ''))
  v8.setFlagsFromString('--wasm-tier-up-filter=2147483647');
// Cache V8's compilation of Autonoma's TypeScript and its dependencies on disk (under the system temp
// directory, per user): a warm start skips type stripping and parsing, about a third of start-up.
module.enableCompileCache?.();
await import('../src/cli/main.ts');
