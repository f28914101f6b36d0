/**
 * Dependency guard run by `npm test`: fails on any circular import between project files and on
 * `packages/core` importing anything but zod (no `node:` built-ins, no I/O libraries, no platform code).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
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

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier) found.push(specifier);
  }
  return found;
}

const problems: string[] = [];
const graph = new Map<string, string[]>();
for (const pkg of ['core', 'platform']) {
  const srcDir = join(root, 'packages', pkg, 'src');
  for (const file of sourceFiles(srcDir)) {
    const edges: string[] = [];
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) {
        edges.push(resolve(dirname(file), specifier));
        continue;
      }
      if (pkg === 'core' && specifier !== 'zod' && !specifier.startsWith('zod/')) {
        problems.push(`${relative(root, file)}: core may import only zod, found '${specifier}'`);
      }
    }
    graph.set(file, edges);
  }
}

// Tarjan's strongly connected components: any component with more than one file is a cycle.
let index = 0;
const indices = new Map<string, number>();
const lowLinks = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function connect(node: string): void {
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
    if (component.length > 1)
      problems.push(`circular import: ${component.map((f) => relative(root, f)).join(' -> ')}`);
  }
}
for (const node of graph.keys()) if (!indices.has(node)) connect(node);

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(`dependency guard: ${graph.size} files, no cycles, core imports only zod`);
