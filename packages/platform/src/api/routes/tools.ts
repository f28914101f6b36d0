/** `/v1/tools`: the tools runs can use, with their risk and input schema. */
import { z } from 'zod';
import { ToolView, toToolView } from '../views/audit.ts';
import { errorResponses } from '../views/common.ts';
import type { ApiRoutes } from './route-deps.ts';

/** The tool routes. */
export const toolRoutes: ApiRoutes = (api, { tools }) => {
  api.get('/tools', {
    config: { permission: 'tools:read' },
    schema: {
      tags: ['tools'],
      summary: 'List the tools runs can use',
      description:
        "An agent's `tools` allowlist picks among these (and its MCP servers' `<server>__<tool>`).",
      response: { 200: z.object({ items: z.array(ToolView) }), ...errorResponses },
    },
    handler: async () => ({ items: tools.list().map(toToolView) }),
  });
};
