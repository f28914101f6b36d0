/** A run and the runs it delegated to (and theirs), for `autonoma runs show --tree`. */
import type { RunView } from '../api/views/runs.ts';
import { formatUsage } from './progress.ts';
import type { CliBackend } from './remote/backend.ts';

/** A run with its agent's name and its children, each a tree. */
export interface RunTree {
  run: RunView;
  agent: string;
  children: RunTree[];
}

/** Deepest tree shown: deeper than any delegation limit, so a corrupt parent chain cannot loop. */
const maxDepth = 32;

/** Reads a run's tree through a backend (embedded or a server): the same output either way. */
export async function loadRunTree(backend: CliBackend, runId: string): Promise<RunTree> {
  const names = new Map((await backend.agents.list()).map((agent) => [agent.id, agent.name]));
  const load = async (id: string, depth: number): Promise<RunTree> => {
    const { children, ...run } = await backend.runs.get(id);
    // Oldest first: the order they were delegated in.
    const ordered = [...children].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    return {
      run,
      agent: names.get(run.agentId) ?? run.agentId,
      children: depth >= maxDepth ? [] : await Promise.all(ordered.map((child) => load(child.id, depth + 1))),
    };
  };
  return load(runId, 0);
}

const clip = (text: string, max: number): string => {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const describe = (tree: RunTree): string =>
  `${tree.run.id}  ${tree.run.status}  agent ${tree.agent}  ${formatUsage(tree.run.usage)}  "${clip(tree.run.goal.text, 60)}"`;

/** The tree as indented lines: the run, then each child under it with `├─`/`└─`. */
export function renderRunTree(tree: RunTree): string[] {
  const lines = [describe(tree)];
  const walk = (node: RunTree, prefix: string): void => {
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${describe(child)}`);
      walk(child, `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(tree, '');
  return lines;
}
