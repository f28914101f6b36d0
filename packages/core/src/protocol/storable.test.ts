import { describe, expect, it } from 'vitest';
import { Goal } from './run.ts';
import { findUnstorable, storableText, storableValue } from './storable.ts';

describe('storable values', () => {
  it('replaces NUL and unpaired surrogates with U+FFFD and keeps clean text as is', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('pair \uD83D\uDE00 ok')).toBe('pair \uD83D\uDE00 ok');
    const clean = { a: ['b', { c: 1 }] };
    expect(storableValue(clean)).toBe(clean);
  });

  it('cleans nested strings and keys without touching the input', () => {
    const input = { 'k\u0000': ['v\u0000', { deep: 'z\uDC00' }], n: 1, ok: 'fine' };
    const output = storableValue(input);
    expect(output).toEqual({ 'k\uFFFD': ['v\uFFFD', { deep: 'z\uFFFD' }], n: 1, ok: 'fine' });
    expect(input['k\u0000'][0]).toBe('v\u0000');
  });

  it('names the path of the first unstorable string', () => {
    expect(findUnstorable({ text: 'ok', spec: { inputs: { files: ['a', 'b\u0000'] } } })).toBe(
      'spec.inputs.files[1]',
    );
    expect(findUnstorable({ text: 'ok' })).toBeUndefined();
  });

  it('refuses a goal with a NUL character, naming where', () => {
    const parsed = Goal.safeParse({ text: 'do \u0000 it' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/NUL/);
    expect(parsed.error?.issues[0]?.path).toEqual(['text']);
  });
});
