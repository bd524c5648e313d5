/**
 * The engine's read-only questions for operators and reviews: inventory, quota usage,
 * allocations, the audit trail and a plan's before/after. Front ends ask here instead of reading
 * the ledger themselves, so the ledger stays behind the engine's door. Nothing here writes.
 */
import type { PlannedChange, PlanResult } from "./contract";
import type { AuditEvent, Ledger, LedgerTx } from "../ledger/records";
import type { ResourceKind } from "../catalog/catalog";
import {
  allocationViews,
  groupViews,
  quotaViews,
  serverViews,
  type AllocationFilter,
  type AllocationView,
  type GroupView,
  type QuotaFilter,
  type QuotaView,
  type ServerView,
} from "./views";

/** Servers, groups and quotas in user units: the ledger before a change, or after it in a plan. */
export interface Snapshot {
  readonly servers: ServerView[];
  readonly groups: GroupView[];
  readonly quotas: QuotaView[];
}

export interface AuditFilter {
  /** Epoch ms: only events at or after it. */
  readonly since?: number;
  readonly tenant?: string;
}

const snapshotOf = async (tx: LedgerTx): Promise<Snapshot> => ({ servers: await serverViews(tx), groups: await groupViews(tx), quotas: await quotaViews(tx) });

/** Audit events are paged by sequence number; a page this size keeps memory flat. */
const AUDIT_PAGE = 10_000;

export class Queries {
  constructor(
    private readonly ledger: Ledger,
    private readonly planThenRead: <T>(changes: readonly PlannedChange[], read: (tx: LedgerTx) => Promise<T>) => Promise<{ result: PlanResult; after: T }>,
  ) {}

  inventory(): Promise<{ servers: ServerView[]; groups: GroupView[] }> {
    return this.ledger.read(async (tx) => ({ servers: await serverViews(tx), groups: await groupViews(tx) }));
  }

  quotas(f: QuotaFilter = {}): Promise<QuotaView[]> {
    return this.ledger.read((tx) => quotaViews(tx, f));
  }

  allocations(f: AllocationFilter = {}): Promise<AllocationView[]> {
    return this.ledger.read((tx) => allocationViews(tx, f));
  }

  /** Every event matching `f`, oldest first. */
  async audit(f: AuditFilter = {}): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    for (let seq = 0; ; ) {
      const page = await this.ledger.audit(seq, AUDIT_PAGE);
      for (const e of page) if ((f.since === undefined || e.at >= f.since) && (f.tenant === undefined || e.tenant === f.tenant)) out.push(e);
      if (page.length < AUDIT_PAGE) return out;
      seq = page[page.length - 1].seq!;
    }
  }

  /** The inputs the ledger records for an object (secrets as digests), or undefined. */
  async recordedSpec(kind: ResourceKind, key: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    return (await this.ledger.read((tx) => tx.get(kind, key)))?.spec;
  }

  /** The ledger now, the plan of `changes`, and the ledger as the plan leaves it (nothing is written). */
  async impact(changes: readonly PlannedChange[]): Promise<{ before: Snapshot; result: PlanResult; after: Snapshot }> {
    const before = await this.ledger.read(snapshotOf);
    const { result, after } = await this.planThenRead(changes, snapshotOf);
    return { before, result, after };
  }
}

export type { AuditEvent };
