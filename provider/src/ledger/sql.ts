/**
 * SQL shared by the ledger backends: the versioned migrations and row <-> record mapping. Written
 * in the common subset of SQLite and PostgreSQL (placeholders are `?`, rewritten by the PG backend).
 */
import type { Allocation, AuditEvent, LedgerRecord } from "./records";
import type { ResourceKind } from "../schema/catalog";

/** Ordered migrations; index + 1 = schema version. Never edit a released one: append. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE objects (
     kind TEXT NOT NULL,
     key TEXT NOT NULL,
     tenant TEXT,
     grp TEXT,
     spec TEXT NOT NULL,
     secrets TEXT NOT NULL,
     computed TEXT NOT NULL,
     state TEXT NOT NULL,
     c_cpu BIGINT NOT NULL DEFAULT 0,
     c_memory BIGINT NOT NULL DEFAULT 0,
     c_storage BIGINT NOT NULL DEFAULT 0,
     c_gpus BIGINT NOT NULL DEFAULT 0,
     c_vms INTEGER NOT NULL DEFAULT 0,
     c_vclusters INTEGER NOT NULL DEFAULT 0,
     c_pools INTEGER NOT NULL DEFAULT 0,
     anti_group TEXT,
     op_id TEXT,
     lease_expires BIGINT,
     prev TEXT,
     generation INTEGER NOT NULL,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     PRIMARY KEY (kind, key)
   );
   CREATE INDEX objects_tenant_grp ON objects (tenant, grp);
   CREATE INDEX objects_state ON objects (state);
   CREATE TABLE allocations (
     kind TEXT NOT NULL,
     key TEXT NOT NULL,
     replica INTEGER NOT NULL,
     server TEXT NOT NULL,
     cpu BIGINT NOT NULL,
     memory BIGINT NOT NULL,
     storage BIGINT NOT NULL,
     gpus BIGINT NOT NULL,
     gpu_model TEXT,
     PRIMARY KEY (kind, key, replica)
   );
   CREATE INDEX allocations_server ON allocations (server);
   CREATE TABLE audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at BIGINT NOT NULL,
     op TEXT NOT NULL,
     kind TEXT NOT NULL,
     key TEXT NOT NULL,
     tenant TEXT,
     grp TEXT,
     delta TEXT NOT NULL,
     op_id TEXT
   );
   CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
   INSERT INTO meta (k, v) VALUES ('inventory_generation', '0');`,
];

export const RECORD_COLUMNS =
  "kind, key, tenant, grp, spec, secrets, computed, state, c_cpu, c_memory, c_storage, c_gpus, c_vms, c_vclusters, c_pools, anti_group, op_id, lease_expires, prev, generation, created_at, updated_at";

export type Row = Record<string, unknown>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function recordToParams(r: LedgerRecord): unknown[] {
  return [
    r.kind,
    r.key,
    r.tenant,
    r.grp,
    JSON.stringify(r.spec),
    JSON.stringify(r.secrets),
    JSON.stringify(r.computed),
    r.state,
    r.charge.resources.cpu,
    r.charge.resources.memory,
    r.charge.resources.storage,
    r.charge.resources.gpus,
    r.charge.virtualMachines,
    r.charge.vclusters,
    r.charge.blockPools,
    r.antiGroup,
    r.opId,
    r.leaseExpires,
    r.prev ? JSON.stringify(r.prev) : null,
    r.generation,
    r.createdAt,
    r.updatedAt,
  ];
}

export function rowToRecord(row: Row): LedgerRecord {
  return {
    kind: row.kind as ResourceKind,
    key: String(row.key),
    tenant: strOrNull(row.tenant),
    grp: strOrNull(row.grp),
    spec: JSON.parse(String(row.spec)),
    secrets: JSON.parse(String(row.secrets)),
    computed: JSON.parse(String(row.computed)),
    state: row.state as LedgerRecord["state"],
    charge: {
      resources: { cpu: num(row.c_cpu), memory: num(row.c_memory), storage: num(row.c_storage), gpus: num(row.c_gpus) },
      virtualMachines: num(row.c_vms),
      vclusters: num(row.c_vclusters),
      blockPools: num(row.c_pools),
    },
    antiGroup: strOrNull(row.anti_group),
    opId: strOrNull(row.op_id),
    leaseExpires: numOrNull(row.lease_expires),
    prev: row.prev ? (JSON.parse(String(row.prev)) as LedgerRecord) : null,
    generation: num(row.generation),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function rowToAllocation(row: Row): Allocation {
  return {
    kind: row.kind as ResourceKind,
    key: String(row.key),
    replica: num(row.replica),
    server: String(row.server),
    resources: { cpu: num(row.cpu), memory: num(row.memory), storage: num(row.storage), gpus: num(row.gpus) },
    gpuModel: strOrNull(row.gpu_model),
  };
}

export function rowToAudit(row: Row): AuditEvent {
  return {
    seq: num(row.seq),
    at: num(row.at),
    op: String(row.op),
    kind: row.kind as ResourceKind,
    key: String(row.key),
    tenant: strOrNull(row.tenant),
    grp: strOrNull(row.grp),
    delta: JSON.parse(String(row.delta)),
    opId: strOrNull(row.op_id),
  };
}

/** `(?, ?, ?)` for n values. */
export const placeholders = (n: number): string => `(${Array.from({ length: n }, () => "?").join(", ")})`;
