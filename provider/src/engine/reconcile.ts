/**
 * Reconcile: the ledger and the backend compared, both ways.
 *
 * Stale rows (non-active, lease expired; see ownership.ts) are settled against the controller:
 *  - pending: adopt if the controller has the object, else release;
 *  - updating: commit if the controller runs the new spec, else roll back (desired.ts);
 *  - deleting: finish the removal if the object is gone, else back to active;
 *  - a tombstone (an interrupted orphan removal): dropped.
 * Backend findings (`reconcileBackend`): active workloads the backend lost (`missing`, released
 * with --apply), servers, groups and quotas it lost (`missing`, re-rendered with --apply) and
 * backend objects without a ledger row (`orphan`, removed with --apply).
 */
import type { Controllers, KindController, ObservedObject } from "../controllers/types";
import type { Ledger, LedgerRecord } from "../ledger/records";
import { RESOURCE_KINDS, WORKLOAD_KINDS, type ResourceKind } from "../catalog/catalog";
import { updateOutcome } from "./desired";
import { isStale } from "./ownership";
import { removeUnowned } from "./orphans";
import { isTombstone } from "./reserve";
import { settleRow, type Outcome } from "./settle";

export interface ReconcileDecision {
  readonly kind: ResourceKind;
  readonly key: string;
  readonly state: string;
  readonly action: "adopt" | "release" | "keep-update" | "rollback" | "finish-delete" | "restore";
  readonly reason: string;
}

const OUTCOME: Record<ReconcileDecision["action"], Outcome> = {
  adopt: "commit",
  release: "release",
  "keep-update": "commit",
  rollback: "rollback",
  "finish-delete": "release",
  restore: "restore",
};

export async function reconcileStale(
  ledger: Ledger,
  controllers: Controllers,
  scope?: { kind: ResourceKind; key: string },
  apply = true,
  deadline?: number,
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
    const observed = isTombstone(r) ? undefined : await controllers.forKind(r.kind).get(r.key, { deadline });
    const decision = isTombstone(r) ? { kind: r.kind, key: r.key, state: r.state, action: "release" as const, reason: "an interrupted removal of a backend orphan" } : decide(r, observed);
    decisions.push(decision);
    if (!apply) continue;
    await ledger.transaction(async (tx) => {
      const cur = await tx.get(r.kind, r.key);
      // Only the very row judged stale (its owner's op id and generation: a row re-created since
      // starts at generation 1 again, under another op id), and only while it still is stale.
      if (!cur || cur.opId !== r.opId || cur.generation !== r.generation || !isStale(cur)) return;
      await settleRow(tx, cur, OUTCOME[decision.action], { op: `reconcile-${decision.action}`, reason: decision.reason, ...(observed ? { observed } : {}) });
    }, { deadline });
  }
  return decisions;
}

function decide(r: LedgerRecord, observed: { fields: Readonly<Record<string, unknown>> } | undefined): ReconcileDecision {
  const base = { kind: r.kind, key: r.key, state: r.state };
  switch (r.state) {
    case "pending":
      return observed
        ? { ...base, action: "adopt", reason: "the controller has the object: the create went through" }
        : { ...base, action: "release", reason: "the controller has no such object: the create never happened" };
    case "updating":
      return updateOutcome(observed, r.spec, r.prev?.spec ?? r.spec) === "commit"
        ? { ...base, action: "keep-update", reason: "the controller runs the new spec" }
        : { ...base, action: "rollback", reason: observed ? "the controller runs the old spec" : "the controller has no such object" };
    default:
      return observed
        ? { ...base, action: "restore", reason: "the controller still has the object: the delete did not happen" }
        : { ...base, action: "finish-delete", reason: "the controller no longer has the object" };
  }
}

export interface BackendFinding {
  /**
   * `missing`: the ledger charges it, the backend lost it. `orphan`: the backend has it, the
   * ledger has no row. `drifted`: the backend holds something else than the engine rendered.
   */
  readonly finding: "missing" | "orphan" | "drifted";
  readonly kind: ResourceKind;
  readonly key: string;
  readonly tenant: string | null;
  readonly group: string | null;
  readonly servers: readonly string[];
  readonly action: "release" | "remove" | "re-apply";
  /** What drifted, one line per rendered value (`drifted` only). */
  readonly drift?: readonly string[];
  readonly reason: string;
  /** True when `apply` carried it out. */
  readonly applied: boolean;
}

const WORKLOADS: ReadonlySet<ResourceKind> = new Set(WORKLOAD_KINDS);

/**
 * Lists every kind on the backend BEFORE reading the ledger: rows are written before backend
 * objects, so an object seen without a row is either a real orphan or was deleted meanwhile
 * (whose removal is harmless). Removal is fenced, so a create that starts meanwhile is safe.
 */
export async function reconcileBackend(
  ledger: Ledger,
  controllers: Controllers,
  apply: boolean,
  leaseMs: number,
  reapply: (r: LedgerRecord) => Promise<void>,
  driftOf?: (r: LedgerRecord, observed: ObservedObject) => Promise<string[]>,
): Promise<BackendFinding[]> {
  const out: BackendFinding[] = [];
  if (controllers.observesBackend === false) return out; // reads answer from the ledger: nothing to compare
  for (const kind of RESOURCE_KINDS) {
    const controller = servedBy(controllers, kind);
    if (!controller) continue;
    // Rows are written before backend objects. "Missing" compares rows read BEFORE the listing
    // (a create committed meanwhile is not among them); "orphan" compares the listing with rows
    // read AFTER it (a create reserved meanwhile is among them).
    const rowsBefore = await ledger.read((tx) => tx.list({ kinds: [kind] }));
    const onBackend = new Set(await controller.list());
    const owned = controller.listOwned ? new Set(await controller.listOwned()) : new Set<string>();
    const rows = await ledger.read((tx) => tx.list({ kinds: [kind] }));
    const inLedger = new Set(rows.map((r) => r.key));
    for (const r of rowsBefore) {
      if (r.state !== "active" || onBackend.has(r.key) || isTombstone(r)) continue;
      if (!WORKLOADS.has(kind)) {
        out.push(await missingRecord(r, apply, reapply));
        continue;
      }
      const servers = (r.computed.servers as string[] | undefined) ?? [];
      // Asked again right before the release: the listing may be older than the object.
      const applied = apply && !(await controller.get(r.key)) && (await releaseMissing(ledger, r));
      out.push({
        finding: "missing",
        kind,
        key: r.key,
        tenant: r.tenant,
        group: r.grp,
        servers,
        action: "release",
        reason: `the backend has no such object (deleted outside otterscale); it still holds quota in group ${r.grp}${servers.length ? ` and capacity on ${servers.join(", ")}` : ""}`,
        applied,
      });
    }
    if (driftOf) {
      for (const r of rowsBefore) {
        if (r.state !== "active" || !onBackend.has(r.key) || isTombstone(r)) continue;
        const observed = await controller.get(r.key);
        const drift = observed ? await driftOf(r, observed) : [];
        if (drift.length) out.push(await driftedRecord(r, drift, apply, reapply));
      }
    }
    for (const key of [...owned].sort()) {
      if (inLedger.has(key)) continue;
      const applied = apply && (await removeUnowned(ledger, controllers, kind, key, leaseMs, "reconcile: backend object without a ledger row"));
      out.push({ finding: "orphan", kind, key, tenant: null, group: null, servers: [], action: "remove", reason: "the backend has this object, but the ledger has no row for it (nothing charges it)", applied });
    }
  }
  return out;
}

/** The kind's controller, or undefined when the adapter does not serve the kind (MAAS serves servers only). */
function servedBy(controllers: Controllers, kind: ResourceKind): KindController | undefined {
  try {
    return controllers.forKind(kind);
  } catch {
    return undefined;
  }
}

/**
 * A server, group or quota record the backend lost. Its row is not released (consumers still
 * depend on it, and a quota's limits must not vanish): it is re-rendered from the ledger, under
 * the same fence as any re-apply. One with sensitive inputs (a BMC password) cannot be: the
 * ledger keeps only their digests, so the front end's next apply re-renders it.
 */
async function missingRecord(r: LedgerRecord, apply: boolean, reapply: (r: LedgerRecord) => Promise<void>): Promise<BackendFinding> {
  const secret = Object.keys(r.secrets).length > 0;
  const base = { finding: "missing" as const, kind: r.kind, key: r.key, tenant: r.tenant, group: r.grp, servers: [], action: "re-apply" as const };
  if (secret) {
    return {
      ...base,
      reason: `the backend lost its record; it holds sensitive inputs (${Object.keys(r.secrets).join(", ")}) the ledger does not keep, so run terraform apply / pulumi up to re-render it`,
      applied: false,
    };
  }
  const applied = apply ? await reapply(r).then(() => true) : false;
  return { ...base, reason: "the backend lost its record; the ledger still has it (consumers depend on it): re-rendered from the ledger", applied };
}

/**
 * An object whose backend copy differs from what the engine renders from the ledger. The ledger
 * is the truth: --apply re-applies the rendered manifest (same spec, same servers); one with
 * sensitive inputs the ledger does not keep is left to the front end's next apply.
 */
async function driftedRecord(r: LedgerRecord, drift: readonly string[], apply: boolean, reapply: (r: LedgerRecord) => Promise<void>): Promise<BackendFinding> {
  const secret = Object.keys(r.secrets).length > 0;
  const base = { finding: "drifted" as const, kind: r.kind, key: r.key, tenant: r.tenant, group: r.grp, servers: (r.computed.servers as string[] | undefined) ?? [], action: "re-apply" as const, drift };
  const what = `changed on the backend: ${drift.join("; ")}`;
  if (secret) {
    return { ...base, reason: `${what}; it holds sensitive inputs (${Object.keys(r.secrets).join(", ")}) the ledger does not keep, so run terraform apply / pulumi up to re-apply it`, applied: false };
  }
  const applied = apply ? await reapply(r).then(() => true) : false;
  return { ...base, reason: `${what}; ${applied ? "re-applied" : "--apply re-applies"} the manifest rendered from the ledger`, applied };
}

/** Releases a missing workload's row, if nobody changed it since it was read. */
async function releaseMissing(ledger: Ledger, r: LedgerRecord): Promise<boolean> {
  return ledger.transaction(async (tx) => {
    const cur = await tx.get(r.kind, r.key);
    if (!cur || cur.state !== "active" || cur.generation !== r.generation || cur.createdAt !== r.createdAt) return false;
    await settleRow(tx, cur, "release", { op: "release-missing", reason: "missing on the backend" });
    return true;
  });
}
