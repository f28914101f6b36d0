import { z } from 'zod';

/** A required string field whose errors name the field. */
export const textField = (field: string, maxLength = 1_000_000) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1, { error: `${field} must not be empty` })
    .max(maxLength, { error: `${field} must be at most ${maxLength} characters` });

/** An object schema that rejects unknown fields (zod names them: `Unrecognized key: "x"`). */
export const strictInput = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.strictObject(shape, {
    error: (issue) => (issue.code === 'invalid_type' ? 'input must be an object' : undefined),
  });
