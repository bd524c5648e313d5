/**
 * Speculative write transactions (PostgreSQL): decide on reads taken without the ledger's lock,
 * then send BEGIN, the lock, checks that the decision still holds, the writes and COMMIT as one
 * message. The lock is then held only while the server runs that message, never across a client
 * round trip, so writers in many processes stop queueing behind each other's event loops.
 *
 * What makes it exact: every read is checked under the lock. A row read must still be the same
 * row (generation, last write time and operation), or still absent; the inventory generation must
 * be unchanged. Aggregates are not required to be unchanged (under load they never are): the
 * decision declares how far they may have moved (`LedgerTx.dependsOn`: quota headroom, server
 * headroom, from the very rules it ran), and the server checks the current sums against those
 * bounds. Reads the checks cannot express (lists, allocations, the audit log) end the speculation
 * at once. Whenever it ends without committing (a read it cannot check, a failed check, a refusal
 * decided on unlocked reads, a transaction that wrote nothing), the caller runs the transaction
 * again: speculatively when the server rolled it back (what it read moved on; up to
 * SPECULATIONS in all, postgres.ts), else under the lock as usual, so every outcome is one a
 * locked run could have produced.
 */
import type { ResourceKind } from "../catalog/catalog";
import type { Usage } from "../domain/quota";
import type { DecisionBounds, LedgerRecord, ServerBound } from "./records";
import { MODEL_LOAD_OF, SERVER_LOAD_OF, USAGE_OF } from "./totals";
import type { Row } from "./sql";
import { RolledBackWithOthers, UnexpectedRowCount, type SqlDriver, type Statement } from "./write-queue";

/** The speculation cannot go on (a read it cannot check, or a check failed): run the transaction again. */
export class SpeculationMissed extends Error {}

export class Speculation {
  private readonly rows = new Map<string, { readonly kind: ResourceKind; readonly key: string; readonly rec: LedgerRecord | undefined }>();
  private inventoryGen?: number;
  private readonly usages = new Set<string>();
  private loadsRead = false;
  private bounds?: DecisionBounds;
  /** The commit message was sent; an error after this is the commit's, unless the server rolled it back. */
  sent = false;
  rolledBack = false;
  committed = false;

  miss(why: string): SpeculationMissed {
    return new SpeculationMissed(why);
  }

  row(kind: ResourceKind, key: string, rec: LedgerRecord | undefined): void {
    const id = `${kind}\u0000${key}`;
    if (!this.rows.has(id)) this.rows.set(id, { kind, key, rec });
  }

  inventory(generation: number): void {
    this.inventoryGen ??= generation;
  }

  usage(tenant: string, grp: string): void {
    this.usages.add(`${tenant}\u0000${grp}`);
  }

  loads(): void {
    this.loadsRead = true;
  }

  dependsOn(bounds: DecisionBounds): void {
    // One decision per speculative transaction: a second would have read after the first's
    // (unsent) writes, and its bounds would not cover them.
    if (this.bounds) throw this.miss("a second decision");
    this.bounds = bounds;
  }

  /** The checks to run under the lock, before the writes; throws SpeculationMissed when the reads cannot be checked. */
  checks(): Check[] {
    const b = this.bounds;
    if ((this.usages.size || this.loadsRead) && !b) throw this.miss("aggregates read without declared bounds");
    if (b && [...this.usages].some((u) => u !== `${b.usage.tenant}\u0000${b.usage.grp}`)) throw this.miss("a usage read outside the bounds");
    const out: Check[] = [];
    for (const { kind, key, rec } of this.rows.values()) out.push(rec ? sameRow(rec) : noRow(kind, key));
    if (this.inventoryGen !== undefined) {
      out.push({ sql: "SELECT 1 FROM meta WHERE k = 'inventory_generation' AND v = ?", params: [String(this.inventoryGen)], expect: 1, read: true, about: "inventory" });
    }
    if (b && this.usages.size) out.push(usageWithin(b.usage.tenant, b.usage.grp, b.usage.atMost));
    if (b && this.loadsRead) out.push(...b.servers.map(loadWithin));
    return out;
  }
}

/** A check under the lock, and what it is about (for the reason a speculation missed). */
interface Check extends Statement {
  readonly about: "row" | "inventory" | "usage" | "load";
}

const sameRow = (r: LedgerRecord): Check => ({
  sql: "SELECT 1 FROM objects WHERE kind = ? AND key = ? AND generation = ? AND updated_at = ? AND op_id IS NOT DISTINCT FROM ?",
  params: [r.kind, r.key, r.generation, r.updatedAt, r.opId ?? null],
  expect: 1,
  read: true,
  about: "row",
});

const noRow = (kind: ResourceKind, key: string): Check => ({
  sql: "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM objects WHERE kind = ? AND key = ?)",
  params: [kind, key],
  expect: 1,
  read: true,
  about: "row",
});

function usageWithin(tenant: string, grp: string, u: Usage): Check {
  const r = u.resources;
  return {
    sql: `SELECT 1 FROM (${USAGE_OF}) u WHERE cpu <= ? AND memory <= ? AND storage <= ? AND gpus <= ? AND vms <= ? AND vclusters <= ? AND pools <= ?`,
    params: [tenant, grp, r.cpu, r.memory, r.storage, r.gpus, u.virtualMachines, u.vclusters, u.blockPools],
    expect: 1,
    read: true,
    about: "usage",
  };
}

function loadWithin(s: ServerBound): Check {
  const models = Object.entries(s.gpuModels);
  const a = s.atMost;
  return {
    sql: `SELECT 1 FROM (${SERVER_LOAD_OF}) l WHERE cpu <= ? AND memory <= ? AND storage <= ? AND gpus <= ?${models.map(() => ` AND (${MODEL_LOAD_OF}) <= ?`).join("")}`,
    params: [s.server, a.cpu, a.memory, a.storage, a.gpus, ...models.flatMap(([model, atMost]) => [s.server, model, atMost])],
    expect: 1,
    read: true,
    about: "load",
  };
}

/**
 * The SQL driver of a speculative transaction: reads go out at once without the lock (`read`),
 * writes wait for the end, where `commitLocked` sends the checks and the writes with BEGIN, the
 * lock and COMMIT. Writes that would have to go out earlier (before a read, or without an audit
 * event to commit with) end the speculation.
 */
export function speculativeDriver(
  seen: Speculation,
  read: (sql: string, params: readonly unknown[]) => Promise<Row[]>,
  commitLocked: (statements: readonly Statement[]) => Promise<number[]>,
): SqlDriver {
  return {
    all: (sql, params = []) => read(sql, params),
    run: () => Promise.reject(seen.miss("a write that must go out before the commit")),
    batch: () => Promise.reject(seen.miss("writes that must go out before a read")),
    commitWith: async (statements) => {
      const checks = seen.checks();
      seen.sent = true;
      try {
        const counts = await commitLocked([...checks, ...statements]);
        seen.committed = true;
        return counts.slice(checks.length);
      } catch (e) {
        if (e instanceof RolledBackWithOthers) {
          seen.rolledBack = true;
          throw seen.miss("rolled back with another transaction of its commit group");
        }
        if (!(e instanceof UnexpectedRowCount)) throw e;
        seen.rolledBack = true;
        if (e.index < checks.length) throw seen.miss(`a check no longer held (${checks[e.index].about})`);
        throw new UnexpectedRowCount(e.index - checks.length);
      }
    },
  };
}

/**
 * Runs `run(tx)` speculatively (see the file comment). Returns its value when it committed, or
 * why it missed and whether another speculation may succeed (else the caller runs it again under
 * the lock). Rethrows only an error of the sent commit message that did not roll it back (lock
 * timeout, a connection lost: the outcome is the error's to tell, not a second run's).
 */
export async function speculate<T>(seen: Speculation, run: () => Promise<T>): Promise<{ readonly value: T } | { readonly missed: string; readonly retry: boolean }> {
  try {
    const value = await run();
    if (seen.committed) return { value };
    return { missed: "wrote nothing", retry: false };
  } catch (e) {
    if (seen.sent && !seen.rolledBack) throw e;
    // Rolled back by the server (a failed check, or with its group): what it read has moved on,
    // and reading again may well decide something that holds. Any other miss would recur.
    return { missed: e instanceof SpeculationMissed ? e.message : "refused on unlocked reads", retry: e instanceof SpeculationMissed && seen.rolledBack };
  }
}
