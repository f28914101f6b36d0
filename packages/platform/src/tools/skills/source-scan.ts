import type { Dirent } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

const languages: Record<string, string> = {
  '.ts': 'TypeScript',
  '.tsx': 'TypeScript',
  '.mts': 'TypeScript',
  '.cts': 'TypeScript',
  '.js': 'JavaScript',
  '.jsx': 'JavaScript',
  '.mjs': 'JavaScript',
  '.cjs': 'JavaScript',
  '.py': 'Python',
  '.rb': 'Ruby',
  '.go': 'Go',
  '.rs': 'Rust',
  '.java': 'Java',
  '.kt': 'Kotlin',
  '.c': 'C',
  '.h': 'C',
  '.cc': 'C++',
  '.cpp': 'C++',
  '.hpp': 'C++',
  '.cs': 'C#',
  '.php': 'PHP',
  '.swift': 'Swift',
  '.scala': 'Scala',
  '.sh': 'Shell',
  '.bash': 'Shell',
  '.sql': 'SQL',
  '.html': 'HTML',
  '.css': 'CSS',
  '.scss': 'CSS',
  '.vue': 'Vue',
  '.svelte': 'Svelte',
  '.md': 'Markdown',
  '.json': 'JSON',
  '.yaml': 'YAML',
  '.yml': 'YAML',
  '.toml': 'TOML',
  '.xml': 'XML',
};

/** Directories never descended into: dependencies, VCS data, build output, Autonoma's own state. */
export const skippedDirectories = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '.autonoma',
  'dist',
  'build',
  'coverage',
  '.next',
  'target',
  '__pycache__',
  '.venv',
  'vendor',
]);

/** One TODO-like marker. */
export interface Marker {
  file: string;
  line: number;
  tag: string;
  text: string;
}

/** One scanned file. */
export interface ScannedFile {
  file: string;
  language: string;
  bytes: number;
  lines: number;
}

/** Limits of a scan. */
export interface ScanLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxMarkers: number;
  signal: AbortSignal;
  /** Paths never entered or read (Autonoma's home, whatever its name). @default none */
  skip?: (path: string) => boolean;
}

const markerPattern = /\b(TODO|FIXME|HACK|XXX)\b(?:\(([^)]*)\))?[:\s-]*(.*)$/;

/** The language of a file name by extension, `Other` when unknown. */
export const languageOf = (file: string): string => languages[extname(file).toLowerCase()] ?? 'Other';

async function readHead(path: string, maxBytes: number): Promise<{ bytes: Buffer; size: number }> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.min(size, maxBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { bytes: buffer.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/**
 * Walks a directory (no symlinks followed, common dependency and build directories and the paths
 * `limits.skip` names skipped), counting lines per text file and collecting TODO/FIXME/HACK/XXX
 * markers with file:line.
 */
export async function scanTree(
  root: string,
  start: string,
  limits: ScanLimits,
): Promise<{ files: ScannedFile[]; markers: Marker[]; truncated: boolean }> {
  const files: ScannedFile[] = [];
  const markers: Marker[] = [];
  let truncated = false;
  const queue = [start];
  while (queue.length > 0) {
    limits.signal.throwIfAborted();
    const directory = queue.shift() ?? start;
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = join(directory, entry.name);
      if (limits.skip?.(path)) continue;
      if (entry.isDirectory()) {
        if (!skippedDirectories.has(entry.name)) queue.push(path);
        continue;
      }
      if (!entry.isFile()) continue;
      if (files.length >= limits.maxFiles) {
        truncated = true;
        continue;
      }
      const { bytes, size } = await readHead(path, limits.maxFileBytes);
      if (bytes.subarray(0, 8192).includes(0)) continue; // binary
      const file = relative(root, path).split(sep).join('/');
      const lines = bytes.toString('utf8').split(/\r?\n/);
      const lineCount = lines.length - (lines.at(-1) === '' ? 1 : 0);
      files.push({ file, language: languageOf(file), bytes: size, lines: lineCount });
      lines.forEach((content, index) => {
        const match = markerPattern.exec(content);
        if (!match || markers.length >= limits.maxMarkers) return;
        const rest = (match[3] ?? '').replace(/\s*\*\/\s*$/, '').trim();
        const text = match[2] ? `(${match[2]}) ${rest}` : rest;
        markers.push({ file, line: index + 1, tag: match[1] ?? 'TODO', text: text.slice(0, 200) });
      });
    }
  }
  return { files, markers, truncated };
}
