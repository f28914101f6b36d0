import { resolve } from 'node:path';
import { userError } from '@autonoma/core';
import type { Command } from 'commander';
import { readControlRecord } from '../../api/control-socket.ts';
import { toRunView } from '../../api/views/runs.ts';
import { configFor } from '../app-context.ts';
import { processOutput } from '../output.ts';
import { connect } from '../remote/connect.ts';
import { startLocalControl } from '../remote/local-control.ts';
import { followRemotely } from '../remote/run-remote.ts';
import { reportRun } from '../report-run.ts';
import { driveRun } from './run-action.ts';

/**
 * `autonoma answer <runId> <text...> [--json]`: records the answer to the question the run waits on
 * (it becomes the result of its `ask_user` call), then sees the run through like `resume`:
 * - embedded, this process continues it in the foreground with progress and prints its result;
 * - with `--server` (or on a home held by `autonoma serve`), the server advances it and this process
 *   follows its events to the end;
 * - on a home held by another `run`/`resume`/`chat` (which advance only their own runs), or in a
 *   cluster without `--server` (its workers advance it), the answer is recorded and the command says so.
 */
export async function answerRun(
  runId: string,
  words: string[],
  flags: { json?: boolean },
  command: Command,
): Promise<void> {
  const text = words.join(' ').trim();
  if (!text) throw userError('invalid_input', 'the answer is empty');
  const output = processOutput;
  const json = Boolean(flags.json);
  const { config } = configFor(command);
  const connection = await connect(command);
  try {
    if (connection.kind === 'local') {
      const { app } = connection;
      const answered = await app.services.runs.answer(app.localScope, runId, text);
      if (app.mode !== 'embedded') {
        output.out(`answered run ${runId}; it is ${answered.status} — the workers continue it`);
        return;
      }
      // Other terminals can list, cancel and approve while this process advances the run.
      const control = startLocalControl(app, 'resume');
      try {
        if (!json) output.err(`answered run ${runId}; continuing it`);
        const result = await driveRun(app, answered, output, json, true);
        reportRun(toRunView(result.run), output, json);
      } finally {
        await control.close();
      }
      return;
    }
    const answered = await connection.client.runs.answer(runId, text);
    const holder = config.server ? undefined : await readControlRecord(resolve(config.home));
    if (config.server || holder?.kind === 'serve') {
      if (!json) output.err(`answered run ${runId}; following it`);
      await followRemotely(connection.client, runId, { output, json, afterSeq: answered.lastSeq });
      return;
    }
    output.out(
      `answered run ${runId}; it is ${answered.status} — continue it with 'autonoma resume ${runId}' once process ${holder?.pid ?? '?'} ends`,
    );
  } finally {
    await connection.close();
  }
}
