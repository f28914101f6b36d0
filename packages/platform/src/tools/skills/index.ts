import type { AnyTool } from '@autonoma/core';
import { createAnalyzeSourceTreeTool } from './analyze-source-tree.ts';
import type { SkillFetch } from './check-urls.ts';
import { createCheckUrlsTool } from './check-urls.ts';
import { createSummarizeCsvFastTool } from './summarize-csv-fast.ts';
import { createSummarizeDatasetTool } from './summarize-dataset.ts';
import { createWriteReportTool } from './write-report.ts';

export type { SkillFetch, UrlCheck } from './check-urls.ts';
export { readFindings, writeFinding, findingsDirectory } from './findings.ts';
export type { Finding, FindingKind } from './findings.ts';
export { defaultReportPath } from './write-report.ts';

/** Options of the offline skills. */
export interface SkillToolOptions {
  /**
   * HTTP client for `check_urls` / `check_urls_get`; pass the SSRF-guarded one. Without it the URL
   * skills are left out rather than reaching the network unguarded.
   */
  fetch?: SkillFetch;
  /**
   * Autonoma's home (`AUTONOMA_HOME`), absolute: the skills refuse paths in it and their tree walks
   * skip it (see `isProtected`). Without it nothing is protected.
   */
  home?: string;
}

/**
 * The offline, planner-ready skills: `analyze_source_tree`, `summarize_dataset`, the cheaper but
 * stricter `summarize_csv_fast`, `write_report`,
 * and, with a `fetch`, `check_urls` and `check_urls_get`. Each declares an ActionContract, so the
 * planner brain can reach facts such as `source_analyzed` and `report_written` with no model.
 */
export function createSkillTools(options: SkillToolOptions = {}): AnyTool[] {
  const tools: unknown[] = [
    createAnalyzeSourceTreeTool(options.home),
    createSummarizeDatasetTool(options.home),
    createSummarizeCsvFastTool(options.home),
    createWriteReportTool(options.home),
  ];
  if (options.fetch) {
    tools.push(createCheckUrlsTool(options.fetch, 'HEAD'), createCheckUrlsTool(options.fetch, 'GET'));
  }
  // A concrete ToolDefinition is not assignable to AnyTool (ToolDefinition<never, unknown>) because
  // the zod input type is invariant; registries only call execute with schema-checked input.
  return tools as AnyTool[];
}
