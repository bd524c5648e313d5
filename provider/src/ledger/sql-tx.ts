/**
 * LedgerTx over any SQL driver that runs `?`-placeholder statements inside an open transaction.
 * Backends differ only in how they connect, lock and begin/commit. The rule "every mutation is
 * audited" is enforced here, once, for both backends (`auditedTransaction`).
 */
import { isInventoryKind, isQuotaKind } from "../kinds";
import { OtterscaleError } from "../domain/errors";
import type { ResourceKind } from "../catalog/catalog";
import type { Usage } from "../domain/quota";
import type { Allocation, AllocationFilter, AuditEvent, LedgerRecord, LedgerTx, RecordFilter, ServerLoad, TxOptions } from "./records";
import { RECORD_COLUMNS, allocationToParams, insertAllocations, placeholders, recordToParams, rowToAllocation, rowToAudit, rowToRecord, type Row } from "./sql";

export interface SqlDriver {
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
  /**
   * Runs several writes (each on a different table) as one statement, one round trip; returns
   * each one's changed-row count. Only a network backend (PostgreSQL) offers it: with it, SqlTx
   * queues its writes and sends them together before the transaction's next read and at its end
   * (see `SqlTx.flush`), and folds look-ups that always come together into one statement. An
   * embedded backend (SQLite) has no round trips to save and runs every statement at once.
   */
  batch?(statements: readonly Statement[]): Promise<number[]>;
  /**
   * Optional, with `batch`: sends the statements and COMMIT together (one round trip) and ends
   * the transaction. The server checks each statement's `expect`ed row count, so a write that
   * does not match rolls the transaction back instead of committing (`UnexpectedRowCount`).
   */
  commitWith?(statements: readonly Statement[]): Promise<number[]>;
}

export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The number of rows the statement must change (an optimistic write's check). */
  readonly expect?: number;
}

/** A `commitWith` statement changed another number of rows than it expected: the transaction was rolled back. */
export class UnexpectedRowCount extends Error {
  constructor(readonly index: number) {
    super(`statement ${index} of the batch changed an unexpected number of rows`);
  }
}

/** A queued write: its table (two writes of one table never share a batch) and what to do with its row count. */
interface Queued extends Statement {
  readonly table: string;
  readonly done: (changes: number) => void;
}

/** A backend's raw write transaction (the write lock, no audit rule): `ledger migrate` copies rows through it. */
export interface RawWriter {
  sqlTransaction<T>(fn: (db: SqlDriver) => Promise<T>, opts?: TxOptions): Promise<T>;
}

const objectId = (kind: ResourceKind, key: string) => `${kind}\u0000${key}`;

function inList(values: readonly unknown[]): string {
  return placeholders(values.length);
}

/**
 * Runs `fn` on a fresh SqlTx over an open write transaction and refuses (throws, so the backend
 * rolls back) when it changed rows without appending an audit event: a programming error, never
 * a user's. The backends call this, and only `ledger migrate`'s raw copy (which copies audit rows
 * itself) bypasses it.
 */
export async function auditedTransaction<T>(db: SqlDriver, fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
  const tx = new SqlTx(db);
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
  /** Writes not yet sent (only with a batching driver). */
  private readonly queued: Queued[] = [];
  /**
   * The inventory generation, once read: it cannot change under this transaction (writes hold
   * the ledger's write lock, reads are snapshots) except by its own bumps, which update it.
   */
  private inventoryGen?: number;
  /** A quota's usage read with the quota (batching driver), until this transaction writes an object. */
  private usageAhead?: { readonly tenant: string; readonly grp: string; readonly usage: Usage };

  constructor(private readonly db: SqlDriver) {}

  /**
   * Sends the queued writes (one round trip); a write that changed the wrong number of rows
   * throws here. `last`: nothing follows in this transaction; when it appended an audit event
   * (so the audit rule holds whatever the row counts) the driver may commit with the writes.
   */
  async flush(last = false): Promise<void> {
    if (!this.queued.length) return;
    const q = this.queued.splice(0);
    if (last && this.audits > 0 && this.db.commitWith) {
      let counts: number[];
      try {
        counts = await this.db.commitWith(q);
      } catch (e) {
        if (e instanceof UnexpectedRowCount) q[e.index].done(Number.NaN); // throws the write's own error
        throw e;
      }
      q.forEach((w, i) => w.done(counts[i]));
      return;
    }
    const counts = q.length === 1 ? [(await this.db.run(q[0].sql, q[0].params)).changes] : await this.db.batch!(q);
    q.forEach((w, i) => w.done(counts[i]));
  }

  /** Every read sees this transaction's writes: queued ones are sent first. */
  private async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    await this.flush();
    return this.db.all(sql, params);
  }

  /** A write, run now (embedded driver) or queued (batching driver; a queued write of the same table is sent first). */
  private async write(
    table: string,
    sql: string,
    params: readonly unknown[],
    done: (changes: number) => void = (n) => (this.mutations += n),
    expect?: number,
  ): Promise<void> {
    if (table === "objects") this.usageAhead = undefined;
    if (!this.db.batch) {
      done((await this.db.run(sql, params)).changes);
      return;
    }
    if (this.queued.some((w) => w.table === table)) await this.flush();
    this.queued.push({ table, sql, params, done, ...(expect === undefined ? {} : { expect }) });
  }

  /** Rows this transaction changed if it appended no audit event; 0 when it is audited (or changed nothing). */
  unauditedChanges(): number {
    return this.audits === 0 ? this.mutations : 0;
  }

  async get(kind: ResourceKind, key: string): Promise<LedgerRecord | undefined> {
    if (this.db.batch) {
      // Round trips cost: a quota is read to check usage against it, so its usage comes along
      // (PostgreSQL's LATERAL); the first look-up of a transaction brings the inventory generation.
      if (isQuotaKind(kind)) return this.quotaWithUsage(kind, key);
      if (this.inventoryGen === undefined) {
        const [r] = await this.all(`SELECT m.v AS inventory_generation, ${O_COLUMNS} FROM meta m LEFT JOIN objects o ON o.kind = ? AND o.key = ? WHERE m.k = 'inventory_generation'`, [kind, key]);
        this.inventoryGen = Number(r?.inventory_generation ?? 0);
        return r && r.kind !== null ? rowToRecord(r) : undefined;
      }
    }
    const rows = await this.all(`SELECT ${RECORD_COLUMNS} FROM objects WHERE kind = ? AND key = ?`, [kind, key]);
    return rows[0] ? rowToRecord(rows[0]) : undefined;
  }

  private async quotaWithUsage(kind: ResourceKind, key: string): Promise<LedgerRecord | undefined> {
    const [r] = await this.all(
      `SELECT ${O_COLUMNS}, u.* FROM objects o CROSS JOIN LATERAL (SELECT ${USAGE_SUMS} FROM objects x WHERE x.tenant = o.tenant AND x.grp = o.grp) u WHERE o.kind = ? AND o.key = ?`,
      [kind, key],
    );
    if (!r) return undefined;
    const rec = rowToRecord(r);
    if (rec.tenant !== null && rec.grp !== null) this.usageAhead = { tenant: rec.tenant, grp: rec.grp, usage: usageOf(r) };
    return rec;
  }

  async list(filter: RecordFilter = {}): Promise<LedgerRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.kinds?.length) {
      where.push(`kind IN ${inList(filter.kinds)}`);
      params.push(...filter.kinds);
    }
    if (filter.tenant !== undefined) {
      where.push("tenant = ?");
      params.push(filter.tenant);
    }
    if (filter.grp !== undefined) {
      where.push("grp = ?");
      params.push(filter.grp);
    }
    if (filter.states?.length) {
      where.push(`state IN ${inList(filter.states)}`);
      params.push(...filter.states);
    }
    if (filter.leaseBefore !== undefined) {
      where.push("lease_expires IS NOT NULL AND lease_expires < ?");
      params.push(filter.leaseBefore);
    }
    const sql = `SELECT ${RECORD_COLUMNS} FROM objects${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY kind, key`;
    return (await this.all(sql, params)).map(rowToRecord);
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
      await this.write("objects", `UPDATE objects SET ${sets} WHERE kind = ? AND key = ? AND generation = ?`, [...params.slice(2), record.kind, record.key, record.generation - 1], one, 1);
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
    // Only the owner may extend, and the generation stays: it is the fence token other runs compare.
    // An expired lease is not revived: another run may already be settling the row.
    await this.flush();
    const res = await this.db.run("UPDATE objects SET lease_expires = ? WHERE kind = ? AND key = ? AND op_id = ? AND lease_expires >= ?", [until, kind, key, opId, Date.now()]);
    this.mutations += res.changes;
    return res.changes === 1;
  }

  async allocations(filter: AllocationFilter = {}): Promise<Allocation[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    let from = "allocations a";
    if (filter.servers) {
      if (!filter.servers.length) return [];
      where.push(`a.server IN ${inList(filter.servers)}`);
      params.push(...filter.servers);
    }
    if (filter.consumer) {
      where.push("a.kind = ? AND a.key = ?");
      params.push(filter.consumer.kind, filter.consumer.key);
    }
    if (filter.antiAffinity) {
      from += " JOIN objects o ON o.kind = a.kind AND o.key = a.key";
      where.push("o.tenant = ? AND o.grp = ? AND o.anti_group = ?");
      params.push(filter.antiAffinity.tenant, filter.antiAffinity.grp, filter.antiAffinity.group);
    }
    const sql = `SELECT a.kind, a.key, a.replica, a.server, a.cpu, a.memory, a.storage, a.gpus, a.gpu_model FROM ${from}${
      where.length ? ` WHERE ${where.join(" AND ")}` : ""
    } ORDER BY a.kind, a.key, a.replica`;
    return (await this.all(sql, params)).map(rowToAllocation);
  }

  async serverLoad(servers?: readonly string[]): Promise<Map<string, ServerLoad>> {
    const out = new Map<string, ServerLoad>();
    if (servers && !servers.length) return out;
    const where = servers ? ` WHERE server IN ${inList(servers)}` : "";
    const rows = await this.all(
      `SELECT server, gpu_model, SUM(cpu) AS cpu, SUM(memory) AS memory, SUM(storage) AS storage, SUM(gpus) AS gpus
         FROM allocations${where} GROUP BY server, gpu_model`,
      servers ?? [],
    );
    for (const r of rows) {
      const name = String(r.server);
      const load = out.get(name) ?? { allocated: { cpu: 0, memory: 0, storage: 0, gpus: 0 }, gpuModels: {} };
      load.allocated.cpu += Number(r.cpu);
      load.allocated.memory += Number(r.memory);
      load.allocated.storage += Number(r.storage);
      load.allocated.gpus += Number(r.gpus);
      if (r.gpu_model !== null && r.gpu_model !== undefined && Number(r.gpus) > 0) {
        load.gpuModels[String(r.gpu_model)] = (load.gpuModels[String(r.gpu_model)] ?? 0) + Number(r.gpus);
      }
      out.set(name, load);
    }
    return out;
  }

  async usage(tenant: string, grp: string): Promise<Usage> {
    const ahead = this.usageAhead;
    if (ahead && ahead.tenant === tenant && ahead.grp === grp) return ahead.usage;
    const [r] = await this.all(`SELECT ${USAGE_SUMS} FROM objects WHERE tenant = ? AND grp = ?`, [tenant, grp]);
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
    }
    return this.inventoryGen;
  }

  async auditSince(seq: number, limit = 100_000): Promise<AuditEvent[]> {
    return (await this.all("SELECT seq, at, op, kind, key, tenant, grp, delta, op_id FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit])).map(rowToAudit);
  }

  async lastAuditSeq(): Promise<number> {
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

/** The charge columns summed: a tenant's usage in a group. */
const USAGE_SUMS = `COALESCE(SUM(c_cpu), 0) AS cpu, COALESCE(SUM(c_memory), 0) AS memory, COALESCE(SUM(c_storage), 0) AS storage,
  COALESCE(SUM(c_gpus), 0) AS gpus, COALESCE(SUM(c_vms), 0) AS vms, COALESCE(SUM(c_vclusters), 0) AS vclusters, COALESCE(SUM(c_pools), 0) AS pools`;

/** The record columns of `objects o`. */
const O_COLUMNS = RECORD_COLUMNS.split(", ")
  .map((c) => `o.${c}`)
  .join(", ");

function usageOf(r: Row): Usage {
  return {
    resources: { cpu: Number(r.cpu), memory: Number(r.memory), storage: Number(r.storage), gpus: Number(r.gpus) },
    virtualMachines: Number(r.vms),
    vclusters: Number(r.vclusters),
    blockPools: Number(r.pools),
  };
}

function conflict(r: LedgerRecord): OtterscaleError {
  return new OtterscaleError(
    "conflict",
    `${r.kind} ${r.key} was changed concurrently (expected generation ${r.generation - 1}); retry the operation`,
  );
}
