/** Schemas every resource shares: the error body, paging, ids. */
import { z } from 'zod';

/** The body of every error answer (ARCHITECTURE §8). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('stable, machine-readable: `not_found`, `invalid_input`…'),
      message: z.string().describe('one line for a person; never a stack trace or SQL'),
      requestId: z.string().describe('also in the `x-request-id` header and the server log'),
    }),
  })
  .meta({ id: 'Error' });

/** Error answers every route may give, for the OpenAPI document and the serializer. */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/** `?limit=`: how many items a page holds. */
export const limitQuery = (defaultLimit: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(defaultLimit).describe(`page size (at most ${max})`);

/** `?cursor=`: the `nextCursor` of the previous page. */
export const cursorQuery = z
  .string()
  .min(1)
  .max(512)
  .optional()
  .describe('`nextCursor` of the previous page');

/** A page of `item`: the items and the cursor of the next page (null on the last one). */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/**
 * Ids in paths: bounded, and only the characters ids and names are made of (letters, digits, `_ . : -`),
 * so quotes, spaces and SQL or shell metacharacters are refused (400) before any lookup.
 */
export const pathId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'only letters, digits and _ . : -');
