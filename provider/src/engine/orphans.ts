/**
 * Removal of a backend object the ledger has no row for, under a tombstone fence (reserve.ts):
 * while the tombstone row exists no create can reserve the identity, so the removal can never
 * destroy what a new reservation is about to write.
 */
import type { Controllers } from "../controllers/types";
import type { Ledger } from "../ledger/records";
import type { ResourceKind } from "../catalog/catalog";
import { fenceOf, heldRow, keepLease } from "./fence";
import { newOpId, opFinished } from "./ownership";
import { reserveTombstone } from "./reserve";
import { settleRow } from "./settle";

/** Deletes `kind`/`key` on the backend when no ledger row owns it. False when a row owns it (nothing done). */
export async function removeUnowned(ledger: Ledger, controllers: Controllers, kind: ResourceKind, key: string, leaseMs: number, reason: string): Promise<boolean> {
  const opId = newOpId();
  try {
    const tomb = await ledger.transaction((tx) => reserveTombstone(tx, kind, key, opId, Date.now(), Date.now() + leaseMs, reason));
    if (!tomb) return false;
    try {
      const removing = controllers.forKind(kind).delete(key);
      keepLease(ledger, fenceOf(tomb), leaseMs, removing); // a slow delete must not look abandoned
      await removing;
    } finally {
      await ledger.transaction(async (tx) => {
        const cur = await heldRow(tx, fenceOf(tomb));
        if (cur) await settleRow(tx, cur, "release", { op: "remove-orphan", reason });
      });
    }
    return true;
  } finally {
    opFinished(opId);
  }
}
