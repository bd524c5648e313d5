/**
 * What a workload asks for: per-replica demand on servers, how many replicas in which distinct
 * domain, and what it charges its tenant's quota. Pure; one function per kind.
 *
 * Example (block pool, EC 4+2, size 100 GiB, failure_domain zone): 6 chunks of 25 GiB each in 6
 * distinct zones, raw 150 GiB; quota storage += 100, block_pools += 1.
 */
import type { BlockPoolArgs, VclusterArgs, VirtualMachineArgs } from "../schema/types.gen";
import type { WorkloadKind } from "../schema/catalog";
import { ZERO, add, resources, scale, type Resources } from "../domain/resources";
import type { Domain, Strategy } from "../placement";
import type { Usage } from "../quota/quota";

export interface Shape {
  readonly demand: Resources;
  readonly gpuModel?: string;
  readonly replicas: number;
  readonly distinctDomain: Domain;
  readonly charge: Usage;
  readonly strategy?: Strategy;
}

const usage = (r: Resources, vms = 0, vcs = 0, pools = 0): Usage => ({
  resources: r,
  virtualMachines: vms,
  vclusters: vcs,
  blockPools: pools,
});

export function vmShape(s: VirtualMachineArgs): Shape {
  const demand = resources(s.cpu_cores, s.memory_gib, s.disk_gib, s.gpu_count ?? 0);
  return {
    demand,
    gpuModel: (s.gpu_count ?? 0) > 0 ? s.gpu_model : undefined,
    replicas: 1,
    distinctDomain: "server",
    charge: usage(demand, 1),
    strategy: s.placement?.strategy,
  };
}

export function vclusterShape(s: VclusterArgs): Shape {
  const replicas = s.control_plane_replicas ?? 1;
  const demand = resources(s.control_plane_cpu_cores ?? 1, s.control_plane_memory_gib ?? 2, s.control_plane_storage_gib ?? 5);
  const workload = resources(s.workload_cpu_cores ?? 0, s.workload_memory_gib ?? 0, s.workload_storage_gib ?? 0);
  return { demand, replicas, distinctDomain: "server", charge: usage(add(scale(demand, replicas), workload), 0, 1) };
}

/** Replica/chunk layout of a pool: count and the per-chunk share of size_gib (thousandths, rounded up). */
export function poolLayout(s: BlockPoolArgs): { count: number; share: number } {
  const size = resources(0, 0, s.size_gib).storage;
  if (s.erasure_coded) {
    const k = s.erasure_coded.data_chunks;
    return { count: k + s.erasure_coded.coding_chunks, share: Math.ceil(size / k) };
  }
  return { count: s.replicas ?? 3, share: size };
}

export function blockPoolShape(s: BlockPoolArgs): Shape {
  const { count, share } = poolLayout(s);
  return {
    demand: { ...ZERO, storage: share },
    replicas: count,
    distinctDomain: (s.failure_domain ?? "server") as Domain,
    charge: usage(resources(0, 0, s.size_gib), 0, 0, 1),
  };
}

export function shapeOf(kind: WorkloadKind, spec: Record<string, unknown>): Shape {
  switch (kind) {
    case "virtual_machine":
      return vmShape(spec as unknown as VirtualMachineArgs);
    case "vcluster":
      return vclusterShape(spec as unknown as VclusterArgs);
    case "block_pool":
      return blockPoolShape(spec as unknown as BlockPoolArgs);
  }
}
