/**
 * Settles rows left non-active by a crashed or timed-out operation. A row is stale when its lease
 * expired, or when its owner ran on this host and the process is gone. For each:
 *  - pending: adopt if the controller has the object, else release;
 *  - updating: keep the new spec if the controller already shows it, else roll back;
 *  - deleting: finish the removal if the object is gone, else back to active.
 */
import type { Controllers } from "../controllers/types";
import type { Ledger, LedgerRecord } from "../ledger/records";
import type { ResourceKind } from "../schema/catalog";
import { allocationServers, canonical, deltaOf, ownerAlive } from "./records";
import { addUsage } from "../quota/quota";
import { settleUpdate } from "./update-hold";

export interface ReconcileDecision {
  readonly kind: ResourceKind;
  readonly key: string;
  readonly state: string;
  readonly action: "adopt" | "release" | "keep-update" | "rollback" | "finish-delete" | "restore";
  readonly reason: string;
}

/** Non-active and abandoned: lease expired, or its owner was on this host and is gone. */
export function isStale(r: LedgerRecord, now = Date.now()): boolean {
  return r.state !== "active" && ((r.leaseExpires ?? 0) < now || !ownerAlive(r.opId));
}

export async function reconcile(
  ledger: Ledger,
  controllers: Controllers,
  scope?: { kind: ResourceKind; key: string },
  apply = true,
): Promise<ReconcileDecision[]> {
  const now = Date.now();
  const candidates = await ledger.read(async (tx) => {
    if (scope) {
      const r = await tx.get(scope.kind, scope.key);
      return r ? [r] : [];
    }
    return tx.list({ states: ["pending", "updating", "deleting"] });
  });
  const decisions: ReconcileDecision[] = [];
  for (const r of candidates.filter((c) => isStale(c, now))) {
    const observed = await controllers.forKind(r.kind).get(r.key);
    const decision = decide(r, observed !== undefined, observed ? sameSpec(r, observed.fields) : false);
    decisions.push(decision);
    if (apply) await settle(ledger, r, decision, observed?.status);
  }
  return decisions;
}

function sameSpec(r: LedgerRecord, fields: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(fields).every(([k, v]) => v === undefined || canonical(v) === canonical(r.spec[k]));
}

function decide(r: LedgerRecord, exists: boolean, matches: boolean): ReconcileDecision {
  const base = { kind: r.kind, key: r.key, state: r.state };
  switch (r.state) {
    case "pending":
      return exists
        ? { ...base, action: "adopt", reason: "the controller has the object: the create went through" }
        : { ...base, action: "release", reason: "the controller has no such object: the create never happened" };
    case "updating":
      return exists && matches
        ? { ...base, action: "keep-update", reason: "the controller shows the new spec" }
        : { ...base, action: "rollback", reason: exists ? "the controller still shows the old spec" : "the controller has no such object" };
    default:
      return exists
        ? { ...base, action: "restore", reason: "the controller still has the object: the delete did not happen" }
        : { ...base, action: "finish-delete", reason: "the controller no longer has the object" };
  }
}

async function settle(ledger: Ledger, r: LedgerRecord, d: ReconcileDecision, status?: string): Promise<void> {
  await ledger.transaction(async (tx) => {
    const cur = await tx.get(r.kind, r.key);
    if (!cur || cur.generation !== r.generation) return; // someone else settled it
    const audit = (op: string, delta: Record<string, unknown>) =>
      tx.appendAudit({ at: Date.now(), op: `reconcile-${op}`, kind: cur.kind, key: cur.key, tenant: cur.tenant, grp: cur.grp, delta: { ...delta, reason: d.reason }, opId: cur.opId });
    const activate = (rec: LedgerRecord) =>
      tx.put({ ...rec, state: "active", opId: null, leaseExpires: null, prev: null, computed: { ...rec.computed, ...(status ? { status } : {}) }, generation: cur.generation + 1, updatedAt: Date.now() });
    switch (d.action) {
      case "adopt":
      case "restore":
        await activate(cur);
        await audit(d.action, {});
        return;
      case "keep-update":
      case "rollback": {
        // Settle the held max of old and new down to one side (see update-hold.ts).
        const settled = settleUpdate(cur, d.action === "keep-update" ? "commit" : "rollback");
        if (!settled) {
          await activate(cur);
          await audit(d.action, {});
          return;
        }
        await activate(settled.record);
        await tx.setAllocations(cur.kind, cur.key, settled.allocations);
        const committed = cur.prev?.next?.charge ?? cur.charge;
        await audit(d.action, d.action === "rollback" ? deltaOf(addUsage(settled.record.charge, committed, -1), 1) : {});
        return;
      }
      case "release":
      case "finish-delete": {
        const allocations = await tx.allocations({ consumer: { kind: cur.kind, key: cur.key } });
        await tx.remove(cur.kind, cur.key);
        await audit(d.action, deltaOf(cur.charge, -1, { servers: allocationServers(allocations) }));
        return;
      }
    }
  });
}
