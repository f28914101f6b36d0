/**
 * A stdio MCP server for the tests, run as `node fixture-stdio-server.ts [--exit-at-start]
 * [--crash-marker FILE] [--tag TAG]` (`--tag` only marks the command line, for finding its processes).
 * Its tools misbehave on purpose: `crash` exits mid-call, `hang` never answers, `bad` sends a result that
 * is not a CallToolResult and `bad_structured` breaks its own output schema. `read_file` and `write_file`
 * show what the server can reach; `spawn_child` leaves a process behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolRequest, Tool } from '@modelcontextprotocol/sdk/types.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

// `--crash-marker FILE`: `crash` leaves FILE behind, and a start that finds it refuses to run.
const markerIndex = process.argv.indexOf('--crash-marker');
const crashMarker = markerIndex === -1 ? undefined : process.argv[markerIndex + 1];

if (process.argv.includes('--exit-at-start') || (crashMarker !== undefined && existsSync(crashMarker))) {
  process.stderr.write('fixture: refusing to start\n');
  process.exit(3);
}

const object = (properties: Record<string, object>, required: string[]): Tool['inputSchema'] => ({
  type: 'object',
  properties,
  required,
});

const tools: Tool[] = [
  {
    name: 'echo',
    description: 'Echoes its text.',
    inputSchema: object({ text: { type: 'string' } }, ['text']),
    annotations: { readOnlyHint: true, idempotentHint: true },
  },
  {
    name: 'add',
    description: 'Adds two numbers.',
    inputSchema: object({ a: { type: 'number' }, b: { type: 'number' } }, ['a', 'b']),
    outputSchema: object({ sum: { type: 'number' } }, ['sum']),
  },
  { name: 'crash', description: 'Exits mid-call.', inputSchema: object({}, []) },
  { name: 'hang', description: 'Never answers.', inputSchema: object({}, []) },
  { name: 'bad', description: 'Answers with a malformed result.', inputSchema: object({}, []) },
  {
    name: 'bad_structured',
    description: 'Breaks its output schema.',
    inputSchema: object({}, []),
    outputSchema: object({ count: { type: 'number' } }, ['count']),
  },
  {
    name: 'fail',
    description: 'Reports a tool error.',
    inputSchema: object({}, []),
    annotations: { destructiveHint: true },
  },
  { name: 'environment', description: 'Lists its environment variable names.', inputSchema: object({}, []) },
  {
    name: 'read_file',
    description: 'Returns a file, or the error code of reading it.',
    inputSchema: object({ path: { type: 'string' } }, ['path']),
  },
  {
    name: 'write_file',
    description: 'Writes a file, or returns the error code of writing it.',
    inputSchema: object({ path: { type: 'string' }, text: { type: 'string' } }, ['path', 'text']),
  },
  {
    name: 'spawn_child',
    description: 'Starts a process that runs until killed, with the tag on its command line.',
    inputSchema: object({ tag: { type: 'string' } }, ['tag']),
  },
  {
    name: 'weird.name/with spaces',
    description: 'A name that needs sanitizing.',
    inputSchema: object({ when: { if: { type: 'string' }, then: { minLength: 1 } } }, ['when']),
  },
];

const text = (value: string) => ({ content: [{ type: 'text', text: value }] });

const failure = (error: unknown) => ({
  ...text(error instanceof Error && 'code' in error ? String(error.code) : String(error)),
  isError: true,
});

async function call(request: CallToolRequest): Promise<unknown> {
  const input = request.params.arguments ?? {};
  switch (request.params.name) {
    case 'echo':
      return text(String(input['text']));
    case 'add': {
      const sum = Number(input['a']) + Number(input['b']);
      return { ...text(String(sum)), structuredContent: { sum } };
    }
    case 'crash':
      if (crashMarker !== undefined) writeFileSync(crashMarker, 'crashed');
      setTimeout(() => process.exit(1), 20);
      return new Promise(() => undefined);
    case 'hang':
      return new Promise(() => undefined);
    case 'bad':
      return { content: 'this is not a list of content blocks' };
    case 'bad_structured':
      return { ...text('many'), structuredContent: { count: 'many' } };
    case 'fail':
      return { ...text('the disk is full'), isError: true };
    case 'environment':
      return text(JSON.stringify(Object.keys(process.env).sort()));
    case 'read_file':
      try {
        return text(readFileSync(String(input['path']), 'utf8'));
      } catch (error) {
        return failure(error);
      }
    case 'write_file':
      try {
        writeFileSync(String(input['path']), String(input['text']));
        return text('written');
      } catch (error) {
        return failure(error);
      }
    case 'spawn_child':
      // Not detached and not unref'd: like a server's helper process, it keeps the server alive.
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', String(input['tag'])], {
        stdio: 'ignore',
      });
      return text('started');
    default:
      return text(`called ${request.params.name}`);
  }
}

const server = new Server({ name: 'fixture', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
// Server.setRequestHandler validates tools/call results; the base class does not, which lets `bad`
// send what a broken server would.
Protocol.prototype.setRequestHandler.call(server, CallToolRequestSchema, (request: CallToolRequest) =>
  call(request),
);
await server.connect(new StdioServerTransport());
