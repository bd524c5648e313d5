/**
 * LedgerTx over any SQL driver that runs `?`-placeholder statements inside an open transaction.
 * Backends differ only in how they connect, lock and begin/commit. The rule "every mutation is
 * audited" is enforced here, once, for both backends (`auditedTransaction`).
 */
import { isInventoryKind } from "../kinds";
import { OtterscaleError } from "../domain/errors";
import type { ResourceKind } from "../catalog/catalog";
import type { Usage } from "../domain/quota";
import type { Allocation, AllocationFilter, AuditEvent, LedgerRecord, LedgerTx, RecordFilter, ServerLoad, TxOptions } from "./records";
import { INSERT_ALLOCATION, RECORD_COLUMNS, allocationToParams, placeholders, recordToParams, rowToAllocation, rowToAudit, rowToRecord, type Row } from "./sql";

export interface SqlDriver {
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

/** A backend's raw write transaction (the write lock, no audit rule): `ledger migrate` copies rows through it. */
export interface RawWriter {
  sqlTransaction<T>(fn: (db: SqlDriver) => Promise<T>, opts?: TxOptions): Promise<T>;
}

/** Server lists longer than this are filtered in memory rather than bound as SQL parameters. */
export const MAX_LISTED_SERVERS = 10_000;

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

  constructor(private readonly db: SqlDriver) {}

  /** Rows this transaction changed if it appended no audit event; 0 when it is audited (or changed nothing). */
  unauditedChanges(): number {
    return this.audits === 0 ? this.mutations : 0;
  }

  async get(kind: ResourceKind, key: string): Promise<LedgerRecord | undefined> {
    const rows = await this.db.all(`SELECT ${RECORD_COLUMNS} FROM objects WHERE kind = ? AND key = ?`, [kind, key]);
    return rows[0] ? rowToRecord(rows[0]) : undefined;
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
    return (await this.db.all(sql, params)).map(rowToRecord);
  }

  async put(record: LedgerRecord): Promise<void> {
    const params = recordToParams(record);
    if (record.generation === 1) {
      // One statement (not a look-up, then an insert): it runs inside the ledger's write lock.
      const res = await this.db.run(`INSERT INTO objects (${RECORD_COLUMNS}) VALUES ${placeholders(params.length)} ON CONFLICT (kind, key) DO NOTHING`, params);
      if (res.changes !== 1) throw conflict(record);
      this.inserted.add(objectId(record.kind, record.key));
      this.mutations++;
    } else {
      const sets = RECORD_COLUMNS.split(", ")
        .slice(2)
        .map((c) => `${c} = ?`)
        .join(", ");
      const res = await this.db.run(`UPDATE objects SET ${sets} WHERE kind = ? AND key = ? AND generation = ?`, [
        ...params.slice(2),
        record.kind,
        record.key,
        record.generation - 1,
      ]);
      if (res.changes !== 1) throw conflict(record);
      this.mutations++;
    }
    if (isInventoryKind(record.kind)) await this.bumpInventory();
  }

  async remove(kind: ResourceKind, key: string): Promise<void> {
    this.inserted.delete(objectId(kind, key));
    this.mutations += (await this.db.run("DELETE FROM allocations WHERE kind = ? AND key = ?", [kind, key])).changes;
    this.mutations += (await this.db.run("DELETE FROM objects WHERE kind = ? AND key = ?", [kind, key])).changes;
    if (isInventoryKind(kind)) await this.bumpInventory();
  }

  async setAllocations(kind: ResourceKind, key: string, allocations: readonly Allocation[]): Promise<void> {
    // An object this transaction just inserted has no allocations yet (only its first set skips the DELETE).
    if (!this.inserted.delete(objectId(kind, key))) this.mutations += (await this.db.run("DELETE FROM allocations WHERE kind = ? AND key = ?", [kind, key])).changes;
    for (const a of allocations) this.mutations += (await this.db.run(INSERT_ALLOCATION, allocationToParams({ ...a, kind, key }))).changes;
  }

  async renewLease(kind: ResourceKind, key: string, opId: string, until: number): Promise<boolean> {
    // Only the owner may extend, and the generation stays: it is the fence token other runs compare.
    // An expired lease is not revived: another run may already be settling the row.
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
    return (await this.db.all(sql, params)).map(rowToAllocation);
  }

  async serverLoad(servers?: readonly string[]): Promise<Map<string, ServerLoad>> {
    const out = new Map<string, ServerLoad>();
    if (servers && !servers.length) return out;
    // A long list is not bound as parameters (SQLite takes at most 32,766 per statement, and a
    // group of 100,000 servers would exceed it): every server's load is read and the rest dropped.
    const listed = servers !== undefined && servers.length <= MAX_LISTED_SERVERS;
    const wanted = servers !== undefined && !listed ? new Set(servers) : undefined;
    const rows = await this.db.all(
      `SELECT server, gpu_model, SUM(cpu) AS cpu, SUM(memory) AS memory, SUM(storage) AS storage, SUM(gpus) AS gpus
         FROM allocations${listed ? ` WHERE server IN ${inList(servers)}` : ""} GROUP BY server, gpu_model`,
      listed ? servers : [],
    );
    for (const r of rows) {
      const name = String(r.server);
      if (wanted && !wanted.has(name)) continue;
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
    const [r] = await this.db.all(
      `SELECT COALESCE(SUM(c_cpu), 0) AS cpu, COALESCE(SUM(c_memory), 0) AS memory, COALESCE(SUM(c_storage), 0) AS storage,
              COALESCE(SUM(c_gpus), 0) AS gpus, COALESCE(SUM(c_vms), 0) AS vms, COALESCE(SUM(c_vclusters), 0) AS vclusters,
              COALESCE(SUM(c_pools), 0) AS pools
         FROM objects WHERE tenant = ? AND grp = ?`,
      [tenant, grp],
    );
    return {
      resources: { cpu: Number(r.cpu), memory: Number(r.memory), storage: Number(r.storage), gpus: Number(r.gpus) },
      virtualMachines: Number(r.vms),
      vclusters: Number(r.vclusters),
      blockPools: Number(r.pools),
    };
  }

  async appendAudit(e: AuditEvent): Promise<void> {
    await this.db.run("INSERT INTO audit (at, op, kind, key, tenant, grp, delta, op_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
      e.at,
      e.op,
      e.kind,
      e.key,
      e.tenant,
      e.grp,
      JSON.stringify(e.delta),
      e.opId,
    ]);
    this.audits++;
  }

  async inventoryGeneration(): Promise<number> {
    const rows = await this.db.all("SELECT v FROM meta WHERE k = 'inventory_generation'");
    return Number(rows[0]?.v ?? 0);
  }

  async auditSince(seq: number, limit = 100_000): Promise<AuditEvent[]> {
    return (await this.db.all("SELECT seq, at, op, kind, key, tenant, grp, delta, op_id FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit])).map(rowToAudit);
  }

  async lastAuditSeq(): Promise<number> {
    const rows = await this.db.all("SELECT COALESCE(MAX(seq), 0) AS s FROM audit");
    return Number(rows[0]?.s ?? 0);
  }

  private async bumpInventory(): Promise<void> {
    // Stored as text so the statement is identical on both backends.
    const g = await this.inventoryGeneration();
    await this.db.run("UPDATE meta SET v = ? WHERE k = 'inventory_generation'", [String(g + 1)]);
  }
}

function conflict(r: LedgerRecord): OtterscaleError {
  return new OtterscaleError(
    "conflict",
    `${r.kind} ${r.key} was changed concurrently (expected generation ${r.generation - 1}); retry the operation`,
  );
}
