/**
 * A value (tool arguments, a result) as text: pretty JSON in a `<pre>`, never HTML. Long values are
 * collapsed to their first lines with a control to show the rest.
 */
import { useState } from 'react';

/** Values longer than this (characters or lines) start collapsed. */
export const collapseAfter = { characters: 600, lines: 12 };

/** JSON text of any value, readable (strings as themselves). */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Shows a value as text, collapsed when long. */
export function JsonValue({ value, label }: { value: unknown; label?: string }) {
  const text = formatValue(value);
  const lines = text.split('\n');
  const long = text.length > collapseAfter.characters || lines.length > collapseAfter.lines;
  const [open, setOpen] = useState(false);
  const shown = long && !open ? lines.slice(0, 6).join('\n').slice(0, 400) : text;
  return (
    <div className="json-value">
      {label ? <div className="json-label">{label}</div> : null}
      <pre>
        {shown}
        {long && !open ? '\n…' : ''}
      </pre>
      {long ? (
        <button type="button" className="link-button" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? 'Collapse' : `Show all (${text.length.toLocaleString()} characters)`}
        </button>
      ) : null}
    </div>
  );
}
