/**
 * File primitives with the guarantees the gitops adapter needs: a reader never sees a torn file,
 * concurrent writers of one file resolve to one complete version (last rename wins), and writers
 * of different files never interfere. Works across async operations and OS processes because the
 * only shared step is `rename(2)`, which is atomic within a directory on POSIX filesystems.
 * A writer that crashes between creating its temp file and the rename leaves the temp file behind:
 * a later write into that directory removes it once it is old enough (see STALE_TEMP_MS).
 */
import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import * as path from "node:path";

let sequence = 0;

/** A temp name unique across processes (pid), async calls (sequence) and pid reuse (random). */
function tempNameFor(file: string): string {
  const suffix = `${process.pid}.${++sequence}.${randomBytes(4).toString("hex")}`;
  return path.join(path.dirname(file), `.${path.basename(file)}.${suffix}.tmp`);
}

/** Names `tempNameFor` makes, and only those (a checkout may hold other hidden files). */
const TEMP_NAME = /^\..+\.\d+\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Age (by mtime) past which a temp file counts as left by a crashed writer. A real write takes
 * milliseconds, so a minute is far beyond any live one. Age and not the PID in the name decides:
 * PIDs repeat across containers and PID namespaces that share the directory, so "no process with
 * that PID here" proves nothing, and a fresh file may be another process's write in progress.
 */
export const STALE_TEMP_MS = 60_000;

/**
 * One process sweeps one directory at most this often. A readdir on every write would make writing
 * n manifests into one directory O(n^2) (measured: half the write rate at 2,000 files); a stale
 * file then lives at most STALE_TEMP_MS + SWEEP_INTERVAL_MS past its writer's crash, given writes.
 */
export const SWEEP_INTERVAL_MS = 10_000;

const lastSweep = new Map<string, number>();

/** `removeStaleTemps(dir)` unless this process swept `dir` less than SWEEP_INTERVAL_MS ago. */
async function sweepIfDue(dir: string): Promise<void> {
  const now = Date.now();
  if (now - (lastSweep.get(dir) ?? -Infinity) < SWEEP_INTERVAL_MS) return;
  lastSweep.set(dir, now); // before awaiting: concurrent writes into `dir` sweep once
  await removeStaleTemps(dir, now);
}

/**
 * Removes the stale temp files of `dir` (one readdir; a stat only for temp names, which are rare).
 * Best effort: a file another writer renamed or removed meanwhile, or an unreadable directory,
 * is not this write's failure.
 */
export async function removeStaleTemps(dir: string, now = Date.now()): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => TEMP_NAME.test(name))
      .map(async (name) => {
        const file = path.join(dir, name);
        try {
          const stat = await fs.lstat(file);
          if (stat.isFile() && now - stat.mtimeMs > STALE_TEMP_MS) await fs.rm(file, { force: true });
        } catch {
          // gone meanwhile (its writer finished, or another cleaner got there first)
        }
      }),
  );
}

/**
 * Writes `content` to `file` atomically: temp file in the same directory, fsync, rename over.
 * Parent directories are created as needed (mkdir -p is safe to race). Then clears the stale
 * temp files crashed writers left in that directory (at most every SWEEP_INTERVAL_MS).
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = tempNameFor(file);
  try {
    const handle = await openNew(temp);
    try {
      await handle.writeFile(content, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
  await sweepIfDue(path.dirname(file));
}

/** Opens a new file, creating its directory only when it is missing (the common case skips mkdir). */
async function openNew(file: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, "wx", 0o644);
  } catch (e) {
    if (!isMissing(e)) throw e;
    await fs.mkdir(path.dirname(file), { recursive: true });
    return fs.open(file, "wx", 0o644);
  }
}

/** File content, or undefined when the file does not exist. */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/** `readFileIfExists`, synchronously (for small files read in a batch). */
export function readFileIfExistsSync(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/** Removes `file`; a missing file is fine. Directories stay (a concurrent writer may need them). */
export async function removeFile(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}

/** Entry names of a directory, [] when it does not exist. */
export async function listDir(dir: string, kind: "file" | "dir"): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => (kind === "dir" ? e.isDirectory() : e.isFile())).map((e) => e.name);
  } catch (e) {
    if (isMissing(e) || (e as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw e;
  }
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === "ENOENT";
}
