import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { embeddedDriver, remoteDriver } from '../chat/chat-driver.ts';
import type { ChatOptions } from '../chat/chat-repl.ts';
import { runChat } from '../chat/chat-repl.ts';
import { configFor } from '../app-context.ts';
import { serverClient } from '../remote/connect.ts';
import { withHeldStore } from './run-action.ts';

/**
 * `autonoma chat [--agent A] [--conversation ID]`: the REPL (chat/chat-repl.ts). Embedded, this process
 * holds the store and advances each turn's run itself, serving the control socket meanwhile so other
 * terminals can list, cancel, approve and answer; with `--server`, the server's workers advance the
 * turns and the REPL follows them.
 */
export async function chat(
  flags: { agent?: string; conversation?: string },
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
    const client = await serverClient({ ...config, server: config.server });
    await runChat(remoteDriver(client), options);
    return;
  }
  await withHeldStore(command, 'run', (app) => runChat(embeddedDriver(app), options));
}
