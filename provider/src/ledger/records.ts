/**
 * What the ledger stores. One row per object of any kind (servers, groups, quotas, workloads),
 * server consumption rows per workload replica, and an append-only audit trail.
 */
import type { ResourceKind } from "../catalog/catalog";
import type { Resources } from "../domain/resources";
import type { Usage } from "../domain/quota";

/**
 * Lifecycle of a row. `pending` = reserved, controller not yet confirmed; `updating` = new spec
 * reserved, `prev` holds the row to roll back to; `deleting` = controller delete in flight.
 * Everything but `active` carries an owner (`opId`) and a lease.
 */
export type RecordState = "pending" | "active" | "updating" | "deleting";

export interface LedgerRecord {
  readonly kind: ResourceKind;
  /** `name`, `tenant/name` or `tenant/group`. */
  readonly key: string;
  readonly tenant: string | null;
  readonly grp: string | null;
  /** Validated inputs with defaults, sensitive values removed. */
  readonly spec: Record<string, unknown>;
  /** sha256 of each sensitive input (dotted path -> hex), so changes are detectable without storing secrets. */
  readonly secrets: Record<string, string>;
  /** Computed values committed from placement and the controller (servers, status, endpoint...). */
  readonly computed: Record<string, unknown>;
  readonly state: RecordState;
  /** What this object charges its tenant's quota (zero for servers, groups, quotas). */
  readonly charge: Usage;
  /** `placement.anti_affinity_group` of a VM, indexed for peer look-ups. */
  readonly antiGroup: string | null;
  readonly opId: string | null;
  readonly leaseExpires: number | null;
  /** While `updating`: the record and allocations to roll back to, and what a commit settles to. */
  readonly prev: (LedgerRecord & { readonly allocations?: readonly Allocation[]; readonly next?: PendingUpdate }) | null;
  readonly generation: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /**
   * Who declared the object: a Terraform workspace or a Pulumi stack (see engine/ownership.ts).
   * A create by anyone else is not a retry; null = declared before owners were recorded.
   */
  readonly owner?: string | null;
}

/** The charge and allocations an update commits to (the row holds the max of old and new meanwhile). */
export interface PendingUpdate {
  readonly charge: Usage;
  readonly allocations: readonly Allocation[];
}

/** Consumption of one replica/chunk of a workload on one server (thousandths). */
export interface Allocation {
  readonly kind: ResourceKind;
  readonly key: string;
  readonly replica: number;
  readonly server: string;
  readonly resources: Resources;
  /** GPU model the GPUs were taken from (null when no GPUs). */
  readonly gpuModel: string | null;
}

/** Aggregated consumption of one server. */
export interface ServerLoad {
  readonly allocated: Resources;
  /** Allocated GPUs per model (thousandths). */
  readonly gpuModels: Record<string, number>;
}

export interface AuditEvent {
  readonly seq?: number;
  readonly at: number;
  /** reserve, commit, release, update, rollback, delete, adopt, drift-release... */
  readonly op: string;
  readonly kind: ResourceKind;
  readonly key: string;
  readonly tenant: string | null;
  readonly grp: string | null;
  /** The change in user units, e.g. `{cpu_cores: 4, memory_gib: 8, virtual_machines: 1, servers: ["s1"]}`. */
  readonly delta: Record<string, unknown>;
  readonly opId: string | null;
}

export interface RecordFilter {
  readonly kinds?: readonly ResourceKind[];
  readonly tenant?: string;
  readonly grp?: string;
  readonly states?: readonly RecordState[];
  /** Only rows whose lease has expired before this time. */
  readonly leaseBefore?: number;
}

export interface AllocationFilter {
  readonly servers?: readonly string[];
  /** Allocations of workloads of this tenant in this group sharing this anti-affinity group. */
  readonly antiAffinity?: { readonly tenant: string; readonly grp: string; readonly group: string };
  readonly consumer?: { readonly kind: ResourceKind; readonly key: string };
}

/** Operations inside one ledger transaction. Async so that network backends fit the same shape. */
export interface LedgerTx {
  get(kind: ResourceKind, key: string): Promise<LedgerRecord | undefined>;
  list(filter?: RecordFilter): Promise<LedgerRecord[]>;
  /** Insert or replace; the generation must be the stored one + 1 (optimistic check). */
  put(record: LedgerRecord): Promise<void>;
  /** Removes the row and its allocations. */
  remove(kind: ResourceKind, key: string): Promise<void>;
  setAllocations(kind: ResourceKind, key: string, allocations: readonly Allocation[]): Promise<void>;
  allocations(filter?: AllocationFilter): Promise<Allocation[]>;
  /** Aggregated load per server (all servers when `servers` is undefined). */
  serverLoad(servers?: readonly string[]): Promise<Map<string, ServerLoad>>;
  /** Sum of charges of the tenant's workloads in the group (every state but none). */
  usage(tenant: string, grp: string): Promise<Usage>;
  /**
   * Extends the lease of the row only while `opId` owns it. Does NOT change `generation` (the
   * fence token). True when the row was updated. Counts as a mutation (audit it in the same
   * transaction).
   */
  renewLease(kind: ResourceKind, key: string, opId: string, until: number): Promise<boolean>;
  appendAudit(event: AuditEvent): Promise<void>;
  /**
   * Optional. The row `expected` (held by an operation: its opId and generation are the fence)
   * without reading it, for a backend that checks the fence when it writes instead: a write of
   * the row then names both, and if the fence was lost the transaction fails with `FenceLost`
   * and commits nothing. A backend without it has the caller read the row (engine/fence.ts).
   */
  assumeHeld?(expected: LedgerRecord): Promise<LedgerRecord>;
  /**
   * Optional hint: reads this transaction is about to make, fetched together where round trips
   * cost (one statement on PostgreSQL) and served to the matching get/usage/serverLoad calls
   * until the transaction's own writes change them. Never changes what a read returns.
   */
  prefetch?(reads: Prefetch): Promise<void>;
  /**
   * Optional: the decision just made holds as long as these bounds do (see DecisionBounds). A
   * speculative transaction checks them under the lock instead of requiring the usage and loads
   * it read to be unchanged; other transactions ignore it.
   */
  dependsOn?(bounds: DecisionBounds): void;
  /** Optional (the SQL ledgers): where the kept usage and load totals differ from their rows' sums, a line each. */
  totalsDrift?(): Promise<string[]>;
  /** Bumped on every server or group write: lets callers cache the inventory. */
  inventoryGeneration(): Promise<number>;
  /** Sequence number of the newest audit event: every mutation appends one, so it versions the ledger. */
  lastAuditSeq(): Promise<number>;
  /** Audit events with seq > `seq`, oldest first. */
  auditSince(seq: number, limit?: number): Promise<AuditEvent[]>;
}

/** Reads `LedgerTx.prefetch` fetches together. */
export interface Prefetch {
  readonly rows?: readonly (readonly [ResourceKind, string])[];
  readonly usage?: { readonly tenant: string; readonly grp: string };
  readonly servers?: readonly string[];
}

export interface TxOptions {
  /** Absolute ms-since-epoch: wait for the write lock at most until then. */
  readonly deadline?: number;
  /**
   * A hint that `fn` is a reservation whose decision declares its bounds (`LedgerTx.dependsOn`):
   * a ledger whose lock costs round trips may first run it on reads taken without the lock, then
   * lock, re-check and write in one message (ledger/speculation.ts), and run it again (on fresh
   * reads, then under the lock) when a check fails. Either way the result is what a locked run
   * would have allowed.
   */
  readonly speculative?: boolean;
}

/**
 * What a decision's validity depends on, as bounds on the aggregates it read: the tenant's usage
 * in a group stays within `usage.atMost` (quotaHeadroom) and each chosen server's load within
 * its `atMost` (loadHeadroom; per GPU model for the model it draws from).
 */
export interface DecisionBounds {
  readonly usage: { readonly tenant: string; readonly grp: string; readonly atMost: Usage };
  readonly servers: readonly ServerBound[];
}

export interface ServerBound {
  readonly server: string;
  readonly atMost: Resources;
  readonly gpuModels: Readonly<Record<string, number>>;
}

export interface Ledger {
  /** The URL with its password hidden. */
  readonly url: string;
  /** Stable identity of this ledger: a random UUID created with the ledger, stored in its meta table. */
  readonly id: string;
  /**
   * Runs `fn` as one serialisable write transaction (all or nothing). Waiting for the write lock
   * never blocks the event loop; past `opts.deadline` (default 30 s) it fails with code `busy`.
   * A transaction that mutates rows must append an audit event, else it is rolled back.
   */
  transaction<T>(fn: (tx: LedgerTx) => Promise<T>, opts?: TxOptions): Promise<T>;
  /** Read-only view (a consistent snapshot); never waits for a writer. */
  read<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T>;
  audit(sinceSeq?: number, limit?: number): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/** A row assumed held (`LedgerTx.assumeHeld`) was not: another run settled or took it. Nothing was committed. */
export class FenceLost extends Error {
  constructor(readonly kind: ResourceKind, readonly key: string) {
    super(`${kind} ${key}: the reservation was settled by another run`);
  }
}
