/**
 * Processes a test starts outside its own children (a plugin Terraform started, a grandchild left
 * behind): find them, tell whether they still run, and kill what is left.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Running, and not a zombie waiting for a parent to reap it (`/proc/<pid>/stat` state Z). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Direct children of `pid` (from `/proc/<pid>/task/<tid>/children`). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process is gone: no children
  }
  return out;
}

/** The command line of `pid` ("" when gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** SIGKILLs each PID that still runs. */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    if (!alive(pid)) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
}

/** Polls `condition` every 50 ms; fails with `message` after `ms`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, ms: number, message: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(message);
    await new Promise((r) => setTimeout(r, 50));
  }
}
