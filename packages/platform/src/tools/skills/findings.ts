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

/** Directory of a run's findings, relative to the workspace. */
export const findingsDirectory = (runId: string): string =>
  join('.autonoma', 'findings', runId.replace(/[^a-zA-Z0-9_.-]/g, '_') || 'run');

/** Writes a finding as `<workspace>/.autonoma/findings/<runId>/<tool>.json`; returns its workspace-relative path. */
export async function writeFinding(workspace: string, runId: string, finding: Finding): Promise<string> {
  const { root, target } = await resolveInWorkspace(
    workspace,
    join(findingsDirectory(runId), `${finding.tool}.json`),
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

/** The findings written in a run, by file name order; unreadable or foreign files are skipped. */
export async function readFindings(workspace: string, runId: string): Promise<Finding[]> {
  const { target } = await resolveInWorkspace(workspace, findingsDirectory(runId));
  let names: string[];
  try {
    names = (await readdir(target)).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const findings: Finding[] = [];
  for (const name of names) {
    try {
      const file = await resolveInWorkspace(workspace, join(findingsDirectory(runId), name));
      const value = JSON.parse(await readFile(file.target, 'utf8')) as unknown;
      if (isFinding(value)) findings.push(value);
    } catch {
      // A half-written or hand-edited file must not break the report.
    }
  }
  return findings;
}
