/**
 * otterscale_virtual_machine: one replica on one server, optionally pinned or constrained to
 * racks/zones/an anti-affinity group. Never moved by an update (pin and placement rules must
 * keep its server). State: server, rack, zone, status.
 */
import { checkVmStaysPlaced } from "../engine/decide";
import { OtterscaleError, type Problem } from "../domain/errors";
import type { LedgerRecord } from "../ledger/records";
import { vmShape } from "../domain/shape";
import type { Domain } from "../placement";
import type { VirtualMachineArgs } from "../catalog/types.gen";
import type { WorkloadRules } from "./types";

const args = (spec: Record<string, unknown>) => spec as unknown as VirtualMachineArgs;

/** A VM's pin may not name another server than the one it runs on: that would move it. */
function checkVmPinKept(existing: LedgerRecord, spec: VirtualMachineArgs, current: string): void {
  const pin = spec.placement?.server;
  if (pin && pin !== current) {
    throw new OtterscaleError(
      "unplaceable",
      `${existing.kind} ${existing.key} runs on ${current}; pinning it to ${pin} would move it. Moving is not done silently: replace the VM (terraform apply -replace=...) to move it`,
      [{ path: "placement.server", message: `the VM runs on ${current}; replace it to move it to ${pin}` }],
    );
  }
}

export const virtualMachine: WorkloadRules = {
  kind: "virtual_machine",
  class: "workload",
  tier: 3,
  noun: "VM",
  groupAttribute: "group",
  quotaPaths: { cpu_cores: "cpu_cores", memory_gib: "memory_gib", storage_gib: "disk_gib", gpus: "gpu_count", virtual_machines: "name" },
  semantics(spec) {
    const out: Problem[] = [];
    const p = (spec.placement ?? {}) as Record<string, unknown>;
    if (p.spread_domain !== undefined && p.anti_affinity_group === undefined) {
      out.push({ path: "placement.spread_domain", message: "only applies together with placement.anti_affinity_group" });
    }
    return out;
  },
  shape: (spec) => vmShape(args(spec)),
  placement(spec) {
    const p = args(spec).placement;
    return {
      pinned: p?.server,
      racks: p?.racks,
      zones: p?.zones,
      antiAffinity: p?.anti_affinity_group ? { group: p.anti_affinity_group, domain: (p.spread_domain ?? "server") as Domain } : undefined,
    };
  },
  async checkStays(ctx, existing, spec, current) {
    if (!current[0]) return;
    checkVmPinKept(existing, args(spec), current[0].server);
    await checkVmStaysPlaced(ctx, existing, args(spec), current[0].server);
  },
  project({ inv, rec, base, status }) {
    const server = (rec.computed.servers as string[] | undefined)?.[0];
    const s = server ? inv.servers.get(server) : undefined;
    return { ...base, server: server ?? null, rack: s?.rack ?? null, zone: s?.zone ?? null, status };
  },
  gpuModels: (spec) => (typeof spec.gpu_model === "string" ? [spec.gpu_model] : []),
};
