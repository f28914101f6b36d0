import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { jsonSchemaToZod, lenientObjectSchema } from './json-schema-to-zod.ts';

const accepts = (schema: z.ZodType<unknown>, value: unknown): boolean => schema.safeParse(value).success;

const schema = {
  type: 'object',
  properties: {
    text: { type: 'string' },
    count: { type: 'integer' },
    ratio: { type: 'number' },
    flag: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    mode: { enum: ['fast', 'slow'] },
  },
  required: ['text'],
};

describe.each([
  ['jsonSchemaToZod', jsonSchemaToZod],
  ['lenientObjectSchema', lenientObjectSchema],
])('%s', (_name, convert) => {
  const converted = convert(schema);

  it('requires an object with the required properties', () => {
    expect(accepts(converted, { text: 'x' })).toBe(true);
    expect(accepts(converted, {})).toBe(false);
    expect(accepts(converted, 'x')).toBe(false);
    expect(accepts(converted, null)).toBe(false);
  });

  it('checks primitive types, arrays and enums', () => {
    expect(
      accepts(converted, { text: 'x', count: 2, ratio: 0.5, flag: true, tags: ['a'], mode: 'fast' }),
    ).toBe(true);
    expect(accepts(converted, { text: 1 })).toBe(false);
    expect(accepts(converted, { text: 'x', count: 1.5 })).toBe(false);
    expect(accepts(converted, { text: 'x', ratio: '0.5' })).toBe(false);
    expect(accepts(converted, { text: 'x', flag: 'yes' })).toBe(false);
    expect(accepts(converted, { text: 'x', tags: [1] })).toBe(false);
    expect(accepts(converted, { text: 'x', mode: 'medium' })).toBe(false);
  });

  it('lets unknown properties through unless additionalProperties is false', () => {
    expect(accepts(converted, { text: 'x', other: 1 })).toBe(true);
    expect(accepts(convert({ ...schema, additionalProperties: false }), { text: 'x', other: 1 })).toBe(false);
  });

  it('converts back to JSON Schema for the brain', () => {
    expect(z.toJSONSchema(converted, { io: 'input', unrepresentable: 'any' })).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
      required: ['text'],
    });
  });
});

describe('jsonSchemaToZod fallback', () => {
  it('keeps object-ness and required properties when zod cannot read the schema', () => {
    const converted = jsonSchemaToZod({
      type: 'object',
      properties: {
        when: { if: { type: 'string' }, then: { minLength: 1 } },
        remote: { $ref: 'https://example.com/schema.json' },
        size: { type: 'number' },
      },
      required: ['when'],
    });
    expect(accepts(converted, { when: 'anything' })).toBe(true);
    expect(accepts(converted, { when: 42 })).toBe(true);
    expect(accepts(converted, {})).toBe(false);
    expect(accepts(converted, { when: 1, size: 'big' })).toBe(false);
  });

  it('still requires a required name that has no declared property', () => {
    const converted = lenientObjectSchema({ type: 'object', required: ['token'] });
    expect(accepts(converted, {})).toBe(false);
    expect(accepts(converted, { token: 'x' })).toBe(true);
  });
});
