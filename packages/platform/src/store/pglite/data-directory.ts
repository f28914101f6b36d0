/**
 * Preparing the embedded store's data directory: create it and check it can hold the store, failing at
 * once with a reason. Node's `mkdir(path, { recursive: true })` is not used: on procfs (`/proc/1/x`)
 * creating an entry fails with ENOENT although the parent exists, and Node's recursive walk answers an
 * ENOENT by creating the parent (EEXIST) and retrying the child, for ever — a hang with no output.
 */
import { constants } from 'node:fs';
import { access, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';

const errorCode = (error: unknown): string =>
  (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.name : 'error');

const notADirectory = (path: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR' });

const existingDirectory = async (path: string): Promise<void> => {
  if (!(await stat(path)).isDirectory()) throw notADirectory(path);
};

/**
 * Creates `path` and its missing parents, like `mkdir -p`, and returns once it is a directory. Unlike
 * Node's recursive mkdir it always ends: once the parent exists, the child's ENOENT is final.
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path);
    return;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return existingDirectory(path);
    if (errorCode(error) !== 'ENOENT' || dirname(path) === path) throw error;
  }
  await makeDirectory(dirname(path));
  try {
    await mkdir(path);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    await existingDirectory(path);
  }
}

/** Kernel pseudo-filesystems: nothing there can hold a database, and creating entries has side effects. */
const pseudoFilesystems = ['/proc', '/sys'];

/** Real path of `path`, or of its deepest existing ancestor when it does not exist yet. */
const realAncestor = async (path: string): Promise<string> => {
  for (let current = path; ; current = dirname(current)) {
    try {
      return await realpath(current);
    } catch (error) {
      if (dirname(current) === current) throw error;
    }
  }
};

/**
 * Creates the data directory `dir` when missing and checks that it can hold the store: a writable
 * directory outside `/proc` and `/sys`. Returns why it cannot, in a few words naming the path and the
 * error code (`cannot create /proc/1/x/data (ENOENT)`), or undefined when it can.
 */
export async function dataDirectoryProblem(dir: string): Promise<string | undefined> {
  if (dir.includes('\0')) return 'the path contains a NUL byte';
  const absolute = resolve(dir);
  const real = await realAncestor(absolute).catch(() => absolute);
  const pseudo = pseudoFilesystems.find((root) => real === root || real.startsWith(`${root}${sep}`));
  if (pseudo) return `${absolute} is under ${pseudo}, a kernel pseudo-filesystem`;
  try {
    await makeDirectory(absolute);
  } catch (error) {
    return `cannot create ${absolute} (${errorCode(error)})`;
  }
  try {
    await access(absolute, constants.W_OK | constants.X_OK);
  } catch (error) {
    return `${absolute} is not writable (${errorCode(error)})`;
  }
  return undefined;
}
