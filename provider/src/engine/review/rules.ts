/**
 * The review rulebook: what one step of a plan may count on from the other steps of the same plan.
 * Terraform, Pulumi and `otterscale report` all plan through the engine's Planner, which applies
 * these rules, so the three give the same verdict on the same change.
 *
 * Terraform and Pulumi run independent steps in parallel (only dependencies order them, and a
 * provider never sees dependencies), so no step is credited with what another step frees unless
 * the order is guaranteed:
 *  - a delete is checked where it is planned (deletion_protection, dependants, a quota in use),
 *    but what it frees is not credited: the object keeps counting for every later step. Objects
 *    the plan deletes never block another delete as dependants (dependants are deleted first);
 *  - a replacement under the same identity must destroy first (one identity cannot exist twice),
 *    so its own create is credited with the old object; for the steps after it the old object
 *    keeps counting, at the larger of old and new when both charge the same tenant and group;
 *  - a replacement that changes the identity may create first (create_before_destroy, Pulumi's
 *    default), so the new object must fit while the old one still holds its share;
 *  - an update holds the larger of its old and new size until it commits (update-hold.ts), so the
 *    steps after it see that held size, never the smaller new one;
 *  - the delete of a deposed object (a replacement left half-done) never blocks a plan: its
 *    refusal is a warning, and apply decides.
 * What a step depends on that is not known yet (an unknown value, an object the same
 * configuration creates later) is left to apply time (plan.ts warns "Checked at apply").
 *
 * Worked example, limit 10 cores: VM a shrinks 8 -> 4 and VM b (6 cores) is created. b fails at
 * review: "cpu_cores 6 requested, used 8, limit 10", because apply may reserve b before a's
 * update commits.
 */
import type { PlannedChange } from "../contract";
import type { Allocation, LedgerRecord, LedgerTx } from "../../ledger/records";
import { canonical } from "../records";
import { heldAllocations, heldCharge } from "../update-hold";

/** Why an object keeps counting although this plan frees (some of) it. */
export type Counted = "deleted" | "replaced" | "resized down";

/** An object this plan frees but whose share later steps still count, with why. */
export interface StillCounted {
  readonly kind: string;
  readonly key: string;
  readonly tenant: string | null;
  readonly grp: string | null;
  readonly why: Counted;
}

/**
 * Whether a replacement's own create is credited with its old object: only when the old object
 * must go first, i.e. the identity stays and the front end did not say it creates first.
 *
 * Example: replace acme/web -> acme/web: credited; acme/web -> acme/web2: not credited.
 */
export function destroyFirst(change: PlannedChange, newKey: string): boolean {
  return change.action === "replace" && change.id === newKey && !change.createFirst;
}

/** The old object of a destroy-first replacement, as it was before the plan removed it. */
export interface Removed {
  readonly record: LedgerRecord;
  readonly allocations: readonly Allocation[];
}

/** Where the old object of a replace keeps counting when its replacement charges another group: a key no object can have. */
export const replacedKey = (key: string): string => `${key}#replaced`;

/**
 * The replacement `record`, with the object it replaces still counted for the steps after it:
 * at the held size (the larger of old and new) when both charge the same tenant and group (only
 * one exists at a time), else where it was.
 */
export async function keepCounting(tx: LedgerTx, old: Removed, record: LedgerRecord): Promise<LedgerRecord> {
  if (old.record.tenant === record.tenant && old.record.grp === record.grp) {
    const now = await tx.allocations({ consumer: { kind: record.kind, key: record.key } });
    await tx.setAllocations(record.kind, record.key, heldAllocations(old.allocations, now));
    return { ...record, charge: heldCharge(old.record.charge, record.charge) };
  }
  const key = replacedKey(old.record.key);
  await tx.put({ ...old.record, key });
  await tx.setAllocations(old.record.kind, key, old.allocations.map((a) => ({ ...a, key })));
  return record;
}

/** True when an update's held size is larger than where it settles (a shrink on some dimension). */
export function shrinks(record: LedgerRecord): boolean {
  const next = record.prev?.next;
  return !!next && canonical(heldCharge(record.charge, next.charge)) !== canonical(next.charge);
}

/**
 * The sentence a quota or placement refusal gets when objects this plan frees still counted in it.
 *
 * Example: `Counted although this plan frees them: virtual_machine acme/web (replaced). ...`
 */
export function countedNote(counted: readonly StillCounted[]): string {
  if (!counted.length) return "";
  const list = counted.map((c) => `${c.kind} ${c.key} (${c.why})`).join(", ");
  const cbd = counted.some((c) => c.why === "replaced")
    ? " A replacement that changes the identity may create the new object before it destroys the old one (create_before_destroy; Pulumi's default), so the new one must fit next to the old."
    : "";
  return ` Counted although this plan frees them: ${list}. Nothing orders those steps before this one (independent steps run in parallel), so this change must fit while they still hold their share.${cbd} To apply it anyway, apply the freeing change first (terraform apply -target, pulumi up --target), then this one.`;
}
