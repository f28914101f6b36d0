import { stat } from 'node:fs/promises';
import { defineTool, ToolError } from '@autonoma/core';
import { z } from 'zod';
import { isProtected } from '../sandbox/protected-paths.ts';
import { writeFinding } from './findings.ts';
import { resolveInWorkspace, shownPath } from './skill-path.ts';
import type { Marker, ScannedFile } from './source-scan.ts';
import { scanTree } from './source-scan.ts';

/** What `analyze_source_tree` finds. */
export interface SourceTreeAnalysis {
  root: string;
  files: number;
  lines: number;
  bytes: number;
  languages: { language: string; files: number; lines: number }[];
  markers: Marker[];
  largestFiles: ScannedFile[];
  truncated: boolean;
}

/** Aggregates a scan into the analysis kept as a finding. */
export function summarizeScan(
  root: string,
  files: readonly ScannedFile[],
  markers: Marker[],
  truncated: boolean,
): SourceTreeAnalysis {
  const byLanguage = new Map<string, { files: number; lines: number }>();
  for (const file of files) {
    const total = byLanguage.get(file.language) ?? { files: 0, lines: 0 };
    total.files++;
    total.lines += file.lines;
    byLanguage.set(file.language, total);
  }
  return {
    root,
    files: files.length,
    lines: files.reduce((sum, file) => sum + file.lines, 0),
    bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    languages: [...byLanguage.entries()]
      .map(([language, total]) => ({ language, ...total }))
      .sort((a, b) => b.lines - a.lines || (a.language < b.language ? -1 : 1)),
    markers,
    largestFiles: [...files].sort((a, b) => b.bytes - a.bytes || (a.file < b.file ? -1 : 1)).slice(0, 10),
    truncated,
  };
}

const input = z.strictObject({ path: z.string().min(1).max(4096).default('.') });

/**
 * `analyze_source_tree {path}`: files, languages, line counts, TODO/FIXME markers, largest files. Given
 * Autonoma's `home`, the walk never enters it.
 */
export function createAnalyzeSourceTreeTool(home?: string) {
  return defineTool({
    name: 'analyze_source_tree',
    description:
      'Analyze a source tree in the workspace: file count, languages by extension, line counts, TODO/FIXME/HACK markers with file:line, and the largest files. Saves the result as a finding for write_report.',
    input,
    idempotent: true,
    risk: 'low',
    timeoutMs: 120_000,
    contract: {
      preconditions: [],
      effects: ['source_analyzed', 'findings_available'],
      deletes: ['report_written'],
      cost: 2,
      args: (inputs) => ({ path: typeof inputs['path'] === 'string' ? inputs['path'] : '.' }),
    },
    async execute({ path }, context) {
      const { root, target, area } = await resolveInWorkspace(context.workspace, path, home);
      const info = await stat(target).catch(() => undefined);
      if (!info?.isDirectory())
        throw new ToolError('not_a_directory', `'${path}' is not a directory in the workspace`);
      const scan = await scanTree(root, target, {
        maxFiles: 20_000,
        maxFileBytes: 2_000_000,
        maxMarkers: 500,
        signal: context.signal,
        ...(area ? { skip: (entry: string) => isProtected(area, entry) } : {}),
      });
      const analysis = summarizeScan(shownPath(root, target), scan.files, scan.markers, scan.truncated);
      const findingsPath = await writeFinding(context.workspace, context, {
        kind: 'source-tree',
        tool: 'analyze_source_tree',
        subject: analysis.root,
        createdAt: new Date().toISOString(),
        data: analysis,
      });
      const top = analysis.languages
        .slice(0, 3)
        .map((language) => `${language.language} ${language.lines}`)
        .join(', ');
      const summary = `${analysis.files} files, ${analysis.lines} lines (${top || 'no text files'}), ${analysis.markers.length} TODO/FIXME markers in ${analysis.root}`;
      return { summary, findingsPath, ...analysis, markers: analysis.markers.slice(0, 50) };
    },
  });
}
