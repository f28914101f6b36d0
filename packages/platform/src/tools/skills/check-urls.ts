import { defineTool, ToolError } from '@autonoma/core';
import { z } from 'zod';
import { writeFinding } from './findings.ts';

/** A fetch-like function; the platform passes its SSRF-guarded client. */
export type SkillFetch = (
  url: string,
  init: { method: string; signal: AbortSignal },
) => Promise<{ status: number }>;

/** The outcome of checking one URL. */
export interface UrlCheck {
  url: string;
  method: string;
  status: number | null;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

const input = z.strictObject({
  urls: z.array(z.string().url().max(2048)).min(1).max(100),
  timeoutMs: z.number().int().positive().max(60_000).default(10_000),
});

/** Checks URLs a few at a time, in input order, each under its own timeout. */
export async function checkUrls(
  fetch: SkillFetch,
  urls: readonly string[],
  options: { method: 'HEAD' | 'GET'; timeoutMs: number; signal: AbortSignal; concurrency?: number },
): Promise<UrlCheck[]> {
  const results: UrlCheck[] = new Array<UrlCheck>(urls.length);
  let next = 0;
  const checkOne = async (url: string): Promise<UrlCheck> => {
    const protocol = new URL(url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:')
      return {
        url,
        method: options.method,
        status: null,
        ok: false,
        latencyMs: 0,
        error: `unsupported protocol ${protocol}`,
      };
    const started = performance.now();
    const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
    let method: string = options.method;
    try {
      let response = await fetch(url, { method, signal });
      // Some servers refuse HEAD; a GET tells whether the resource is there.
      if (method === 'HEAD' && (response.status === 405 || response.status === 501)) {
        method = 'GET';
        response = await fetch(url, { method, signal });
      }
      const latencyMs = Math.round(performance.now() - started);
      return {
        url,
        method,
        status: response.status,
        ok: response.status >= 200 && response.status < 400,
        latencyMs,
      };
    } catch (error: unknown) {
      options.signal.throwIfAborted();
      const latencyMs = Math.round(performance.now() - started);
      const timedOut = signal.aborted;
      const message = timedOut
        ? `timed out after ${options.timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
      return { url, method, status: null, ok: false, latencyMs, error: message.slice(0, 300) };
    }
  };
  const worker = async (): Promise<void> => {
    while (next < urls.length) {
      const index = next++;
      results[index] = await checkOne(urls[index] ?? '');
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, urls.length) }, worker));
  return results;
}

/**
 * `check_urls {urls}` (HEAD, falling back to GET when refused) and `check_urls_get {urls}` (GET):
 * two ways to the same `urls_checked` fact, so the bandit can learn which works better per site.
 */
export function createCheckUrlsTool(fetch: SkillFetch, method: 'HEAD' | 'GET') {
  const name = method === 'HEAD' ? 'check_urls' : 'check_urls_get';
  return defineTool({
    name,
    description:
      method === 'HEAD'
        ? 'Check that URLs answer (HEAD request, GET when HEAD is refused): status, ok, latency per URL. Saves the result as a finding for write_report.'
        : 'Check that URLs answer with a full GET request (for servers that mishandle HEAD): status, ok, latency per URL. Saves the result as a finding for write_report.',
    input,
    idempotent: true,
    risk: 'medium',
    timeoutMs: 300_000,
    contract: {
      preconditions: [],
      effects: ['urls_checked', 'findings_available'],
      deletes: ['report_written'],
      cost: method === 'HEAD' ? 1 : 1.5,
      args: (inputs) => ({ urls: inputs['urls'] }),
    },
    async execute({ urls, timeoutMs }, context) {
      const checks = await checkUrls(fetch, urls, { method, timeoutMs, signal: context.signal });
      if (checks.every((check) => check.status === null)) {
        throw new ToolError(
          'unreachable',
          `none of the ${checks.length} URL(s) answered: ${checks[0]?.error ?? 'no answer'}`,
        );
      }
      const findingsPath = await writeFinding(context.workspace, context, {
        kind: 'urls',
        tool: name,
        subject: `${urls.length} URL(s)`,
        createdAt: new Date().toISOString(),
        data: { checks },
      });
      const up = checks.filter((check) => check.ok).length;
      return { summary: `${up} of ${checks.length} URL(s) answered OK`, findingsPath, checks };
    },
  });
}
