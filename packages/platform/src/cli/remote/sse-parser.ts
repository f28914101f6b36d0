/** A Server-Sent Events parser (the `text/event-stream` format): chunks in, messages out. */

/** One dispatched message. */
export interface SseMessage {
  /** `event:` field. @default 'message' */
  event: string;
  data: string;
  /** `id:` field of this message, if it had one. */
  id?: string;
}

/** Feeds text chunks (any split); calls `onMessage` for every complete message. Comments are skipped. */
export function createSseParser(onMessage: (message: SseMessage) => void): (chunk: string) => void {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  const dispatch = (): void => {
    if (data.length > 0)
      onMessage({ event: event || 'message', data: data.join('\n'), ...(id === undefined ? {} : { id }) });
    data = [];
    event = '';
    id = undefined;
  };
  const line = (text: string): void => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
  };
  return (chunk) => {
    buffer += chunk;
    for (let end = buffer.search(/\r\n|\r|\n/); end !== -1; end = buffer.search(/\r\n|\r|\n/)) {
      // A CR at the end of what has arrived may be the first half of a CRLF: wait for the next byte.
      if (end === buffer.length - 1 && buffer.endsWith('\r')) return;
      const breakLength = buffer.startsWith('\r\n', end) ? 2 : 1;
      line(buffer.slice(0, end));
      buffer = buffer.slice(end + breakLength);
    }
  };
}
