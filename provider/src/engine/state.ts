/**
 * The attribute object (State) of each kind: the ledger's spec, computed values from the ledger
 * (allocations, usage, membership) and from the controller (status, drifted fields).
 */
import type { RenderSettings } from "./render-settings";
import type { DesiredObject, ObservedObject } from "../controllers/types";
import type { LedgerRecord, LedgerTx } from "../ledger/records";
import { rulesOf } from "../kinds";
import type { State } from "./contract";
import type { Inventory } from "./inventory";
import { manifestsOf } from "./manifests";
import { canonical } from "./records";
import { groupTotals } from "./group-totals";

/**
 * Spec fields as the backend reports them win over the ledger's: that is how a hand edit shows up
 * as a diff in the next plan. Only fields the backend carries and that differ are replaced.
 */
export function withDrift(spec: Record<string, unknown>, observed?: ObservedObject): Record<string, unknown> {
  if (!observed) return spec;
  const out = { ...spec };
  for (const [k, v] of Object.entries(observed.fields)) {
    if (v !== undefined && canonical(v) !== canonical(spec[k])) out[k] = v;
  }
  return out;
}

export async function stateOf(
  tx: LedgerTx,
  inv: Inventory,
  rec: LedgerRecord,
  observed?: ObservedObject,
  secrets: Record<string, unknown> = {},
  /** Provider settings that shape the rendered `manifests` (gpu_devices, vcluster_chart_version). */
  settings: RenderSettings = {},
  /** `ledgerDesired(inv, rec, settings)` when the caller already made it (a refresh): its rendering is then shared. */
  desired?: DesiredObject,
): Promise<State> {
  const base: State = { ...withDrift(rec.spec, observed), ...secrets, id: rec.key, manifests: manifestsOf(inv, rec, settings, desired) };
  const status = observed?.status ?? (rec.computed.status as string | undefined) ?? "Unknown";
  return rulesOf(rec.kind).project({ tx, inv, rec, observed, base, status });
}

export { groupTotals };
