/**
 * The transitions that end a held row's in-flight state, each in the caller's transaction and
 * each appending its audit event: commit (to the new spec), rollback (to the old one), release
 * or remove (the row and its allocations go), restore (a delete that did not happen). The engine
 * calls them under its fence (fence.ts); reconcile calls them on a stale row whose generation it
 * read, which is the same check.
 */
import type { ObservedObject } from "../controllers/types";
import type { LedgerRecord, LedgerTx } from "../ledger/records";
import { addUsage } from "../domain/quota";
import { allocationServers, deltaOf } from "./records";
import { settleUpdate } from "./update-hold";

export type Outcome = "commit" | "rollback" | "release" | "restore";

export interface SettleOptions {
  /** Audit op; defaults to the outcome's name. */
  readonly op?: string;
  readonly observed?: Pick<ObservedObject, "status" | "endpoint">;
  /** Why, for the audit trail (a reconcile decision, an error code). */
  readonly reason?: string;
  readonly now?: number;
}

/** Applies `outcome` to `cur` (already checked to be the caller's to settle). Returns the row left, if any. */
export async function settleRow(tx: LedgerTx, cur: LedgerRecord, outcome: Outcome, o: SettleOptions = {}): Promise<LedgerRecord | undefined> {
  const now = o.now ?? Date.now();
  const audit = (delta: Record<string, unknown>) =>
    tx.appendAudit({ at: now, op: o.op ?? outcome, kind: cur.kind, key: cur.key, tenant: cur.tenant, grp: cur.grp, delta: { ...delta, ...(o.reason ? { reason: o.reason } : {}) }, opId: cur.opId });
  const observedComputed = o.observed ? { status: o.observed.status, ...(o.observed.endpoint ? { endpoint: o.observed.endpoint } : {}) } : {};
  const activate = async (rec: LedgerRecord): Promise<LedgerRecord> => {
    const next: LedgerRecord = {
      ...rec,
      state: "active",
      opId: null,
      leaseExpires: null,
      prev: null,
      computed: { ...rec.computed, ...observedComputed },
      generation: cur.generation + 1,
      updatedAt: now,
    };
    await tx.put(next);
    return next;
  };
  switch (outcome) {
    case "commit": {
      // An update settles from the held max of old and new down to the new charge and allocations.
      const update = cur.state === "updating" ? settleUpdate(cur, "commit") : undefined;
      if (update) await tx.setAllocations(cur.kind, cur.key, update.allocations);
      const next = await activate(update?.record ?? cur);
      await audit(o.observed ? { status: o.observed.status } : {});
      return next;
    }
    case "rollback": {
      const settled = settleUpdate(cur, "rollback");
      if (!settled) {
        const next = await activate(cur);
        await audit({});
        return next;
      }
      await tx.setAllocations(cur.kind, cur.key, settled.allocations);
      const next = await activate(settled.record);
      const committed = cur.prev?.next?.charge ?? cur.charge;
      await audit(deltaOf(addUsage(settled.record.charge, committed, -1), 1));
      return next;
    }
    case "restore": {
      const next = await activate(cur);
      await audit({});
      return next;
    }
    case "release": {
      const allocations = await tx.allocations({ consumer: { kind: cur.kind, key: cur.key } });
      await tx.remove(cur.kind, cur.key);
      await audit(deltaOf(cur.charge, -1, { servers: allocationServers(allocations) }));
      return undefined;
    }
  }
}
