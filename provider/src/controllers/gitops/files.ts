/**
 * File primitives with the guarantees the gitops adapter needs: a reader never sees a torn file,
 * concurrent writers of one file resolve to one complete version (last rename wins), and writers
 * of different files never interfere. Works across async operations and OS processes because the
 * only shared step is `rename(2)`, which is atomic within a directory on POSIX filesystems.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";

let sequence = 0;

/** A temp name unique across processes (pid), async calls (sequence) and pid reuse (random). */
function tempNameFor(file: string): string {
  const suffix = `${process.pid}.${++sequence}.${randomBytes(4).toString("hex")}`;
  return path.join(path.dirname(file), `.${path.basename(file)}.${suffix}.tmp`);
}

/**
 * Writes `content` to `file` atomically: temp file in the same directory, fsync, rename over.
 * Parent directories are created as needed (mkdir -p is safe to race).
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
