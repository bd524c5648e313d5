/**
 * The computed `manifests` attribute: the objects the renderers make for a ledger record and its
 * placement, one JSON document each. Rendered from the ledger (spec, placement, digests of the
 * secrets), never from what a backend reports, so it is the same at apply and at every later read
 * until the record or its placement changes, and it equals what the gitops controller writes.
 */
import { sharedRendering } from "../controllers/render";
import type { DesiredObject } from "../controllers/types";
import type { LedgerRecord } from "../ledger/records";
import type { Inventory } from "./inventory";
import { desiredOf } from "./desired";
import type { RenderSettings } from "./render-settings";

/**
 * Example: a VM `acme/web-1` placed on `s1` -> `['{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",...}']`,
 * whose nodeSelector names s1's hostname and whose user data is a Secret reference plus its sha256.
 */
export function manifestsOf(inv: Inventory, rec: LedgerRecord, settings: RenderSettings = {}, desired: DesiredObject = ledgerDesired(inv, rec, settings)): string[] {
  return sharedRendering(desired).map((m) => JSON.stringify(m));
}

/** What the ledger says the backend holds for `rec`: the desired object rendered from its record. */
export function ledgerDesired(inv: Inventory, rec: LedgerRecord, settings: RenderSettings = {}): DesiredObject {
  return { ...desiredOf(inv, rec, rec.spec, settings), digests: rec.secrets };
}
