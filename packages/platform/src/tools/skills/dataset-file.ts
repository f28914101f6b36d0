import { readFile, stat } from 'node:fs/promises';
import type { ToolContext } from '@autonoma/core';
import { ToolError } from '@autonoma/core';
import type { ColumnStats } from './column-stats.ts';
import { writeFinding } from './findings.ts';
import { resolveInWorkspace, shownPath } from './skill-path.ts';

/** What a dataset summary skill finds. */
export interface DatasetSummary {
  file: string;
  format: 'csv' | 'json';
  rows: number;
  columns: ColumnStats[];
}

/** Largest data file the dataset skills read. */
export const maxDatasetBytes = 50_000_000;

/**
 * Reads a data file inside the workspace, refusing escapes, Autonoma's own files (given its `home`),
 * non-files and files over the size cap.
 */
export async function readDatasetFile(
  workspace: string,
  path: string,
  home: string | undefined,
): Promise<{ file: string; target: string; text: string }> {
  const { root, target } = await resolveInWorkspace(workspace, path, home);
  const info = await stat(target).catch(() => undefined);
  if (!info?.isFile()) throw new ToolError('not_found', `'${path}' is not a file in the workspace`);
  if (info.size > maxDatasetBytes)
    throw new ToolError('too_large', `'${path}' is larger than ${maxDatasetBytes} bytes`);
  return { file: shownPath(root, target), target, text: await readFile(target, 'utf8') };
}

/** Saves a dataset summary as a finding for `write_report` and returns the tool's result. */
export async function recordDatasetSummary(context: ToolContext, tool: string, summary: DatasetSummary) {
  const findingsPath = await writeFinding(context.workspace, context, {
    kind: 'dataset',
    tool,
    subject: summary.file,
    createdAt: new Date().toISOString(),
    data: summary,
  });
  const numeric = summary.columns.filter((column) => column.type === 'numeric').length;
  return {
    summary: `${summary.rows} rows × ${summary.columns.length} columns (${numeric} numeric) in ${summary.file}`,
    findingsPath,
    ...summary,
  };
}
