/**
 * The dashboard's production bundle: what a first load fetches (gzip), against the target of
 * 350 KB, and what each lazily loaded page adds. Builds apps/web `--builds` times (default 3) with
 * Vite, timing each build, and reads the build manifest (`dist/.vite/manifest.json`): the first load
 * is `index.html`, its entry chunk, the chunks that entry imports statically, and their CSS; pages
 * behind `import()` load when opened.
 *
 * Run: `node bench/web/bundle-size.bench.ts [--builds N]`. Prints Markdown tables and one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

interface ManifestChunk {
  file: string;
  name?: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

const root = resolve(import.meta.dirname, '../..');
const web = join(root, 'apps/web');
const dist = join(web, 'dist');
/** The target for the first load, gzip. */
const targetBytes = 350 * 1024;

const flag = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? Number.NaN : Number(process.argv[index + 1]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const sizes = (file: string): { raw: number; gzip: number } => {
  const bytes = readFileSync(join(dist, file));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};

/** The files a chunk needs at once: itself, its static imports (transitively), and their CSS. */
function closure(
  manifest: Record<string, ManifestChunk>,
  key: string,
  seen = new Set<string>(),
): Set<string> {
  const chunk = manifest[key];
  if (!chunk || seen.has(chunk.file)) return seen;
  seen.add(chunk.file);
  for (const css of chunk.css ?? []) seen.add(css);
  for (const imported of chunk.imports ?? []) closure(manifest, imported, seen);
  return seen;
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

const builds = flag('builds', 3);
const buildMs: number[] = [];
for (let index = 0; index < builds; index += 1) {
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'],
    { cwd: web, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
  buildMs.push(performance.now() - started);
}

const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8')) as Record<
  string,
  ManifestChunk
>;
const entryKey = Object.keys(manifest).find((key) => manifest[key]?.isEntry) ?? 'index.html';
const firstFiles = closure(manifest, entryKey);
const html = readFileSync(join(dist, 'index.html'));
const first = [...firstFiles].map((file) => ({ file, ...sizes(file) }));
const firstGzip = first.reduce((sum, file) => sum + file.gzip, gzipSync(html, { level: 9 }).length);
const firstRaw = first.reduce((sum, file) => sum + file.raw, html.length);

const pages = (manifest[entryKey]?.dynamicImports ?? []).map((key) => {
  const files = [...closure(manifest, key)].filter((file) => !firstFiles.has(file));
  const gzip = files.reduce((sum, file) => sum + sizes(file).gzip, 0);
  return { page: key.replace(/^src\/pages\//, '').replace(/\.tsx$/, ''), files: files.length, gzip };
});

const load = loadavg()
  .map((value) => value.toFixed(2))
  .join(' ');
process.stdout.write(
  [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}; load ${load}`,
    '',
    '| | raw | gzip (level 9) | target | ratio to target |',
    '|---|---|---|---|---|',
    `| first load (index.html + ${first.length} files) | ${kb(firstRaw)} | **${kb(firstGzip)}** | < ${kb(targetBytes)} | **${(firstGzip / targetBytes).toFixed(2)}** |`,
    '',
    '| page loaded on demand | files | gzip added |',
    '|---|---|---|',
    ...pages.map((page) => `| ${page.page} | ${page.files} | ${kb(page.gzip)} |`),
    '',
    `Build time, ${builds} builds: median ${(median(buildMs) / 1000).toFixed(2)} s (${buildMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s)`,
    '',
    JSON.stringify({
      firstLoadGzipBytes: firstGzip,
      firstLoadRawBytes: firstRaw,
      targetBytes,
      ratio: firstGzip / targetBytes,
      files: first.map((file) => file.file),
      pages,
      buildMs: buildMs.map(Math.round),
      load,
    }),
    '',
  ].join('\n'),
);
