import { z } from 'zod';
import { DelegatedTask } from '../protocol/events.ts';

/**
 * How a tool hands control back to the loop instead of returning a plain value: it ends the step with
 * child runs to wait for, a question for the user, or a sleep. `delegate` and `ask_user` are such tools.
 */
export const StepControl = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('delegate'), tasks: z.array(DelegatedTask).min(1) }),
  z.object({ kind: z.literal('ask'), question: z.string().min(1) }),
  z.object({ kind: z.literal('sleep'), until: z.number() }),
]);
/** A control request. */
export type StepControl = z.infer<typeof StepControl>;

/** The key of a tool result that is a control request. */
export const controlKey = '$control';

/** A tool's result that asks the loop to end the step with a control request. JSON as it is journalled. */
export interface ControlResult {
  readonly [controlKey]: StepControl;
}

/** What a tool returns to hand control back: `return controlResult({ kind: 'ask', question })`. */
export const controlResult = (control: StepControl): ControlResult => ({ [controlKey]: control });

const ControlResultSchema = z.object({ [controlKey]: StepControl });

/** The control request in a tool result, if it is one. */
export function controlOf(value: unknown): StepControl | undefined {
  const parsed = ControlResultSchema.safeParse(value);
  return parsed.success ? parsed.data[controlKey] : undefined;
}

/** True when a tool result is a control request. */
export const isControlResult = (value: unknown): boolean => controlOf(value) !== undefined;
