/** What the engine asks a controller to make exist, and the sensitive inputs echoed back in state. */
import type { DesiredObject, PlacedServer } from "../controllers/types";
import type { LedgerRecord } from "../ledger/records";
import { hostnameOf, membersOf, nodeNameOf } from "../model/inventory";
import { gpuDevicesFor, type GpuDevices } from "../model/gpu-devices";
import type { ResourceKind } from "../schema/catalog";
import type { BaremetalGroupArgs } from "../schema/types.gen";
import type { Inventory } from "./inventory";
import { canonical } from "./records";

/** Provider settings that shape manifests (not the ledger). */
export interface RenderSettings {
  /** Provider `gpu_devices`: model -> the cluster's device name. */
  readonly gpuDevices?: GpuDevices;
  /** Provider `vcluster_chart_version`: the chart version of vClusters without `chart_version`. */
  readonly vclusterChartVersion?: string;
}

/**
 * The GPU models whose device names a kind's manifest names: a VM its own model; a tenant quota
 * every model its group's servers hold and every configured one (it caps each by name).
 */
const GPU_MODELS_OF: Partial<Record<ResourceKind, (spec: Record<string, unknown>, inv: Inventory, devices: GpuDevices) => string[]>> = {
  virtual_machine: (spec) => (typeof spec.gpu_model === "string" ? [spec.gpu_model] : []),
  tenant_quota: (spec, inv, devices) => [
    ...inv.members(String(spec.group)).flatMap((m) => (inv.servers.get(m)?.gpus ?? []).map((g) => g.model)),
    ...Object.keys(devices),
  ],
};

/** The controller's view of a record: the spec with secrets, and where placement put it. */
export function desiredOf(inv: Inventory, record: LedgerRecord, spec: Record<string, unknown>, settings: RenderSettings = {}): DesiredObject {
  const servers = (record.computed.servers as string[] | undefined) ?? [];
  const placement: PlacedServer[] = servers.map((name) => {
    const s = inv.servers.get(name);
    return { name, hostname: s ? hostnameOf(s) : name, nodeName: s ? nodeNameOf(s) : name, rack: s?.rack, zone: s?.zone };
  });
  const extras =
    record.kind === "baremetal_group"
      ? { member_servers: membersOf(spec as unknown as BaremetalGroupArgs, inv.servers) }
      : record.kind === "vcluster" && settings.vclusterChartVersion
        ? { vcluster_chart_version: settings.vclusterChartVersion }
        : undefined;
  const models = GPU_MODELS_OF[record.kind]?.(spec, inv, settings.gpuDevices ?? {});
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
