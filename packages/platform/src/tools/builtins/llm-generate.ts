import { defineTool, ToolError } from '@autonoma/core';
import type { BuiltinToolOptions } from './options.ts';
import { strictInput, textField } from './schema.ts';

const input = strictInput({ prompt: textField('prompt') });

/**
 * `llm_generate {prompt}`: one model call as a tool. Declared idempotent because it changes nothing outside
 * the run: a retry costs tokens again but cannot duplicate an effect.
 */
export function createLlmGenerateTool(options: BuiltinToolOptions) {
  return defineTool({
    name: 'llm_generate',
    description: 'Ask the configured language model to complete a prompt; returns its text.',
    input,
    idempotent: true,
    risk: 'low',
    async execute({ prompt }, context): Promise<{ text: string; usage?: unknown; costUsd?: number }> {
      if (!options.llm) {
        throw new ToolError(
          'not_configured',
          'llm_generate needs a model: set AUTONOMA_MODEL (and its API key)',
        );
      }
      return options.llm.generate(prompt, context.signal);
    },
  });
}
