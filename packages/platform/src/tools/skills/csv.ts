/** Guesses a CSV delimiter from the header line: the most frequent of `,` `;` tab `|`. */
export function guessDelimiter(text: string): string {
  const header = text.slice(0, text.search(/\r?\n/) === -1 ? text.length : text.search(/\r?\n/));
  const counts = [',', ';', '\t', '|'].map(
    (delimiter) => [delimiter, header.split(delimiter).length - 1] as const,
  );
  const best = counts.reduce((winner, candidate) => (candidate[1] > winner[1] ? candidate : winner));
  return best[1] > 0 ? best[0] : ',';
}

/** Parses CSV (RFC 4180 quoting: `"a ""b"""`, quoted newlines) into rows of fields. */
export function parseCsv(text: string, delimiter = guessDelimiter(text)): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let index = 0; index < source.length; index++) {
    const char = source[index];
    if (quoted) {
      if (char === '"' && source[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === delimiter) {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[index + 1] === '\n') index++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((cells) => cells.some((cell) => cell.trim() !== ''));
}

/** CSV text as records keyed by the header row (duplicate or blank headers get a suffix). */
export function csvRecords(text: string): { columns: string[]; records: Record<string, string>[] } {
  const [header = [], ...rows] = parseCsv(text);
  const columns: string[] = [];
  for (const [index, raw] of header.entries()) {
    const base = raw.trim() || `column_${index + 1}`;
    let name = base;
    for (let suffix = 2; columns.includes(name); suffix++) name = `${base}_${suffix}`;
    columns.push(name);
  }
  const records = rows.map((cells) =>
    Object.fromEntries(columns.map((column, index) => [column, cells[index] ?? ''])),
  );
  return { columns, records };
}
