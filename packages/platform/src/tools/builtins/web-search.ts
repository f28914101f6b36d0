import { defineTool, ToolError } from '@autonoma/core';
import type { Allowlist } from '../net/allowlist.ts';
import { auditRefusal } from './http-request.ts';
import type { BuiltinToolOptions } from './options.ts';
import { strictInput, textField } from './schema.ts';
import type { SearchProvider, SearchResult } from './search-provider.ts';
import { createSerpApiProvider } from './search-provider.ts';

const input = strictInput({ query: textField('query', 2048) });

/** `web_search {query}` → `{results: [{title, url, snippet}]}` through SerpAPI or an injected provider. */
export function createWebSearchTool(options: BuiltinToolOptions, allow: Allowlist) {
  const timeoutMs = options.http?.timeoutMs ?? 15_000;
  return defineTool({
    name: 'web_search',
    description: 'Search the web; returns titles, URLs and snippets of the top results.',
    input,
    idempotent: true,
    risk: 'low',
    timeoutMs: timeoutMs + 5000,
    async execute({ query }, context): Promise<{ results: SearchResult[] }> {
      let provider: SearchProvider | undefined = options.searchProvider;
      if (!provider && options.serpApiKey) {
        provider = createSerpApiProvider({
          apiKey: options.serpApiKey,
          baseUrl: options.serpApiBaseUrl,
          allow,
          resolver: options.resolver,
          timeoutMs,
          onBlocked: auditRefusal(options, 'web_search', context),
        });
      }
      if (!provider) throw new ToolError('not_configured', 'web_search needs SERPAPI_API_KEY');
      return { results: await provider.search(query, context.signal) };
    },
  });
}
