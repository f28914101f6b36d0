import { defineTool, ToolError } from '@autonoma/core';
import { z } from 'zod';
import type { BuiltinToolOptions, MemoryPort } from './options.ts';
import { strictInput, textField } from './schema.ts';

const recallInput = strictInput({
  query: textField('query', 10_000),
  limit: z
    .number({ error: 'limit must be a number' })
    .int({ error: 'limit must be an integer' })
    .min(1, { error: 'limit must be at least 1' })
    .max(50, { error: 'limit must be at most 50' })
    .optional(),
});

const storeInput = strictInput({
  text: textField('text', 20_000),
  importance: z
    .number({ error: 'importance must be a number' })
    .min(0, { error: 'importance must be between 0 and 1' })
    .max(1, { error: 'importance must be between 0 and 1' })
    .optional(),
});

function requireMemory(options: BuiltinToolOptions, tool: string): MemoryPort {
  if (!options.memory)
    throw new ToolError('not_configured', `${tool} needs a memory store, which is not configured`);
  return options.memory;
}

/** `memory_recall {query, limit?}`: the agent's most relevant memories (default 5, at most 50). */
export function createMemoryRecallTool(options: BuiltinToolOptions) {
  return defineTool({
    name: 'memory_recall',
    description: 'Recall memories relevant to a query from past runs and stored facts.',
    input: recallInput,
    idempotent: true,
    risk: 'low',
    async execute({ query, limit = 5 }, context): Promise<{ memories: unknown[] }> {
      return { memories: await requireMemory(options, 'memory_recall').recall(query, limit, context) };
    },
  });
}

/**
 * `memory_store {text, importance?}`: keeps a fact for later runs (importance 0–1, default 0.5). Declared
 * idempotent: the memory port receives the call id as its deduplication key.
 */
export function createMemoryStoreTool(options: BuiltinToolOptions) {
  return defineTool({
    name: 'memory_store',
    description: 'Store a fact or lesson in long-term memory, with an importance between 0 and 1.',
    input: storeInput,
    idempotent: true,
    risk: 'low',
    async execute({ text, importance = 0.5 }, context): Promise<{ id: string }> {
      return requireMemory(options, 'memory_store').store(text, importance, context);
    },
  });
}
