/**
 * What a workload asks for: per-replica demand on servers, how many replicas in which distinct
 * domain, and what it charges its tenant's quota. Pure; one function per kind
 * (kinds/<kind>.ts names it as the kind's shape).
 *
 * Example (block pool, EC 4+2, size 100 GiB, failure_domain zone): 6 chunks of 25 + 0.5 GiB
 * (its 1 GiB metadata pool x 3 replicas, shared out) in 6 distinct zones, raw 153 GiB; quota
 * storage += 101, block_pools += 1.
 */
import type { BlockPoolArgs, VclusterArgs, VirtualMachineArgs } from "../catalog/types.gen";
import { ZERO, add, resources, scale, type Resources } from "./resources";
import type { Domain, Strategy } from "../placement";
import type { Usage } from "./quota";

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

/**
 * RBD cannot keep image metadata (headers, omap) in an erasure-coded pool, so an EC block pool
 * comes with a small replicated metadata pool (render/block-pool.ts): this size, this many
 * replicas, in the EC pool's failure domain.
 */
export const METADATA_POOL_GIB = 1;
export const METADATA_POOL_REPLICAS = 3;

/**
 * Replica/chunk layout of a pool: count and the per-chunk share of raw storage (thousandths,
 * rounded up). An EC pool's chunks also carry its metadata pool: the metadata pool's replicas
 * land in the same distinct failure domains, so its raw size (3 x 1 GiB) is shared out over the
 * chunks.
 *
 * Example: EC 2+1 of 1000 GiB -> 3 chunks of 500 + 3000/3 = 501 GiB (raw 1503 GiB);
 * replicated x3 of 500 GiB -> 3 replicas of 500 GiB.
 */
export function poolLayout(s: BlockPoolArgs): { count: number; share: number } {
  const size = resources(0, 0, s.size_gib).storage;
  if (s.erasure_coded) {
    const k = s.erasure_coded.data_chunks;
    const count = k + s.erasure_coded.coding_chunks;
    const metadataRaw = resources(0, 0, METADATA_POOL_GIB).storage * METADATA_POOL_REPLICAS;
    return { count, share: Math.ceil(size / k) + Math.ceil(metadataRaw / count) };
  }
  return { count: s.replicas ?? 3, share: size };
}

/** Storage charged to the tenant: the usable size, plus the metadata pool's for an EC pool. */
export function poolChargeGib(s: BlockPoolArgs): number {
  return s.size_gib + (s.erasure_coded ? METADATA_POOL_GIB : 0);
}

export function blockPoolShape(s: BlockPoolArgs): Shape {
  const { count, share } = poolLayout(s);
  return {
    demand: { ...ZERO, storage: share },
    replicas: count,
    distinctDomain: (s.failure_domain ?? "server") as Domain,
    charge: usage(resources(0, 0, poolChargeGib(s)), 0, 0, 1),
  };
}
