import type { MemoryKind } from '@autonoma/core';

/**
 * The kinds of memory, in the order help and errors name them. A module of its own because both the
 * command definition (help text) and its action (validation) need it, and the definition must not
 * load the action.
 */
export const memoryKinds: readonly MemoryKind[] = ['episode', 'fact', 'lesson', 'summary'];
