import { z } from 'zod';

type JsonObject = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const maxDepth = 16;

function primitive(type: string, schema: JsonObject, depth: number): z.ZodType<unknown> {
  switch (type) {
    case 'string':
      return z.string();
    case 'number':
      return z.number();
    case 'integer':
      return z.int();
    case 'boolean':
      return z.boolean();
    case 'null':
      return z.null();
    case 'array':
      return z.array(isObject(schema['items']) ? convert(schema['items'], depth + 1) : z.unknown());
    case 'object':
      return objectSchema(schema, depth);
    default:
      return z.unknown();
  }
}

function objectSchema(schema: JsonObject, depth: number): z.ZodType<unknown> {
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  const required = new Set(
    Array.isArray(schema['required']) ? schema['required'].filter((name) => typeof name === 'string') : [],
  );
  const shape: Record<string, z.ZodType<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    const converted = isObject(property) ? convert(property, depth + 1) : z.unknown();
    shape[name] = required.has(name) ? converted : converted.optional();
  }
  // A required name without a declared property still has to be present.
  for (const name of required) shape[name] ??= z.unknown().refine((value) => value !== undefined);
  return schema['additionalProperties'] === false ? z.strictObject(shape) : z.looseObject(shape);
}

function literals(values: readonly unknown[]): z.ZodType<unknown> {
  const allowed = values.filter(
    (value): value is string | number | boolean | null =>
      value === null || ['string', 'number', 'boolean'].includes(typeof value),
  );
  const [first, second, ...rest] = allowed.map((value) => z.literal(value));
  if (!first) return z.unknown();
  return second ? z.union([first, second, ...rest]) : first;
}

function convert(schema: JsonObject, depth: number): z.ZodType<unknown> {
  if (depth > maxDepth) return z.unknown();
  if (Array.isArray(schema['enum'])) return literals(schema['enum']);
  if ('const' in schema) return literals([schema['const']]);
  const type = schema['type'];
  if (typeof type === 'string') return primitive(type, schema, depth);
  if (Array.isArray(type)) {
    const [first, second, ...rest] = type
      .filter((item) => typeof item === 'string')
      .map((item) => primitive(item, schema, depth));
    if (!first) return z.unknown();
    return second ? z.union([first, second, ...rest]) : first;
  }
  return z.unknown();
}

/**
 * The small converter used when zod's own `z.fromJSONSchema` cannot handle a schema (external
 * `$ref`, `if`/`then`, unknown types): objects with their required properties, strings, numbers,
 * integers, booleans, null, arrays, `enum` and `const`; anything else is `z.unknown()`. The top level
 * is always an object, as MCP requires of a tool's input.
 */
export function lenientObjectSchema(schema: JsonObject): z.ZodType<unknown> {
  return objectSchema(schema, 0);
}

/**
 * Converts an MCP tool's input JSON Schema to a zod schema that the loop validates calls with. Uses
 * `z.fromJSONSchema` (zod 4, semi-experimental) when it accepts the schema and the result converts
 * back to JSON Schema for the brain; otherwise {@link lenientObjectSchema}. Either way the input must
 * be an object with the required properties, and primitive types are checked.
 */
export function jsonSchemaToZod(schema: JsonObject): z.ZodType<unknown> {
  if (schema['type'] !== 'object') return lenientObjectSchema(schema);
  try {
    const converted = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema);
    z.toJSONSchema(converted, { io: 'input', unrepresentable: 'any' });
    return converted;
  } catch {
    return lenientObjectSchema(schema);
  }
}
