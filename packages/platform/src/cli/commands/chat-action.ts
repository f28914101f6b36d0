import { join, resolve } from 'node:path';
import { userError } from '@autonoma/core';
import type { Command } from 'commander';
import { checkWorkspaceDirectory } from '../../runtime/workspace-directory.ts';
import { embeddedDriver, remoteDriver } from '../chat/chat-driver.ts';
import type { ChatOptions } from '../chat/chat-repl.ts';
import { runChat } from '../chat/chat-repl.ts';
import { configFor } from '../app-context.ts';
import { serverClient } from '../remote/connect.ts';
import { withHeldStore } from './run-action.ts';

/**
 * `autonoma chat [--agent A] [--conversation ID] [--workspace DIR]`: the REPL (chat/chat-repl.ts).
 * Embedded, this process holds the store and advances each turn's run itself, with its tools in the
 * current directory (or `--workspace`) like `autonoma run`, serving the control socket meanwhile so
 * other terminals can list, cancel, approve and answer; with `--server`, the server's workers advance
 * the turns (in the conversation's workspace there) and the REPL follows them.
 */
export async function chat(
  flags: { agent?: string; conversation?: string; workspace?: string },
  command: Command,
): Promise<void> {
  const { config } = configFor(command);
  const options: ChatOptions = {
    ...(flags.agent === undefined ? {} : { agent: flags.agent }),
    ...(flags.conversation === undefined ? {} : { conversation: flags.conversation }),
    historyFile: join(resolve(config.home), 'chat_history'),
    input: process.stdin,
    output: process.stdout,
  };
  if (config.server) {
    if (flags.workspace !== undefined)
      throw userError(
        'invalid_input',
        '--workspace cannot be used with --server: a conversation on a server has its own workspace',
      );
    const client = await serverClient({ ...config, server: config.server });
    await runChat(remoteDriver(client), options);
    return;
  }
  const workspace = await chatWorkspace(flags.workspace, resolve(config.home));
  await withHeldStore(command, 'run', (app) =>
    runChat(embeddedDriver(app, workspace === undefined ? {} : { workspace }), options),
  );
}

/**
 * The embedded chat's workspace: `--workspace` (refused when unusable), else the current directory —
 * unless that cannot be one (it is Autonoma's home, or not writable): then the conversation's own.
 */
async function chatWorkspace(flag: string | undefined, home: string): Promise<string | undefined> {
  const check = (path: string) =>
    checkWorkspaceDirectory(path, { label: '--workspace', readWrite: true, home });
  if (flag !== undefined) {
    const workspace = resolve(flag);
    await check(workspace);
    return workspace;
  }
  const current = process.cwd();
  return check(current).then(
    () => current,
    () => undefined,
  );
}
