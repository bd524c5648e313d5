/**
 * What a held write settles to when its controller call did not simply succeed: the ledger
 * always ends up charging what the backend runs. A failed create removes what may have landed
 * and releases; a failed or timed-out update asks the backend and charges what it runs (keeping
 * the larger of old and new held until it can tell); a failed delete is released or restored by
 * what the backend still has. Each returns a sentence for the error the user sees.
 */
import type { ObservedObject } from "../controllers/types";
import { OtterscaleError } from "../domain/errors";
import type { LedgerRecord } from "../ledger/records";
import { fenceOf, heldRow, keepLease } from "./fence";
import type { Outcome } from "./settle";
import { updateOutcome } from "./desired";
import type { HeldWrites, OnFailure } from "./held-write";

/** A create: failed -> undo what may have landed and release; late -> remove the object it made. An owner's re-apply settles like an update. */
export function onCreateFailure(hw: HeldWrites, record: LedgerRecord, spec: Record<string, unknown>): OnFailure {
  if (record.state !== "pending") return onUpdateFailure(hw, record, spec);
  return {
    failed: (e) => settleFailedCreate(hw, record, e),
    late: (outcome) => (outcome.ok ? undoLateCreate(hw, record) : settleFailedCreate(hw, record, outcome.error)),
  };
}

/** An update (or re-apply): charge what the backend runs, whether the call failed or ended late. */
export function onUpdateFailure(hw: HeldWrites, record: LedgerRecord, spec: Record<string, unknown>): OnFailure {
  const settle = () => settleByObservation(hw, record, spec);
  return { failed: settle, late: settle };
}

/** A delete: gone on the backend -> released; still there -> restored. */
export function onDeleteFailure(hw: HeldWrites, record: LedgerRecord): OnFailure {
  const settle = () => settleDeleteByObservation(hw, record);
  return { failed: settle, late: settle };
}

function release(hw: HeldWrites, record: LedgerRecord, cause: unknown): Promise<string> {
  const reason = OtterscaleError.isInstance(cause) ? cause.code : "controller error";
  return hw
    .settle(record, "release", { op: "release", reason }, `release ${record.kind} ${record.key}`)
    .then((r) => (r === false ? "another run settled the reservation meanwhile" : "the reservation was released"));
}

/**
 * A create whose controller call failed may still have written (a PATCH that landed before the
 * connection dropped): ask the backend, remove what it holds while the row is still ours, then
 * release. When the backend cannot answer, the row stays held for reconcile.
 */
async function settleFailedCreate(hw: HeldWrites, record: LedgerRecord, cause: unknown): Promise<string> {
  if (OtterscaleError.isInstance(cause) && cause.details.nothingWritten === true) return release(hw, record, cause);
  const c = hw.controllers.forKind(record.kind);
  try {
    if (await c.get(record.key)) await c.delete(record.key);
  } catch {
    return "the backend could not say whether it created the object: the reservation stays held until its lease expires and reconcile settles it";
  }
  return release(hw, record, cause);
}

/** A create whose controller call finished after its timeout: its object is removed and the reservation released. */
async function undoLateCreate(hw: HeldWrites, record: LedgerRecord): Promise<void> {
  const fence = fenceOf(record);
  const marked = await hw.ledger.transaction(async (tx) => {
    const cur = await heldRow(tx, fence);
    if (!cur) return undefined;
    const next: LedgerRecord = { ...cur, state: "deleting", generation: cur.generation + 1, updatedAt: Date.now() };
    await tx.put(next);
    await tx.appendAudit({ at: Date.now(), op: "undo-late-create", kind: cur.kind, key: cur.key, tenant: cur.tenant, grp: cur.grp, delta: {}, opId: cur.opId });
    return next;
  });
  if (!marked) return;
  const removing = hw.controllers.forKind(record.kind).delete(record.key);
  keepLease(hw.ledger, fenceOf(marked), hw.leaseMs, removing); // a slow delete must not look abandoned
  await removing;
  await hw.settle(marked, "release", { op: "release", reason: "timeout" }, `undo create ${record.kind} ${record.key}`);
}

/**
 * After an update (or re-apply) failed or timed out: ask the controller what it now runs and
 * charge that. Until it answers, the row keeps holding the larger of old and new.
 */
async function settleByObservation(hw: HeldWrites, record: LedgerRecord, newSpec: Record<string, unknown>): Promise<string> {
  let observed: ObservedObject | undefined;
  try {
    observed = await hw.controllers.forKind(record.kind).get(record.key);
  } catch {
    return "the backend could not say what it runs: the larger of the old and new size stays held until the lease expires and reconcile asks again";
  }
  const outcome: Outcome = updateOutcome(observed, newSpec, record.prev?.spec ?? record.spec);
  const settled = await hw.settle(
    record,
    outcome,
    { op: `${outcome}-observed`, ...(observed ? { observed } : {}), reason: observed ? `the backend runs the ${outcome === "commit" ? "new" : "old"} spec` : "the backend has no such object" },
    `settle ${record.kind} ${record.key}`,
  );
  if (settled === false) return "another run settled the change meanwhile";
  if (!observed) return "the backend has no such object: the ledger keeps the old spec, and the object reads as missing";
  return outcome === "commit" ? "the backend already runs the new spec, so the ledger now charges it" : "the backend runs the old spec, so the change was rolled back";
}

/** After a delete failed or timed out: gone on the backend -> released; still there -> restored. */
async function settleDeleteByObservation(hw: HeldWrites, record: LedgerRecord): Promise<string> {
  let observed: ObservedObject | undefined;
  try {
    observed = await hw.controllers.forKind(record.kind).get(record.key);
  } catch {
    return "the backend could not say whether the object is gone: the row stays held until the lease expires and reconcile asks again";
  }
  const outcome: Outcome = observed ? "restore" : "release";
  const settled = await hw.settle(
    record,
    outcome,
    { op: observed ? "delete-failed" : "delete", reason: observed ? "the backend still has the object" : "the backend no longer has the object" },
    `settle delete ${record.kind} ${record.key}`,
  );
  if (settled === false) return "another run settled the delete meanwhile";
  return observed ? "the object is kept in the ledger" : "the object is gone on the backend, so its reservation was released";
}
