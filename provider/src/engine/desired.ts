/** What the engine asks a controller to make exist, and the sensitive inputs echoed back in state. */
import type { DesiredObject, PlacedServer } from "../controllers/types";
import type { LedgerRecord } from "../ledger/records";
import { hostnameOf, nodeNameOf } from "../domain/inventory";
import { gpuDevicesFor } from "../domain/gpu-devices";
import { rulesOf } from "../kinds";
import type { Inventory } from "./inventory";
import { canonical } from "./records";

import type { RenderSettings } from "./render-settings";

export type { RenderSettings };

/** The controller's view of a record: the spec with secrets, and where placement put it. */
export function desiredOf(inv: Inventory, record: LedgerRecord, spec: Record<string, unknown>, settings: RenderSettings = {}): DesiredObject {
  const servers = (record.computed.servers as string[] | undefined) ?? [];
  const placement: PlacedServer[] = servers.map((name) => {
    const s = inv.servers.get(name);
    return { name, hostname: s ? hostnameOf(s) : name, nodeName: s ? nodeNameOf(s) : name, rack: s?.rack, zone: s?.zone };
  });
  const rules = rulesOf(record.kind);
  const extras = rules.renderExtras?.(spec, inv, settings);
  const models = rules.gpuModels?.(spec, inv, settings.gpuDevices ?? {});
  const gpuDevices = models ? gpuDevicesFor(models, settings.gpuDevices) : undefined;
  return { kind: record.kind, key: record.key, spec, placement, extras, ...(gpuDevices ? { gpuDevices } : {}) };
}

/** Sensitive inputs the caller gave (returned in state; never stored). */
export function secretInputs(spec: Record<string, unknown>, clean: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) if (!(k in clean) || (v && typeof v === "object" && canonical(v) !== canonical(clean[k]))) out[k] = v;
  return out;
}

/** True when every spec field the backend reports equals `spec`'s (fields it does not carry are not compared). */
export function runsSpec(spec: Record<string, unknown>, fields: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(fields).every(([k, v]) => v === undefined || canonical(v) === canonical(spec[k]));
}

/**
 * How an interrupted update settles, from what the backend reports: to the new spec only when
 * the backend runs it and not the old one (when both match, the fields that differ are not
 * observable and the charge is the same either way); otherwise back to the old spec.
 */
export function updateOutcome(observed: { fields: Readonly<Record<string, unknown>> } | undefined, newSpec: Record<string, unknown>, oldSpec: Record<string, unknown>): "commit" | "rollback" {
  return observed && runsSpec(newSpec, observed.fields) && !runsSpec(oldSpec, observed.fields) ? "commit" : "rollback";
}
