import { z } from 'zod';
import type { AnyTool } from '../tools/define-tool.ts';
import { ToolError, defineTool } from '../tools/define-tool.ts';

/** A tool that records its calls and answers `{ echoed }`; idempotent and low risk unless told otherwise. */
export function recordingTool(
  name: string,
  options: { idempotent?: boolean; risk?: 'low' | 'medium' | 'high'; fail?: boolean; delayMs?: number } = {},
): AnyTool & { calls: { input: unknown; callId: string }[] } {
  const calls: { input: unknown; callId: string }[] = [];
  const tool = defineTool({
    name,
    description: `records calls (${name})`,
    input: z.strictObject({ value: z.string() }),
    idempotent: options.idempotent ?? true,
    risk: options.risk ?? 'low',
    async execute(input, context) {
      calls.push({ input, callId: context.callId });
      if (options.delayMs) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, options.delayMs);
          context.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new ToolError('aborted', 'aborted'));
          });
        });
      }
      if (options.fail) throw new ToolError('boom', `${name} failed on purpose`);
      return { echoed: input.value };
    },
  });
  return { ...(tool as AnyTool), calls };
}
