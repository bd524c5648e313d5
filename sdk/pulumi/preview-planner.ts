/**
 * What one step of a Pulumi preview may count on from the other steps of the same preview.
 *
 * Pulumi runs the steps of an update in parallel: only dependencies order them, and a dynamic
 * provider sees inputs, never dependencies. So no step of a preview may be credited with capacity
 * that another step frees, because that other step may not have run yet:
 *  - an update holds the larger of its old and new size while it runs (engine/update-hold.ts), so
 *    for the steps after it in the batch it stays at that held size: it never settles to the new,
 *    smaller size;
 *  - the old object of a replace exists until its delete ran, so it keeps counting next to its
 *    replacement: at the held size when both charge the same tenant and group (one exists at a
 *    time), else where it was;
 *  - resources removed from the program are not in the batch at all (Pulumi checks only declared
 *    resources), so the ledger keeps counting them until their delete ran.
 * Each step's own verdict stays the engine's: an update is checked as apply checks it, and a
 * replacement with its old object gone (Pulumi deletes before it re-creates under one identity).
 *
 * Worked example, limit 10 cores: VM a shrinks 8 -> 4, VM b (6 cores) is created. The engine's
 * plan settles a at 4 and b fits (4 + 6 = 10); `pulumi up` then fails when b reserves before a's
 * update committed: "requested 6, used 8, limit 10". Here a holds 8, so the preview fails with
 * that very message.
 *
 * This is the engine's Planner with the engine's decisions; only what a step leaves behind for the
 * steps after it differs. Terraform orders its own steps and keeps using `engine.plan`.
 */
import type { Engine } from "../../provider/src/engine/engine";
import { Planner, type PlanOps } from "../../provider/src/engine/plan";
import { checkDelete, reserveCreate, reserveUpdate } from "../../provider/src/engine/reserve";
import { heldAllocations, heldCharge } from "../../provider/src/engine/update-hold";
import type { Allocation, LedgerRecord, LedgerTx } from "../../provider/src/ledger/records";

/** A replaced object as it was before the plan removed it, for its replacement to keep counting it. */
interface Removed {
  readonly record: LedgerRecord;
  readonly allocations: readonly Allocation[];
}

const objectId = (kind: string, key: string) => `${kind}\u0000${key}`;

/** Where the old object of a replace keeps counting when its replacement charges another group: a key no object can have. */
export const replacedKey = (key: string): string => `${key}#replaced`;

/** A Planner over `engine`'s ledger and decisions whose updates and replaces free nothing for later steps. */
export function previewPlanner(engine: Engine): Planner {
  // The objects each in-memory copy removed for a replace, by copy: a copy taken afresh starts empty.
  const removed = new WeakMap<LedgerTx, Map<string, Removed>>();
  const removedIn = (tx: LedgerTx) => {
    let m = removed.get(tx);
    if (!m) removed.set(tx, (m = new Map()));
    return m;
  };
  const ops: PlanOps = {
    validate: (kind, args) => engine.validate(kind, args),
    // Warnings are not passed on by the Pulumi layer (check reports failures only).
    isMissing: () => false,
    async reserveUpdate(...args) {
      // Without `prev` the planner keeps the row as reserved: at its held size (see update-hold.ts).
      return { ...(await reserveUpdate(...args)), prev: null };
    },
    async checkDelete(ctx, rec) {
      await checkDelete(ctx, rec);
      removedIn(ctx.tx).set(objectId(rec.kind, rec.key), { record: rec, allocations: await ctx.tx.allocations({ consumer: { kind: rec.kind, key: rec.key } }) });
    },
    async reserveCreate(ctx, kind, v, ...rest) {
      const record = await reserveCreate(ctx, kind, v, ...rest);
      const old = removedIn(ctx.tx).get(objectId(kind, v.key));
      if (!old) return record;
      removedIn(ctx.tx).delete(objectId(kind, v.key));
      return keepCounting(ctx.tx, old, record);
    },
  };
  return new Planner(engine.ledger, ops);
}

/** The replacement `record`, with the object it replaces still counted for the steps after it. */
async function keepCounting(tx: LedgerTx, old: Removed, record: LedgerRecord): Promise<LedgerRecord> {
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
