import { GoalSpec } from '../protocol/run.ts';

/** A parsed goal spec, or a message saying what is wrong with it. */
export type GoalSpecResult = { ok: true; spec: GoalSpec } | { ok: false; message: string };

/**
 * Parses a goal spec `{ facts: string[], inputs?: {...} }` from JSON text or an already-decoded
 * value (the platform decodes YAML itself and passes the value). Facts are trimmed and deduplicated.
 */
export function parseGoalSpec(source: string | unknown): GoalSpecResult {
  let value: unknown = source;
  if (typeof source === 'string') {
    try {
      value = JSON.parse(source) as unknown;
    } catch (error) {
      return { ok: false, message: `the goal spec is not valid JSON: ${(error as Error).message}` };
    }
  }
  const parsed = GoalSpec.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : 'spec';
      return `${path}: ${issue.message}`;
    });
    return { ok: false, message: `invalid goal spec (${issues.join('; ')})` };
  }
  const facts = [...new Set(parsed.data.facts.map((fact) => fact.trim()).filter((fact) => fact.length > 0))];
  if (facts.length === 0) return { ok: false, message: 'invalid goal spec (facts: every fact is blank)' };
  return { ok: true, spec: { facts, inputs: parsed.data.inputs } };
}
