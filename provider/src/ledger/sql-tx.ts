/**
 * LedgerTx over any SQL driver that runs `?`-placeholder statements inside an open transaction.
 * Backends differ only in how they connect, lock and begin/commit. The rule "every mutation is
 * audited" is enforced here, once, for both backends (`auditedTransaction`).
 */
import { isInventoryKind } from "../kinds";
import { OtterscaleError } from "../domain/errors";
import type { ResourceKind } from "../catalog/catalog";
import type { Usage } from "../domain/quota";
import { FenceLost, type DecisionBounds, type Allocation, type AllocationFilter, type AuditEvent, type LedgerRecord, type LedgerTx, type Prefetch, type RecordFilter, type ServerLoad, type TxOptions } from "./records";
import { allocationsQuery, MAX_LISTED_SERVERS, RECORD_COLUMNS, allocationToParams, insertAllocations, placeholders, recordsQuery, recordToParams, rowToAllocation, rowToAudit, rowToRecord, type Row } from "./sql";
import { WriteQueue, type SqlDriver } from "./write-queue";
import type { Speculation } from "./speculation";
import { loadsOf, prefetchSql, ReadAhead, usageOf } from "./read-ahead";
import { LOADS, TOTALS_CHECK, totalsDrift, USAGE_OF } from "./totals";

export type { SqlDriver, Statement } from "./write-queue";
export { UnexpectedRowCount } from "./write-queue";

/** A backend's raw write transaction (the write lock, no audit rule): `ledger migrate` copies rows through it. */
export interface RawWriter {
  sqlTransaction<T>(fn: (db: SqlDriver) => Promise<T>, opts?: TxOptions): Promise<T>;
}

const objectId = (kind: ResourceKind, key: string) => `${kind}\u0000${key}`;

/**
 * Runs `fn` on a fresh SqlTx over an open write transaction and refuses (throws, so the backend
 * rolls back) when it changed rows without appending an audit event: a programming error, never
 * a user's. The backends call this, and only `ledger migrate`'s raw copy (which copies audit rows
 * itself) bypasses it.
 */
export async function auditedTransaction<T>(db: SqlDriver, fn: (tx: LedgerTx) => Promise<T>, seen?: Speculation): Promise<T> {
  const tx = new SqlTx(db, seen);
  const result = await fn(tx);
  await tx.flush(true);
  const unaudited = tx.unauditedChanges();
  if (unaudited > 0) {
    throw new Error(
      `ledger transaction refused: it changed ${unaudited} row(s) but appended no audit event (every ledger mutation must be audited); it was rolled back`,
    );
  }
  return result;
}

export class SqlTx implements LedgerTx {
  /** Rows changed by put/remove/setAllocations/renewLease in this transaction. */
  private mutations = 0;
  /** Audit events appended in this transaction. */
  private audits = 0;
  /** Objects this transaction inserted. */
  private readonly inserted = new Set<string>();
  /** This transaction's writes (queued with a batching driver). */
  private readonly writes: WriteQueue;
  /** Reads fetched ahead (batching driver), until this transaction's writes change them. */
  private readonly ahead = new ReadAhead();
  /**
   * The inventory generation, once read: it cannot change under this transaction (writes hold
   * the ledger's write lock, reads are snapshots) except by its own bumps, which update it.
   */
  private inventoryGen?: number;
  /** Rows assumed held (`assumeHeld`): object id -> the fence a write of the row must still find. */
  private readonly assumed = new Map<string, { readonly record: LedgerRecord; written: boolean }>();

  constructor(
    private readonly db: SqlDriver,
    /** A speculative transaction (speculation.ts): every read is recorded, to be checked under the lock. */
    private readonly seen?: Speculation,
  ) {
    this.writes = new WriteQueue(db);
  }

  /** A read a speculative transaction cannot check ends the speculation. */
  private checkable(what: string): void {
    if (this.seen) throw this.seen.miss(what);
  }

  dependsOn(bounds: DecisionBounds): void {
    this.seen?.dependsOn(bounds);
  }

  /**
   * Sends the queued writes; a write that changed the wrong number of rows throws here. `last`:
   * nothing follows in this transaction; when it appended an audit event (so the audit rule holds
   * whatever the row counts) the driver may commit with the writes.
   */
  async flush(last = false): Promise<void> {
    if (last) await this.checkAssumptions();
    await this.writes.flush(last && this.audits > 0);
  }

  /** Where round trips cost, the reads `p` names in one statement (with the inventory generation); else nothing. */
  async prefetch(p: Prefetch): Promise<void> {
    if (!this.writes.batching) return;
    const q = prefetchSql(p);
    const [row] = await this.all(q.sql, q.params);
    this.inventoryGen = this.ahead.fill(row, p);
    this.seen?.inventory(this.inventoryGen);
  }

  async assumeHeld(expected: LedgerRecord): Promise<LedgerRecord> {
    if (!this.writes.batching) {
      // Nothing to save in-process: read the row and check the fence now.
      const cur = await this.get(expected.kind, expected.key);
      if (!cur || cur.opId !== expected.opId || cur.generation !== expected.generation) throw new FenceLost(expected.kind, expected.key);
      return cur;
    }
    this.assumed.set(objectId(expected.kind, expected.key), { record: expected, written: false });
    return expected;
  }

  /** An assumed row the transaction did not write is checked by a write that changes nothing (and locks the row until COMMIT). */
  private async checkAssumptions(): Promise<void> {
    for (const a of this.assumed.values()) {
      if (a.written) continue;
      a.written = true;
      const r = a.record;
      await this.write("objects", "UPDATE objects SET generation = generation WHERE kind = ? AND key = ? AND generation = ? AND op_id = ?", [r.kind, r.key, r.generation, r.opId], (n) => {
        if (n !== 1) throw new FenceLost(r.kind, r.key);
      }, 1);
    }
  }

  /** Every read sees this transaction's writes: queued ones are sent first. */
  private async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    await this.writes.flush();
    return this.db.all(sql, params);
  }

  private async write(table: string, sql: string, params: readonly unknown[], done: (changes: number) => void = (n) => (this.mutations += n), expect?: number): Promise<void> {
    if (table === "objects") this.ahead.objectsWritten();
    if (table === "allocations") this.ahead.allocationsWritten();
    await this.writes.write(table, sql, params, done, expect);
  }

  /** Rows this transaction changed if it appended no audit event; 0 when it is audited (or changed nothing). */
  unauditedChanges(): number {
    return this.audits === 0 ? this.mutations : 0;
  }

  async get(kind: ResourceKind, key: string): Promise<LedgerRecord | undefined> {
    let rec = this.ahead.record(kind, key);
    if (rec === "miss") {
      const rows = await this.all(`SELECT ${RECORD_COLUMNS} FROM objects WHERE kind = ? AND key = ?`, [kind, key]);
      rec = rows[0] ? rowToRecord(rows[0]) : undefined;
    }
    this.seen?.row(kind, key, rec);
    return rec;
  }

  async list(filter: RecordFilter = {}): Promise<LedgerRecord[]> {
    // A list of inventory rows is checkable: every write of one bumps the inventory generation,
    // which a speculation checks once it has read it (the inventory cache reads it first).
    const inventoryOnly = !!filter.kinds?.length && filter.kinds.every(isInventoryKind) && this.inventoryGen !== undefined;
    if (!inventoryOnly) this.checkable("a list");
    const q = recordsQuery(filter);
    return (await this.all(q.sql, q.params)).map(rowToRecord);
  }

  async put(record: LedgerRecord): Promise<void> {
    const params = recordToParams(record);
    // Exactly one row changes, else the row was not what the caller read: a conflict (thrown when
    // the write is sent: at once, or with the batch before the next read or the end).
    const one = (changes: number) => {
      if (changes !== 1) throw conflict(record);
      this.mutations++;
    };
    if (record.generation === 1) {
      // One statement (not a look-up, then an insert): it runs inside the ledger's write lock.
      await this.write("objects", `INSERT INTO objects (${RECORD_COLUMNS}) VALUES ${placeholders(params.length)} ON CONFLICT (kind, key) DO NOTHING`, params, one, 1);
      this.inserted.add(objectId(record.kind, record.key));
    } else {
      const sets = RECORD_COLUMNS.split(", ")
        .slice(2)
        .map((c) => `${c} = ?`)
        .join(", ");
      const where = [...params.slice(2), record.kind, record.key, record.generation - 1];
      const assumed = this.assumed.get(objectId(record.kind, record.key));
      if (assumed && !assumed.written && assumed.record.generation === record.generation - 1) {
        // The fence, checked by the write itself: the row is still the generation and owner assumed.
        assumed.written = true;
        const held = (changes: number) => {
          if (changes !== 1) throw new FenceLost(record.kind, record.key);
          this.mutations++;
        };
        await this.write("objects", `UPDATE objects SET ${sets} WHERE kind = ? AND key = ? AND generation = ? AND op_id = ?`, [...where, assumed.record.opId], held, 1);
      } else await this.write("objects", `UPDATE objects SET ${sets} WHERE kind = ? AND key = ? AND generation = ?`, where, one, 1);
    }
    if (isInventoryKind(record.kind)) await this.bumpInventory();
  }

  async remove(kind: ResourceKind, key: string): Promise<void> {
    this.inserted.delete(objectId(kind, key));
    await this.write("allocations", "DELETE FROM allocations WHERE kind = ? AND key = ?", [kind, key]);
    await this.write("objects", "DELETE FROM objects WHERE kind = ? AND key = ?", [kind, key]);
    if (isInventoryKind(kind)) await this.bumpInventory();
  }

  async setAllocations(kind: ResourceKind, key: string, allocations: readonly Allocation[]): Promise<void> {
    // An object this transaction just inserted has no allocations yet (only its first set skips the DELETE).
    if (!this.inserted.delete(objectId(kind, key))) await this.write("allocations", "DELETE FROM allocations WHERE kind = ? AND key = ?", [kind, key]);
    if (allocations.length) await this.write("allocations", insertAllocations(allocations.length), allocations.flatMap((a) => allocationToParams({ ...a, kind, key })));
  }

  async renewLease(kind: ResourceKind, key: string, opId: string, until: number): Promise<boolean> {
    this.checkable("a lease renewal");
    // Only the owner may extend, and the generation stays: it is the fence token other runs compare.
    // An expired lease is not revived: another run may already be settling the row.
    await this.writes.flush();
    const res = await this.db.run("UPDATE objects SET lease_expires = ? WHERE kind = ? AND key = ? AND op_id = ? AND lease_expires >= ?", [until, kind, key, opId, Date.now()]);
    if (res.changes) this.ahead.objectsWritten(); // a prefetched copy of the row would show the old lease
    this.mutations += res.changes;
    return res.changes === 1;
  }

  async allocations(filter: AllocationFilter = {}): Promise<Allocation[]> {
    this.checkable("an allocation list");
    if (filter.servers && !filter.servers.length) return [];
    const q = allocationsQuery(filter);
    return (await this.all(q.sql, q.params)).map(rowToAllocation);
  }

  async serverLoad(servers?: readonly string[]): Promise<Map<string, ServerLoad>> {
    if (servers && !servers.length) return new Map();
    this.seen?.loads();
    const ahead = this.ahead.serverLoad(servers);
    if (ahead) return ahead;
    // A long list is not bound as parameters (SQLite takes at most 32,766 per statement, and a
    // group of 100,000 servers would exceed it): every server's load is read and the rest dropped.
    const listed = servers !== undefined && servers.length <= MAX_LISTED_SERVERS;
    const where = listed ? ` AND server IN ${placeholders(servers.length)}` : "";
    const loads = loadsOf(await this.all(`${LOADS}${where}`, listed ? servers : []));
    if (servers && !listed) {
      const wanted = new Set(servers);
      for (const name of [...loads.keys()]) if (!wanted.has(name)) loads.delete(name);
    }
    return loads;
  }

  async usage(tenant: string, grp: string): Promise<Usage> {
    this.seen?.usage(tenant, grp);
    const ahead = this.ahead.usage(tenant, grp);
    if (ahead) return ahead;
    const [r] = await this.all(USAGE_OF, [tenant, grp]);
    return usageOf(r);
  }

  async appendAudit(e: AuditEvent): Promise<void> {
    this.audits++;
    await this.write("audit", "INSERT INTO audit (at, op, kind, key, tenant, grp, delta, op_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [e.at, e.op, e.kind, e.key, e.tenant, e.grp, JSON.stringify(e.delta), e.opId], () => undefined);
  }

  async inventoryGeneration(): Promise<number> {
    if (this.inventoryGen === undefined) {
      const rows = await this.all("SELECT v FROM meta WHERE k = 'inventory_generation'");
      this.inventoryGen = Number(rows[0]?.v ?? 0);
      this.seen?.inventory(this.inventoryGen);
    }
    return this.inventoryGen;
  }

  async totalsDrift(): Promise<string[]> {
    const q = TOTALS_CHECK;
    const [ku, kl, ru, rl] = [await this.all(q.kept.usage), await this.all(q.kept.loads), await this.all(q.rows.usage), await this.all(q.rows.loads)];
    return totalsDrift({ usage: ku, loads: kl }, { usage: ru, loads: rl });
  }

  async auditSince(seq: number, limit = 100_000): Promise<AuditEvent[]> {
    this.checkable("the audit log");
    return (await this.all("SELECT seq, at, op, kind, key, tenant, grp, delta, op_id FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit])).map(rowToAudit);
  }

  async lastAuditSeq(): Promise<number> {
    this.checkable("the audit log");
    const rows = await this.all("SELECT COALESCE(MAX(seq), 0) AS s FROM audit");
    return Number(rows[0]?.s ?? 0);
  }

  private async bumpInventory(): Promise<void> {
    // Stored as text so the statement is identical on both backends.
    const g = await this.inventoryGeneration();
    this.inventoryGen = g + 1;
    await this.write("meta", "UPDATE meta SET v = ? WHERE k = 'inventory_generation'", [String(g + 1)], () => undefined);
  }
}

function conflict(r: LedgerRecord): OtterscaleError {
  return new OtterscaleError(
    "conflict",
    `${r.kind} ${r.key} was changed concurrently (expected generation ${r.generation - 1}); retry the operation`,
  );
}
