/**
 * Reservations: the checks (quota, placement, dependants) and the held row of each mutation, in
 * the caller's ledger transaction. The same functions run over the real ledger (apply) and over
 * an in-memory copy (plan), so a plan predicts what an apply decides.
 */
import { OtterscaleError } from "../domain/errors";
import type { Allocation, LedgerRecord, LedgerTx, Prefetch } from "../ledger/records";
import { forceNewAttributes, type ResourceKind } from "../catalog/catalog";
import { addUsage, NO_USAGE } from "../domain/quota";
import { decideWorkloadCreate, decideWorkloadUpdate, isWorkload, type DecisionContext } from "./decide";
import type { Inventory } from "./inventory-view";
import { isQuotaKind, rulesOf, workloadRulesOf } from "../kinds";
import { canonical, deltaOf, idFormatOf, newRecord, quotaRow } from "./records";
import { identityAttribute } from "../catalog/identity";
import { heldAllocations, heldCharge } from "./update-hold";
import { busyRow } from "./fence";
import { ownerAfter } from "./owners";

/** A validated request: spec (defaults applied), its secret-free copy, secret digests and identity. */
export interface Validated {
  readonly spec: Record<string, unknown>;
  readonly clean: Record<string, unknown>;
  readonly digests: Record<string, string>;
  readonly key: string;
}

/** The attribute that carries a kind's identity, for error paths. */
export const identityPath = identityAttribute;

/** A create of an object that already exists is a retry only when the configuration is the same. */
export function checkSameAsExisting(kind: ResourceKind, existing: LedgerRecord, v: Validated): void {
  if (canonical(existing.spec) !== canonical(v.clean) || canonical(existing.secrets) !== canonical(v.digests)) {
    throw new OtterscaleError(
      "already_exists",
      `${kind} ${v.key} already exists with a different configuration`,
      [{ path: identityPath(kind), message: `${v.key} already exists` }],
      {},
      {
        terraform: `import it (ID "${v.key}", format ${idFormatOf(kind)}) or choose another name`,
        pulumi: "set `adopt: true` on the resource to take it over (see the README), or choose another name",
      },
    );
  }
}

/**
 * The reads a create's or update's reservation is about to make (LedgerTx.prefetch): the object;
 * for a quota the usage it limits; for a workload its quota, that usage and the load of its
 * group's servers (members as the last inventory loaded knew them; a read it did not cover simply
 * goes to the database).
 */
export function reservationReads(kind: ResourceKind, v: Validated, inv: Inventory | undefined): Prefetch {
  const rows: (readonly [ResourceKind, string])[] = [[kind, v.key]];
  const tenant = String(v.clean.tenant);
  const grp = String(v.clean.group);
  if (isQuotaKind(kind)) return { rows, usage: { tenant, grp } };
  if (!isWorkload(kind)) return { rows };
  rows.push(quotaRow(tenant, grp));
  return { rows, usage: { tenant, grp }, servers: inv?.members(grp) ?? [] };
}

/** Quota/placement/dependant checks and the pending row of a create, in one transaction. */
export async function reserveCreate(ctx: DecisionContext, kind: ResourceKind, v: Validated, opId: string, now: number, lease: number, owner?: string): Promise<LedgerRecord> {
  const { tx } = ctx;
  let computed: Record<string, unknown> = {};
  let charge = NO_USAGE;
  let allocations: readonly Allocation[] = [];
  if (isWorkload(kind)) {
    const r = await decideWorkloadCreate(ctx, workloadRulesOf(kind), v.key, v.clean);
    computed = { servers: r.servers };
    charge = r.shape.charge;
    allocations = r.allocations;
  } else await rulesOf(kind).checkCreate?.(ctx, v.clean);
  const record = newRecord({ kind, key: v.key, spec: v.clean, digests: v.digests, state: "pending", charge, computed, opId, leaseExpires: lease, now, owner });
  await tx.put(record);
  if (allocations.length) await tx.setAllocations(kind, v.key, allocations);
  await tx.appendAudit({ at: now, op: "reserve", kind, key: v.key, tenant: record.tenant, grp: record.grp, delta: deltaOf(charge, 1, computed.servers ? { servers: computed.servers } : {}), opId });
  return record;
}

/** The checks and the `updating` row of an update, in one transaction. */
export async function reserveUpdate(ctx: DecisionContext, kind: ResourceKind, id: string, v: Validated, opId: string, now: number, lease: number, takeoverBy?: string): Promise<LedgerRecord> {
  const { tx } = ctx;
  const existing = await tx.get(kind, id);
  if (!existing) throw new OtterscaleError("not_found", `${kind} ${id} does not exist in the ledger`);
  if (existing.state !== "active") throw busyRow(existing);
  for (const attr of forceNewAttributes(kind)) {
    if (canonical(existing.spec[attr]) !== canonical(v.clean[attr])) {
      throw new OtterscaleError("invalid_input", `${kind} ${id}: changing ${attr} forces replacement; it cannot be updated in place`, [{ path: attr, message: "changing it forces replacement" }]);
    }
  }
  let computed = existing.computed;
  let charge = existing.charge;
  const oldAllocations = await tx.allocations({ consumer: { kind, key: id } });
  let allocations = oldAllocations;
  if (isWorkload(kind)) {
    const r = await decideWorkloadUpdate(ctx, workloadRulesOf(kind), existing, v.clean);
    computed = { ...existing.computed, servers: r.servers };
    charge = r.shape.charge;
    allocations = [...r.allocations];
  } else await rulesOf(kind).checkUpdate?.(ctx, id, v.clean);
  const next: LedgerRecord = {
    ...existing,
    spec: v.clean,
    secrets: v.digests,
    computed,
    // Held until the controller answers: the larger of old and new (see update-hold.ts).
    charge: heldCharge(existing.charge, charge),
    antiGroup: ((v.clean.placement as Record<string, unknown> | undefined)?.anti_affinity_group as string | undefined) ?? null,
    state: "updating",
    opId,
    leaseExpires: lease,
    prev: { ...existing, allocations: oldAllocations, next: { charge, allocations } },
    generation: existing.generation + 1,
    updatedAt: now,
    // An explicit takeover moves the object to the new owner with this update (rolled back with it).
    owner: takeoverBy ?? existing.owner ?? null,
  };
  await tx.put(next);
  await tx.setAllocations(kind, id, heldAllocations(oldAllocations, allocations));
  await tx.appendAudit({ at: now, op: "update", kind, key: id, tenant: next.tenant, grp: next.grp, delta: deltaOf(addUsage(charge, existing.charge, -1), 1), opId });
  if (takeoverBy && takeoverBy !== existing.owner) {
    await tx.appendAudit({ at: now, op: "takeover", kind, key: id, tenant: next.tenant, grp: next.grp, delta: { from: existing.owner ?? null, to: takeoverBy }, opId });
  }
  return next;
}

/** Refusals of a delete: dependants, consumers, deletion_protection. */
export async function checkDelete(ctx: DecisionContext, rec: LedgerRecord): Promise<void> {
  if (rec.state !== "active") throw busyRow(rec);
  await rulesOf(rec.kind).checkDelete?.(ctx, rec);
}


/**
 * Holds an existing, active object for a re-apply of the same spec (a create retried, a second
 * declaration, or the re-creation of an object missing on the backend): an `updating` row whose
 * old and new sides are equal, so it charges exactly what it did, and settles like any update.
 */
export async function reserveReapply(ctx: DecisionContext, existing: LedgerRecord, opId: string, now: number, lease: number, owner?: string): Promise<LedgerRecord> {
  const allocations = await ctx.tx.allocations({ consumer: { kind: existing.kind, key: existing.key } });
  const next: LedgerRecord = {
    ...existing,
    owner: ownerAfter(existing, owner), // a row from before owners belongs to whoever re-declares it
    state: "updating",
    opId,
    leaseExpires: lease,
    prev: { ...existing, allocations, next: { charge: existing.charge, allocations } },
    generation: existing.generation + 1,
    updatedAt: now,
  };
  await ctx.tx.put(next);
  await ctx.tx.appendAudit({ at: now, op: "reapply", kind: existing.kind, key: existing.key, tenant: existing.tenant, grp: existing.grp, delta: {}, opId });
  return next;
}

/** The checks of a delete and its `deleting` row (what it charges stays held until the backend confirms). */
export async function reserveDelete(ctx: DecisionContext, existing: LedgerRecord, opId: string, now: number, lease: number): Promise<LedgerRecord> {
  await checkDelete(ctx, existing);
  const next: LedgerRecord = { ...existing, state: "deleting", opId, leaseExpires: lease, generation: existing.generation + 1, updatedAt: now };
  await ctx.tx.put(next);
  await ctx.tx.appendAudit({ at: now, op: "delete-start", kind: existing.kind, key: existing.key, tenant: existing.tenant, grp: existing.grp, delta: {}, opId });
  return next;
}

/**
 * A row that fences the removal of a backend object the ledger has no row for (an orphan, or
 * what a create wrote after losing its reservation): while it exists no create can reserve the
 * identity, so the removal can never destroy an object a new reservation is about to write.
 * Charges nothing; reads treat it as absent.
 */
export async function reserveTombstone(tx: LedgerTx, kind: ResourceKind, key: string, opId: string, now: number, lease: number, reason: string): Promise<LedgerRecord | undefined> {
  if (await tx.get(kind, key)) return undefined;
  const spec = { tombstone: true };
  const record = { ...newRecord({ kind, key, spec, digests: {}, state: "deleting", opId, leaseExpires: lease, now }), computed: { tombstone: true } };
  await tx.put(record);
  await tx.appendAudit({ at: now, op: "remove-orphan-start", kind, key, tenant: null, grp: null, delta: { reason }, opId });
  return record;
}

export const isTombstone = (r: LedgerRecord): boolean => r.computed.tombstone === true;
