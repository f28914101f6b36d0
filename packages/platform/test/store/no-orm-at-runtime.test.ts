/**
 * drizzle-orm costs ~250 MB of RSS to import, so it only feeds drizzle-kit (`schema.ts` →
 * migrations). Nothing that runs may load it: this fails when a runtime module imports drizzle-orm or
 * the Drizzle schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const source = fileURLToPath(new URL('../../src/', import.meta.url));
const schema = join(source, 'store', 'schema.ts');
const importPattern =
  /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const runtimeFiles = (directory: string): string[] =>
  readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return runtimeFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && path !== schema ? [path] : [];
  });

describe('no ORM at runtime', () => {
  it('no module under packages/platform/src but schema.ts imports drizzle-orm or the schema', () => {
    const offenders: string[] = [];
    for (const file of runtimeFiles(source)) {
      for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
        const specifier = match[1] ?? match[2] ?? '';
        const drizzle = specifier === 'drizzle-orm' || specifier.startsWith('drizzle-orm/');
        const toSchema = specifier.startsWith('.') && resolve(file, '..', specifier) === schema;
        if (drizzle || toSchema) offenders.push(`${relative(source, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
