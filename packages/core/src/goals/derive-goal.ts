import type { GoalSpec } from '../protocol/run.ts';
import type { GoalSpecResult } from './goal-spec.ts';

/** Facts the offline skills produce (their contracts use the same strings). */
export const offlineFacts = {
  sourceAnalyzed: 'source_analyzed',
  datasetSummarized: 'dataset_summarized',
  urlsChecked: 'urls_checked',
  reportWritten: 'report_written',
  /** Any analysis skill leaves findings; `write_report` needs them. */
  findingsAvailable: 'findings_available',
} as const;

/** The error given when a goal text cannot be turned into facts without a model. */
export const noOfflineSkillMessage =
  'no model is configured and the goal text does not match any offline skill; give a goal spec with --spec';

const urlPattern = /\bhttps?:\/\/[^\s"'`<>,;]+[^\s"'`<>,;.)]/gi;
const dataExtensions = /\.(csv|tsv|json|jsonl)$/i;

/** Path-like tokens of a text, in order: `./src`, `lib/core`, `/tmp/x`, `sales.csv`. URLs excluded. */
export function pathsIn(text: string): string[] {
  const withoutUrls = text.replace(urlPattern, ' ');
  const paths: string[] = [];
  for (const raw of withoutUrls.split(/\s+/)) {
    const token = raw.replace(/^["'`(]+|["'`),;:!?]+$/g, '').replace(/\.$/, '');
    if (token.length === 0) continue;
    const looksLikePath =
      /^(?:\.{1,2}|~)?\//.test(token) ||
      /^[\w.-]+(?:\/[\w.-]*)+$/.test(token) ||
      /^[\w-]+\.[a-z][a-z0-9]{0,4}$/i.test(token);
    if (looksLikePath && !/^(e\.g|i\.e|etc)$/i.test(token)) paths.push(token);
  }
  return paths;
}

/** The http(s) URLs of a text, in order, without duplicates. */
export function urlsIn(text: string): string[] {
  return [...new Set(text.match(urlPattern) ?? [])];
}

const has = (text: string, pattern: RegExp): boolean => pattern.test(text);

/**
 * Derives a goal spec from a goal text with keyword rules, for the offline skills, e.g.
 * "analyse the source tree in ./src and write a report" → facts `[source_analyzed, report_written]`,
 * inputs `{ path: './src' }`. Inputs: `path` (source tree), `dataset` (data file), `urls`,
 * `reportPath` (a `.md` path). Fails with {@link noOfflineSkillMessage} when no rule matches.
 */
export function deriveGoalSpec(text: string): GoalSpecResult {
  const lower = text.toLowerCase();
  const paths = pathsIn(text);
  const urls = urlsIn(text);
  const facts: string[] = [];
  const inputs: GoalSpec['inputs'] = {};

  const dataPath = paths.find((path) => dataExtensions.test(path));
  const wantsData =
    dataPath !== undefined && has(lower, /\b(summar|profil|describ|stat|analy[sz]|explor|inspect|look)/);
  if (
    wantsData ||
    has(lower, /\b(summar\w*|profil\w*|describ\w*)\b.*\b(dataset|data set|data|csv|table)\b/)
  ) {
    facts.push(offlineFacts.datasetSummarized);
    if (dataPath) inputs['dataset'] = dataPath;
  }

  const sourcePath = paths.find((path) => !dataExtensions.test(path) && !/\.md$/i.test(path));
  const wantsSource =
    has(
      lower,
      /\b(analy[sz]\w*|scan\w*|inspect\w*|review\w*|audit\w*|examin\w*|look at|todos?|fixmes?|count lines)\b/,
    ) &&
    has(
      lower,
      /\b(source|code|codebase|repo|repository|project|tree|src|files?|folder|directory|todos?|fixmes?)\b/,
    );
  if (wantsSource) {
    facts.push(offlineFacts.sourceAnalyzed);
    inputs['path'] = sourcePath ?? '.';
  }

  if (
    urls.length > 0 &&
    has(
      lower,
      /\b(check\w*|verif\w*|test\w*|ping\w*|validat\w*|monitor\w*|reachab\w*|broken|links?|up|alive)\b/,
    )
  ) {
    facts.push(offlineFacts.urlsChecked);
    inputs['urls'] = urls;
  }

  if (facts.length === 0) return { ok: false, message: noOfflineSkillMessage };
  if (has(lower, /\b(report|write[- ]?up|markdown|document it)\b/)) {
    facts.push(offlineFacts.reportWritten);
    const reportPath = paths.find((path) => /\.md$/i.test(path));
    if (reportPath) inputs['reportPath'] = reportPath;
  }
  return { ok: true, spec: { facts, inputs } };
}
