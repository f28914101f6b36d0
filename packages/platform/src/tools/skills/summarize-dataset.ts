import { extname } from 'node:path';
import { defineTool, ToolError } from '@autonoma/core';
import { z } from 'zod';
import { columnStats } from './column-stats.ts';
import { csvRecords } from './csv.ts';
import { readDatasetFile, recordDatasetSummary } from './dataset-file.ts';

/** Rows of a dataset file as records, from CSV/TSV or a JSON array (of objects, or of scalars). */
export function datasetRecords(
  text: string,
  extension: string,
): { format: 'csv' | 'json'; columns: string[]; records: Record<string, unknown>[] } {
  const json = extension === '.json' || (extension !== '.csv' && extension !== '.tsv' && /^\s*\[/.test(text));
  if (!json) return { format: 'csv', ...csvRecords(text) };
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ToolError('invalid_dataset', `the file is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value))
    throw new ToolError('invalid_dataset', 'a JSON dataset must be an array of records');
  const records = value.map((item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? (item as Record<string, unknown>)
      : { value: item },
  );
  const columns: string[] = [];
  for (const record of records)
    for (const key of Object.keys(record)) if (!columns.includes(key)) columns.push(key);
  return { format: 'json', columns, records };
}

const input = z.strictObject({ path: z.string().min(1).max(4096) });

/** `summarize_dataset {path}`: per-column count, missing, numeric stats or top categories of a CSV or JSON file. */
export function createSummarizeDatasetTool(home?: string) {
  return defineTool({
    name: 'summarize_dataset',
    description:
      'Summarize a CSV/TSV file or a JSON array of records in the workspace: rows, and per column the count, missing values, numeric min/max/mean/median/stddev or the top categories. Saves the result as a finding for write_report.',
    input,
    idempotent: true,
    risk: 'low',
    contract: {
      preconditions: [],
      effects: ['dataset_summarized', 'findings_available'],
      deletes: ['report_written'],
      cost: 1,
      args: (inputs) => ({ path: inputs['dataset'] ?? inputs['path'] }),
    },
    async execute({ path }, context) {
      const { file, target, text } = await readDatasetFile(context.workspace, path, home);
      const { format, columns, records } = datasetRecords(text, extname(target).toLowerCase());
      return recordDatasetSummary(context, 'summarize_dataset', {
        file,
        format,
        rows: records.length,
        columns: columns.map((column) =>
          columnStats(
            column,
            records.map((record) => record[column]),
          ),
        ),
      });
    },
  });
}
