import { writeFile } from 'node:fs/promises';
import { defineTool, ToolError } from '@autonoma/core';
import { z } from 'zod';
import { readFindings } from './findings.ts';
import { renderReport } from './report-markdown.ts';
import { ensureParent, resolveInWorkspace, shownPath } from './skill-path.ts';

/** Default report file, relative to the workspace. */
export const defaultReportPath = 'autonoma-report.md';

const input = z.strictObject({
  title: z.string().min(1).max(200).optional(),
  path: z
    .string()
    .min(1)
    .max(4096)
    .regex(/\.(md|markdown)$/i, 'the report path must end in .md')
    .optional(),
});

/**
 * `write_report {title?, path?}`: writes the findings of this run's skills as a Markdown report, never
 * into Autonoma's `home`.
 */
export function createWriteReportTool(home?: string) {
  return defineTool({
    name: 'write_report',
    description: `Write a Markdown report of the findings collected by the analysis skills in this run and the runs it delegated to (source tree, dataset, URL checks) to a file in the workspace (default ${defaultReportPath}).`,
    input,
    idempotent: true,
    risk: 'medium',
    contract: {
      preconditions: ['findings_available'],
      effects: ['report_written'],
      cost: 1,
      args: (inputs) => ({
        ...(typeof inputs['reportPath'] === 'string' ? { path: inputs['reportPath'] } : {}),
        ...(typeof inputs['title'] === 'string' ? { title: inputs['title'] } : {}),
      }),
    },
    async execute({ title, path }, context) {
      const findings = await readFindings(context.workspace, context.rootRunId);
      if (findings.length === 0)
        throw new ToolError(
          'no_findings',
          'no analysis skill has saved findings in this run yet; run one before write_report',
        );
      const { root, target } = await resolveInWorkspace(context.workspace, path ?? defaultReportPath, home);
      await ensureParent(root, target);
      const markdown = renderReport(title ?? 'Autonoma report', findings, new Date().toISOString());
      await writeFile(target, markdown, 'utf8');
      const reportPath = shownPath(root, target);
      const kinds = findings.map((finding) => finding.kind).join(', ');
      return {
        reportPath,
        bytes: Buffer.byteLength(markdown),
        sections: findings.length,
        summary: `report with ${findings.length} section(s) (${kinds}) written to ${reportPath}`,
      };
    },
  });
}
