import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Role } from '@autonoma/core';
import { AutonomaError, roles, userError } from '@autonoma/core';
import type { Command } from 'commander';
import { TokenPairView, UserView } from '../../api/views/accounts.ts';
import { configFor } from '../app-context.ts';
import { processOutput } from '../output.ts';
import { connect } from '../remote/connect.ts';
import { createTransport } from '../remote/http-transport.ts';
import { sessionAccessToken, storedSession, tokenFileOf } from '../remote/session.ts';
import { serverKey } from '../remote/token-file.ts';

/** Reads standard input to its end: the password, without the line break that ends it. */
async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

/** Asks on the terminal; with `hidden`, what is typed is not echoed. */
function ask(question: string, hidden: boolean): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const reader = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve, reject) => {
    reader.question(question, (answer) => {
      reader.close();
      if (hidden) process.stderr.write('\n');
      resolve(answer);
    });
    muted = hidden;
    reader.on('SIGINT', () => {
      reader.close();
      reject(userError('invalid_input', 'cancelled'));
    });
  });
}

const interactive = (): boolean => Boolean(process.stdin.isTTY);

/** The password: from standard input with `--password-stdin`, else asked for on a terminal. */
async function passwordOf(flags: { passwordStdin?: boolean }, question: string): Promise<string> {
  if (flags.passwordStdin) return readStdin();
  if (!interactive())
    throw userError('invalid_input', 'no password: pass --password-stdin, or run this on a terminal');
  return ask(question, true);
}

/** The server of a command that needs one (`--server URL` or `AUTONOMA_SERVER`). */
function serverOf(command: Command, what: string): string {
  const server = configFor(command).config.server;
  if (server === undefined)
    throw userError('invalid_input', `${what} needs --server URL (or AUTONOMA_SERVER)`);
  return server;
}

/** `autonoma login --server URL [--email E] [--password-stdin]`. */
export async function login(
  flags: { email?: string; passwordStdin?: boolean },
  command: Command,
): Promise<void> {
  const server = serverOf(command, 'login');
  const { config } = configFor(command);
  let email = flags.email;
  if (email === undefined) {
    if (!interactive())
      throw userError('invalid_input', 'no account: pass --email, or run this on a terminal');
    email = (await ask('email: ', false)).trim();
  }
  const password = await passwordOf(flags, 'password: ');
  const transport = createTransport({ kind: 'url', url: new URL(server) });
  const { body } = await transport.json<unknown>({
    method: 'POST',
    path: '/v1/auth/login',
    body: { email, password },
  });
  const pair = TokenPairView.parse(body);
  const file = tokenFileOf(config);
  file.set(server, storedSession(pair, Date.now(), email));
  processOutput.out(`signed in to ${serverKey(server)} as ${email}`);
}

/** `autonoma logout [--server URL]`: ends the session on the server, then forgets it. */
export async function logout(_flags: object, command: Command): Promise<void> {
  const server = serverOf(command, 'logout');
  const { config } = configFor(command);
  const file = tokenFileOf(config);
  if (!file.get(server)) {
    processOutput.out(`not signed in to ${serverKey(server)}`);
    return;
  }
  try {
    const token = await sessionAccessToken(config, server);
    if (token !== undefined)
      await createTransport({ kind: 'url', url: new URL(server) }, token).json({
        method: 'POST',
        path: '/v1/auth/logout',
      });
  } catch (error) {
    // A session the server already ended is as good as ended; anything else (the server is down) is
    // said, and the tokens are forgotten all the same.
    if (!(error instanceof AutonomaError && error.status === 401))
      processOutput.err(
        `autonoma: could not end the session on the server (${error instanceof Error ? error.message : String(error)}); its tokens expire on their own`,
      );
  }
  file.delete(server);
  processOutput.out(`signed out of ${serverKey(server)}`);
}

const isRole = (value: string): value is Role => (roles as readonly string[]).includes(value);

/** `autonoma user create --email E [--role R] [--password-stdin] [--json]`. */
export async function createUser(
  flags: { email: string; role: string; passwordStdin?: boolean; json?: boolean },
  command: Command,
): Promise<void> {
  const role = flags.role;
  if (!isRole(role))
    throw userError('invalid_input', `--role must be one of ${roles.join(', ')}, got '${role}'`);
  const password = await passwordOf(flags, `password for ${flags.email}: `);
  const connection = await connect(command);
  try {
    const input = { email: flags.email, password, role };
    const user =
      connection.kind === 'local'
        ? await connection.app.services.users.create(
            // The embedded store's owner: whoever can open its files.
            { scope: connection.app.localScope, role: 'owner' },
            input,
          )
        : UserView.parse(
            (
              await connection.client.transport.json<unknown>({
                method: 'POST',
                path: '/v1/users',
                body: input,
              })
            ).body,
          );
    if (flags.json) processOutput.out(JSON.stringify(UserView.parse(user)));
    else processOutput.out(`created user ${user.id} ${user.email} (${user.role})`);
  } finally {
    await connection.close();
  }
}
