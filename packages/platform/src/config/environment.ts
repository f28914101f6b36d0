/** A snapshot of the process environment. The only place that reads `process.env`. */
export function processEnvironment(): Readonly<Record<string, string | undefined>> {
  return Object.freeze({ ...process.env });
}
