import { describe, expect, it } from 'vitest';
import { missingCapabilities, requiredCapabilities } from './capabilities.ts';

describe('capabilities', () => {
  it('an agent needs the tools its allowlist names and its MCP transports', () => {
    expect(
      requiredCapabilities({
        tools: ['shell_exec', 'fs_read', 'files__read'],
        mcpServers: [{ transport: 'stdio', name: 'files', command: 'x', args: [], env: {}, timeoutMs: 1 }],
      }),
    ).toEqual(['fs_read', 'mcp:stdio', 'shell_exec']);
    expect(requiredCapabilities({ mcpServers: [] })).toEqual([]);
  });

  it('reports what a worker lacks', () => {
    expect(missingCapabilities(['fs_read', 'shell_exec'], new Set(['fs_read']))).toEqual(['shell_exec']);
  });
});
