import { extname } from 'node:path';
import { defineTool, ToolError } from '@autonoma/core';
import { z } from 'zod';
import { columnStats } from './column-stats.ts';
import { guessDelimiter } from './csv.ts';
import { readDatasetFile, recordDatasetSummary } from './dataset-file.ts';

const unsupported = (line: number, why: string): ToolError =>
  new ToolError(
    'unsupported_csv',
    `line ${line}: ${why}; summarize_csv_fast reads simple CSV only (one record per line, no delimiter or newline inside a field) — use summarize_dataset for RFC 4180 quoting`,
  );

/**
 * Splits simple CSV in one pass over its lines: a field may be wrapped in quotes, but a quoted field
 * that holds the delimiter, a newline or an escaped quote is refused rather than guessed at, and so
 * is a record whose field count differs from the header's.
 */
export function splitSimpleCsv(
  text: string,
  delimiter = guessDelimiter(text),
): { columns: string[]; rows: string[][] } {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = source.split(/\r?\n/);
  const rows: string[][] = [];
  let width = 0;
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const fields = line.split(delimiter).map((raw) => {
      const field = raw.trim();
      if (!field.includes('"')) return raw;
      const wrapped = field.length >= 2 && field.startsWith('"') && field.endsWith('"');
      const inner = wrapped ? field.slice(1, -1) : field;
      if (!wrapped || inner.includes('"')) {
        throw unsupported(
          index + 1,
          field.startsWith('"')
            ? 'a quoted field continues past a delimiter or onto the next line'
            : 'a field contains a quote',
        );
      }
      return inner;
    });
    if (rows.length === 0) width = fields.length;
    else if (fields.length !== width)
      throw unsupported(index + 1, `${fields.length} fields where the header has ${width}`);
    rows.push(fields);
  }
  const [header = [], ...body] = rows;
  const columns = header.map((name, index) => name.trim() || `column_${index + 1}`);
  return { columns, rows: body };
}

const input = z.strictObject({ path: z.string().min(1).max(4096) });

/**
 * `summarize_csv_fast {path}`: the same summary as `summarize_dataset` for plain CSV/TSV, in one pass
 * over the lines and at a lower planner cost. It refuses JSON and quoted fields that span delimiters
 * or lines, which `summarize_dataset` handles: a genuine trade-off the planner and the bandit learn.
 */
export function createSummarizeCsvFastTool(home?: string) {
  return defineTool({
    name: 'summarize_csv_fast',
    description:
      'Summarize a simple CSV/TSV file quickly (one record per line; no delimiters, newlines or escaped quotes inside fields): rows, and per column the count, missing values, numeric stats or top categories. Fails with unsupported_csv on RFC 4180 quoting; summarize_dataset handles that. Saves the result as a finding for write_report.',
    input,
    idempotent: true,
    risk: 'low',
    contract: {
      preconditions: [],
      effects: ['dataset_summarized', 'findings_available'],
      deletes: ['report_written'],
      // Cheaper than summarize_dataset (1) so the planner tries it first; one failure makes its
      // learned cost (×2) exceed the tolerant tool's.
      cost: 0.6,
      args: (inputs) => ({ path: inputs['dataset'] ?? inputs['path'] }),
    },
    async execute({ path }, context) {
      const extension = extname(path).toLowerCase();
      if (extension !== '.csv' && extension !== '.tsv')
        throw new ToolError('unsupported_format', `'${path}' is not a .csv or .tsv file`);
      const { file, text } = await readDatasetFile(context.workspace, path, home);
      const { columns, rows } = splitSimpleCsv(text);
      return recordDatasetSummary(context, 'summarize_csv_fast', {
        file,
        format: 'csv',
        rows: rows.length,
        columns: columns.map((column, index) =>
          columnStats(
            column,
            rows.map((row) => row[index]),
          ),
        ),
      });
    },
  });
}
