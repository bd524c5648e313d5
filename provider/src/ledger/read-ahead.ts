/**
 * Reads a transaction is about to make, fetched in one statement where round trips cost
 * (PostgreSQL: `LedgerTx.prefetch`), then served from here until the transaction's own writes
 * change them. Sound because nothing else changes what a ledger transaction reads: writers hold
 * the ledger's write lock, readers read a snapshot. A read the prefetch did not cover goes to the
 * database as usual.
 */
import type { ResourceKind } from "../catalog/catalog";
import type { Usage } from "../domain/quota";
import type { LedgerRecord, Prefetch, ServerLoad } from "./records";
import { LOADS, USAGE_OF } from "./totals";
import { MAX_LISTED_SERVERS, RECORD_COLUMNS, placeholders, rowToRecord, type Row } from "./sql";

export function usageOf(r: Row): Usage {
  return {
    resources: { cpu: Number(r.cpu), memory: Number(r.memory), storage: Number(r.storage), gpus: Number(r.gpus) },
    virtualMachines: Number(r.vms),
    vclusters: Number(r.vclusters),
    blockPools: Number(r.pools),
  };
}

/** Rows of LOADS (totals.ts), one per server and GPU model, as each server's load. */
export function loadsOf(rows: readonly Row[]): Map<string, ServerLoad> {
  const out = new Map<string, ServerLoad>();
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

const objectId = (kind: ResourceKind, key: string) => `${kind}\u0000${key}`;

/**
 * One statement (PostgreSQL: JSON aggregates) returning the inventory generation and what
 * `p` asks for, in the columns `ReadAhead.fill` reads.
 */
export function prefetchSql(p: Prefetch): { sql: string; params: unknown[] } {
  const cols = ["(SELECT v FROM meta WHERE k = 'inventory_generation') AS inventory_generation"];
  const params: unknown[] = [];
  const rows = p.rows ?? [];
  if (rows.length) {
    cols.push(`(SELECT COALESCE(json_agg(o), '[]') FROM (SELECT ${RECORD_COLUMNS} FROM objects WHERE ${rows.map(() => "(kind = ? AND key = ?)").join(" OR ")}) o) AS rows`);
    params.push(...rows.flat());
  }
  if (p.usage) {
    cols.push(`(SELECT row_to_json(u) FROM (${USAGE_OF}) u) AS usage`);
    params.push(p.usage.tenant, p.usage.grp);
  }
  if (loadsAhead(p)) {
    cols.push(`(SELECT COALESCE(json_agg(l), '[]') FROM (${LOADS} AND server IN ${placeholders(p.servers.length)}) l) AS loads`);
    params.push(...p.servers);
  }
  return { sql: `SELECT ${cols.join(", ")}`, params };
}

/** A group too large to bind as parameters is left to serverLoad, which filters in memory. */
function loadsAhead(p: Prefetch): p is Prefetch & { servers: readonly string[] } {
  return !!p.servers?.length && p.servers.length <= MAX_LISTED_SERVERS;
}

export class ReadAhead {
  private readonly rows = new Map<string, LedgerRecord | undefined>();
  private usageAt?: { readonly tenant: string; readonly grp: string; readonly usage: Usage };
  private loads?: { readonly servers: ReadonlySet<string>; readonly load: ReadonlyMap<string, ServerLoad> };

  /** Takes the answer to `prefetchSql(p)`; returns the inventory generation. */
  fill(row: Row, p: Prefetch): number {
    for (const [kind, key] of p.rows ?? []) this.rows.set(objectId(kind, key), undefined);
    for (const r of (row.rows as Row[] | undefined) ?? []) {
      const rec = rowToRecord(r);
      this.rows.set(objectId(rec.kind, rec.key), rec);
    }
    if (p.usage && row.usage) this.usageAt = { ...p.usage, usage: usageOf(row.usage as Row) };
    if (loadsAhead(p)) this.loads = { servers: new Set(p.servers), load: loadsOf((row.loads as Row[] | undefined) ?? []) };
    return Number(row.inventory_generation ?? 0);
  }

  /** The prefetched row (undefined inside: no such row), or `miss`. */
  record(kind: ResourceKind, key: string): LedgerRecord | undefined | "miss" {
    const id = objectId(kind, key);
    return this.rows.has(id) ? this.rows.get(id) : "miss";
  }

  usage(tenant: string, grp: string): Usage | undefined {
    const u = this.usageAt;
    return u && u.tenant === tenant && u.grp === grp ? u.usage : undefined;
  }

  /** The load of `servers` when all were prefetched (a fresh map: callers adjust it). */
  serverLoad(servers: readonly string[] | undefined): Map<string, ServerLoad> | undefined {
    const l = this.loads;
    if (!l || !servers || !servers.every((s) => l.servers.has(s))) return undefined;
    const out = new Map<string, ServerLoad>();
    for (const s of servers) {
      const v = l.load.get(s);
      if (v) out.set(s, { allocated: { ...v.allocated }, gpuModels: { ...v.gpuModels } });
    }
    return out;
  }

  /** This transaction wrote objects: rows and usage may have changed. */
  objectsWritten(): void {
    this.rows.clear();
    this.usageAt = undefined;
  }

  /** This transaction wrote allocations: loads may have changed. */
  allocationsWritten(): void {
    this.loads = undefined;
  }
}
