import { ToolError } from '@autonoma/core';
import type { Allowlist } from '../net/allowlist.ts';
import type { Resolver, SsrfBlockedError } from '../net/guarded-lookup.ts';
import { guardedRequest } from '../net/guarded-request.ts';

/** One web search hit. */
export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

/** A web search backend. */
export interface SearchProvider {
  search(query: string, signal: AbortSignal): Promise<SearchResult[]>;
}

/** Options for {@link createSerpApiProvider}. */
export interface SerpApiOptions {
  apiKey: string;
  /** @default 'https://serpapi.com' */
  baseUrl?: string;
  allow: Allowlist;
  resolver?: Resolver;
  /** @default 15000 */
  timeoutMs?: number;
  onBlocked?: (refusal: SsrfBlockedError) => Promise<void>;
}

interface OrganicResult {
  title?: unknown;
  link?: unknown;
  snippet?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * SerpAPI (`GET /search.json?engine=google&q=…&api_key=…`) through the SSRF-guarded client. The key is
 * scrubbed from every error message.
 */
export function createSerpApiProvider(options: SerpApiOptions): SearchProvider {
  const scrub = (message: string) => message.split(options.apiKey).join('***');
  return {
    async search(query, signal) {
      const url = new URL('/search.json', options.baseUrl ?? 'https://serpapi.com');
      url.search = new URLSearchParams({ engine: 'google', q: query, api_key: options.apiKey }).toString();
      let response;
      try {
        response = await guardedRequest({
          method: 'GET',
          url: url.href,
          headers: { accept: 'application/json' },
          allow: options.allow,
          resolver: options.resolver,
          timeoutMs: options.timeoutMs,
          signal,
          onBlocked: options.onBlocked,
        });
      } catch (error: unknown) {
        if (error instanceof ToolError) throw new ToolError(error.code, scrub(error.message));
        throw new ToolError('search_failed', 'the search provider could not be reached');
      }
      let parsed: { organic_results?: unknown; error?: unknown };
      try {
        parsed = JSON.parse(response.body) as typeof parsed;
      } catch {
        throw new ToolError('search_failed', `the search provider answered ${response.status} with non-JSON`);
      }
      if (response.status !== 200 || typeof parsed.error === 'string') {
        const detail = typeof parsed.error === 'string' ? `: ${scrub(parsed.error)}` : '';
        throw new ToolError('search_failed', `the search provider answered ${response.status}${detail}`);
      }
      const organic = Array.isArray(parsed.organic_results)
        ? (parsed.organic_results as OrganicResult[])
        : [];
      return organic.map((hit) => ({
        title: text(hit.title),
        url: text(hit.link),
        snippet: text(hit.snippet),
      }));
    },
  };
}
