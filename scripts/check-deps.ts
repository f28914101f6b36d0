/**
 * Dependency guard run by `npm test`: fails on any circular import between project files, on
 * `packages/core` importing anything but zod or its own files, and on `packages/core/src/protocol`
 * importing outside itself (rules in `dependency-guard.ts`).
 */
import { resolve } from 'node:path';
import { checkDependencies } from './dependency-guard.ts';

const { files, problems } = checkDependencies(resolve(import.meta.dirname, '..'));
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(
  `dependency guard: ${files} files, no cycles, core imports only zod and itself, protocol stays in protocol`,
);
