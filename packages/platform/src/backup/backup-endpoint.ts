/**
 * The control endpoint's backup request: the process that holds an embedded store takes the image
 * itself, between two of its statements, and sends the backup file's bytes back. Served only on the
 * control socket (owner-only by its file permissions), never on TCP.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AutonomaError } from '@autonoma/core';
import type { DumpableStore } from './embedded-backup.ts';
import { backupOpenStore, backupRequestPath } from './embedded-backup.ts';

/** True for a request the control endpoint should hand to {@link serveBackup}. */
export const isBackupRequest = (request: IncomingMessage): boolean =>
  (request.url ?? '').split('?')[0] === backupRequestPath;

const answerError = (response: ServerResponse, status: number, code: string, message: string): void => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: { code, message, requestId: '' } }));
};

/** Answers `POST /control/backup` with a backup of `store` (`application/octet-stream`). */
export function serveBackup(store: DumpableStore, request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  if (request.method !== 'POST') {
    answerError(response, 405, 'method_not_allowed', 'POST to take a backup');
    return;
  }
  backupOpenStore(store).then(
    ({ bytes }) => {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.byteLength),
      });
      response.end(bytes);
    },
    (error: unknown) => {
      if (error instanceof AutonomaError) answerError(response, error.status, error.code, error.message);
      else
        answerError(response, 500, 'backup_failed', error instanceof Error ? error.message : String(error));
    },
  );
}
