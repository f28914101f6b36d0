/**
 * Orders test files longest first, from the durations recorded in `test-durations.json`
 * (`node scripts/record-test-durations.ts <vitest JSON report>` refreshes it). Files run on a few
 * workers: starting the long ones first keeps one of them from starting last and holding the whole
 * suite up (the longest-processing-time rule). A clean clone has no vitest cache, which otherwise
 * orders by file size, a poor guess for tests that mostly wait on processes.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

const root = resolve(import.meta.dirname, '..');
const durationsFile = resolve(import.meta.dirname, 'test-durations.json');

/** Recorded duration in milliseconds of each test file, by its path from the repository's root. */
export type Durations = Readonly<Record<string, number>>;

/**
 * Recorded files longest first; a file with no recorded duration (a new one) counts as the median of
 * the recorded ones. Stable for equal durations.
 */
export function longestFirst<T>(files: readonly T[], pathOf: (file: T) => string, durations: Durations): T[] {
  const recorded = Object.values(durations).sort((a, b) => a - b);
  const median = recorded.length > 0 ? (recorded[Math.floor(recorded.length / 2)] ?? 0) : 0;
  return files
    .map((file, index) => ({ file, index, duration: durations[pathOf(file)] ?? median }))
    .sort((a, b) => b.duration - a.duration || a.index - b.index)
    .map((entry) => entry.file);
}

function readDurations(): Durations {
  return JSON.parse(readFileSync(durationsFile, 'utf8')) as Durations;
}

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // The base order keeps projects apart and puts files without results first; within each project,
    // the recorded durations decide.
    const base = await super.sort(files);
    const durations = readDurations();
    const byProject = new Map<string, TestSpecification[]>();
    for (const file of base) {
      const group = byProject.get(file.project.name) ?? [];
      group.push(file);
      byProject.set(file.project.name, group);
    }
    return [...byProject.values()].flatMap((group) =>
      longestFirst(group, (file) => relative(root, file.moduleId), durations),
    );
  }
}
