/**
 * The dependency rules `npm test` enforces (through `check-deps.ts`), as a function over a directory so
 * the rules themselves are tested (`dependency-guard.test.ts`):
 *   - no circular import between files of `packages/core/src` and `packages/platform/src`;
 *   - `packages/core/src` imports nothing but zod: no `node:` built-ins, no I/O libraries, and no
 *     relative path that leads out of `packages/core/src` (into platform, or anywhere else);
 *   - `packages/core/src/protocol` (exported as `@autonoma/core/protocol` for browser bundles) imports
 *     only zod, its own files and `packages/core/src/errors.ts`.
 * Test files (`*.test.ts`) and declaration files are not checked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

const importPattern =
  /(?:^|[^.\w])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^.\w])import\s+['"]([^'"]+)['"]/gm;

function sourceFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** The module specifiers a file imports or re-exports (comments stripped first). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const match of code.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier) found.push(specifier);
  }
  return found;
}

/** True when `path` is `directory` or lies under it. */
const isInside = (directory: string, path: string): boolean => {
  const rest = relative(directory, path);
  return rest === '' || (!rest.startsWith('..') && !isAbsolute(rest));
};

const isZod = (specifier: string): boolean => specifier === 'zod' || specifier.startsWith('zod/');

/** Strongly connected components with more than one file (Tarjan), each a circular import. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowLinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string): void => {
    indices.set(node, index);
    lowLinks.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        connect(next);
        lowLinks.set(node, Math.min(lowLinks.get(node) ?? 0, lowLinks.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowLinks.set(node, Math.min(lowLinks.get(node) ?? 0, indices.get(next) ?? 0));
      }
    }
    if (lowLinks.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) connect(node);
  return found;
}

/** What {@link checkDependencies} found. */
export interface GuardReport {
  /** Source files checked. */
  files: number;
  /** One line per broken rule, naming the file (relative to the root) and the import. */
  problems: string[];
}

/** Checks the dependency rules over the workspace at `root` (the directory holding `packages/`). */
export function checkDependencies(root: string): GuardReport {
  const coreSrc = join(root, 'packages', 'core', 'src');
  const protocolDir = join(coreSrc, 'protocol');
  const errorsFile = join(coreSrc, 'errors.ts');
  const problems: string[] = [];
  const graph = new Map<string, string[]>();
  for (const pkg of ['core', 'platform']) {
    for (const file of sourceFiles(join(root, 'packages', pkg, 'src'))) {
      const where = relative(root, file);
      const inProtocol = isInside(protocolDir, file);
      const edges: string[] = [];
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          edges.push(target);
          if (pkg === 'core' && !isInside(coreSrc, target)) {
            problems.push(`${where}: core may import only zod and its own files, found '${specifier}'`);
          } else if (inProtocol && !isInside(protocolDir, target) && target !== errorsFile) {
            problems.push(
              `${where}: protocol may import only zod, protocol files and errors.ts, found '${specifier}'`,
            );
          }
        } else if (pkg === 'core' && !isZod(specifier)) {
          problems.push(`${where}: core may import only zod, found '${specifier}'`);
        }
      }
      graph.set(file, edges);
    }
  }
  for (const component of cycles(graph)) {
    problems.push(`circular import: ${component.map((file) => relative(root, file)).join(' -> ')}`);
  }
  return { files: graph.size, problems };
}
