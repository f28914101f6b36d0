import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureParent, resolveInWorkspace, shownPath } from './skill-path.ts';

/** What a finding describes. */
export type FindingKind = 'source-tree' | 'dataset' | 'urls';

/** One skill's result, kept on disk for `write_report`. */
export interface Finding<Data = unknown> {
  kind: FindingKind;
  tool: string;
  /** Input the skill ran with (e.g. the analyzed path). */
  subject: string;
  createdAt: string;
  data: Data;
}

/** Directory of a run tree's findings (named by its root run), relative to the workspace. */
export const findingsDirectory = (rootRunId: string): string =>
  join('.autonoma', 'findings', rootRunId.replace(/[^a-zA-Z0-9_.-]/g, '_') || 'run');

/** Which run wrote a finding, and the tree it belongs to. */
export interface FindingOwner {
  runId: string;
  rootRunId: string;
}

/**
 * Writes a finding where the whole delegation tree's report reads it: `<tool>.json` for the tree's
 * root run, `<tool>.<runId>.json` for a run it delegated to, under the root's directory. Returns its
 * workspace-relative path.
 */
export async function writeFinding(
  workspace: string,
  owner: FindingOwner,
  finding: Finding,
): Promise<string> {
  const name = owner.runId === owner.rootRunId ? finding.tool : `${finding.tool}.${owner.runId}`;
  const { root, target } = await resolveInWorkspace(
    workspace,
    join(findingsDirectory(owner.rootRunId), `${name.replace(/[^a-zA-Z0-9_.-]/g, '_')}.json`),
  );
  await ensureParent(root, target);
  await writeFile(target, `${JSON.stringify(finding, null, 2)}\n`, 'utf8');
  return shownPath(root, target);
}

function isFinding(value: unknown): value is Finding {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return typeof record['kind'] === 'string' && typeof record['tool'] === 'string' && 'data' in record;
}

/**
 * The findings written in a run tree (the run that delegated and the runs it delegated to), by file
 * name order; unreadable or foreign files are skipped.
 */
export async function readFindings(workspace: string, rootRunId: string): Promise<Finding[]> {
  const { target } = await resolveInWorkspace(workspace, findingsDirectory(rootRunId));
  let names: string[];
  try {
    names = (await readdir(target)).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const findings: Finding[] = [];
  for (const name of names) {
    try {
      const file = await resolveInWorkspace(workspace, join(findingsDirectory(rootRunId), name));
      const value = JSON.parse(await readFile(file.target, 'utf8')) as unknown;
      if (isFinding(value)) findings.push(value);
    } catch {
      // A half-written or hand-edited file must not break the report.
    }
  }
  return findings;
}
