import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { memoryKinds } from './memory-kinds.ts';

const actions = () => import('./memory-action.ts');

/** `autonoma memory list|search|delete|refresh`. */
export function registerMemory(program: Command): void {
  const memory = program
    .command('memory')
    .description('inspect, search, delete and refresh long-term memory');
  memory
    .command('list')
    .description('list memories, newest first')
    .option('--agent <name>', 'only this agent’s memories')
    .option('--kind <kind>', `only this kind (${memoryKinds.join(', ')})`)
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'listMemories'));
  memory
    .command('search')
    .description('recall memories for a query, with the parts of each score')
    .argument('<query...>', 'what to look for')
    .option('--agent <name>', 'whose memories (default: the default agent)')
    .option('--limit <n>', 'how many', '5')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'searchMemories'));
  memory
    .command('delete')
    .description('delete a memory')
    .argument('<memoryId>')
    .action(lazyAction(actions, 'deleteMemory'));
  memory
    .command('refresh')
    .description(
      'the learning-refresh job: summarize statistics, merge near-duplicate memories, decay stale ones',
    )
    .option('--similarity <x>', 'cosine at or above which two memories are duplicates', '0.95')
    .option('--stale-days <n>', 'days without access after which a memory decays', '30')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'refreshMemory'));
}
