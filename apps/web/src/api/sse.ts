/**
 * A Server-Sent Events parser for streams read with `fetch` (EventSource cannot send an
 * `Authorization` header, and the dashboard's access token never leaves memory). It follows the
 * WHATWG rules the server relies on: `id:`, `event:`, `data:` (joined by newlines), comment lines,
 * messages ended by a blank line, any of CRLF, LF or CR as line ends.
 */

/** One dispatched message. */
export interface SseMessage {
  /** `message` unless the server named another (`stream-error`). */
  event: string;
  data: string;
  /** The message's `id:`, if it had one. */
  id: string | undefined;
}

/** Feeds text chunks in, gets whole messages out. */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;

  /** Parses a chunk of the stream; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const messages: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (!match) break;
      // A lone CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const message = this.#line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        this.#id = undefined;
        return undefined;
      }
      const message = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id };
      this.#event = '';
      this.#data = [];
      this.#id = undefined;
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id') this.#id = value;
    return undefined;
  }
}
