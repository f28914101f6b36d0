import { describe, expect, it } from 'vitest';
import { mcpToolName, mcpToolRisk } from './mcp-tools.ts';

describe('mcpToolName', () => {
  it('namespaces and sanitizes to the provider-safe pattern', () => {
    expect(mcpToolName('files', 'read')).toBe('files__read');
    expect(mcpToolName('files', 'read.file/v2 beta')).toBe('files__read_file_v2_beta');
    const long = mcpToolName('files', 'x'.repeat(100));
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it('gives a clash a numbered suffix within 64 characters', () => {
    const taken = new Set(['files__a_b', `files__${'x'.repeat(57)}`]);
    expect(mcpToolName('files', 'a.b', taken)).toBe('files__a_b_2');
    expect(mcpToolName('files', 'x'.repeat(80), taken)).toBe(`files__${'x'.repeat(55)}_2`);
  });
});

describe('mcpToolRisk', () => {
  it('reads destructive and read-only hints', () => {
    expect(mcpToolRisk({ destructiveHint: true, readOnlyHint: true })).toBe('high');
    expect(mcpToolRisk({ readOnlyHint: true })).toBe('low');
    expect(mcpToolRisk({ destructiveHint: false })).toBe('medium');
    expect(mcpToolRisk(undefined)).toBe('medium');
  });
});
