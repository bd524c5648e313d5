/**
 * What a ledger says, captured so a test can prove that a read (plan, refresh, preview, a CLI
 * read command) changed nothing:
 * - `cliSnapshot`: the operator's view, the JSON of `bin/otterscale usage`, `allocations` and
 *   `audit` (the real CLI through its wrapper, as an operator runs it);
 * - `sqliteRows`: every row of every table of an SQLite ledger, read through a read-only
 *   connection (generations, leases and the meta table included: stricter than the CLI's view).
 */
import { existsSync } from "node:fs";
import type { DatabaseSync as DatabaseSyncType } from "node:sqlite";
import { cli } from "../cli/cli-harness";

export interface CliSnapshot {
  /** `otterscale -o json usage`, parsed. */
  readonly usage: unknown;
  /** `otterscale -o json allocations`, parsed (each allocation carries `backend`). */
  readonly allocations: { allocations: { kind: string; id: string; state: string; servers: string[]; backend: string }[] };
  /** `otterscale -o json audit`, parsed. */
  readonly audit: { events: unknown[] };
}

/** Runs `bin/otterscale -o json <command>` against `home` (and the URLs in `env`); throws on a non-zero exit. */
export async function cliJsonVia(home: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<unknown> {
  const r = await cli(["-o", "json", ...args], { home, env, wrapper: true });
  if (r.code !== 0) throw new Error(`otterscale -o json ${args.join(" ")}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

export async function cliSnapshot(home: string, env: NodeJS.ProcessEnv = {}): Promise<CliSnapshot> {
  const [usage, allocations, audit] = [
    await cliJsonVia(home, ["usage"], env),
    await cliJsonVia(home, ["allocations"], env),
    await cliJsonVia(home, ["audit"], env),
  ];
  return { usage, allocations: allocations as CliSnapshot["allocations"], audit: audit as CliSnapshot["audit"] };
}

/** Every row of every table of the SQLite file, as JSON lines per table (read-only; the file must exist). */
export function sqliteRows(file: string): Record<string, string[]> {
  if (!existsSync(file)) throw new Error(`no SQLite ledger at ${file}`);
  const { DatabaseSync } = require("node:sqlite") as typeof import("node:sqlite"); // eslint-disable-line @typescript-eslint/no-require-imports
  const db: DatabaseSyncType = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    return Object.fromEntries(
      tables.map((t) => [t, (db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]).map((row) => JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? String(v) : v))).sort()]),
    );
  } finally {
    db.close();
  }
}
