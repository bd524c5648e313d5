/**
 * Inventory views: group membership and servers as placement candidates. Pure.
 */
import type { BaremetalGroupArgs, ServerArgs } from "../catalog/types.gen";
import type { ServerLoad } from "../ledger/records";
import { capacityOf, type Candidate } from "../placement";
import { ZERO, add, type Resources } from "./resources";

/**
 * Members = explicit servers (that exist) UNION servers matching every criterion the selector
 * sets (labels: all; racks/zones/regions: any of each). An empty selector matches nothing, so a
 * group with only explicit servers does not swallow the inventory.
 *
 * Example: servers [a], selector {labels: {pool: gpu}} over a(pool=cpu), b(pool=gpu) -> [a, b].
 */
export function membersOf(group: BaremetalGroupArgs, servers: ReadonlyMap<string, ServerArgs>): string[] {
  const out = new Set<string>();
  for (const name of group.servers ?? []) if (servers.has(name)) out.add(name);
  const sel = group.selector;
  const criteria = sel && (Object.keys(sel.labels ?? {}).length || sel.racks?.length || sel.zones?.length || sel.regions?.length);
  if (sel && criteria) {
    for (const [name, s] of servers) {
      if (out.has(name)) continue;
      const labelsOk = Object.entries(sel.labels ?? {}).every(([k, v]) => s.labels?.[k] === v);
      const inSet = (set: string[] | undefined, v: string | undefined) => !set?.length || (v !== undefined && set.includes(v));
      if (labelsOk && inSet(sel.racks, s.rack) && inSet(sel.zones, s.zone) && inSet(sel.regions, s.region)) out.add(name);
    }
  }
  return [...out].sort();
}

export const NO_LOAD: ServerLoad = Object.freeze({ allocated: ZERO, gpuModels: {} });

export function hostnameOf(s: Pick<ServerArgs, "name" | "hostname">): string {
  return s.hostname ?? s.name;
}

/**
 * The Kubernetes node name a server registers as (its `kubernetes.io/hostname` label): what
 * workloads placed on it are pinned to. `node_name` when set, else the short hostname (kubelet
 * registers nodes under the short name unless told otherwise), else the server name.
 *
 * Example: `{name: "s5", hostname: "node-5.dc1.example"}` -> `node-5`; `{name: "s5"}` -> `s5`;
 * `{name: "s5", hostname: "node-5.dc1.example", node_name: "node-5.dc1.example"}` -> the FQDN.
 */
export function nodeNameOf(s: Pick<ServerArgs, "name" | "hostname" | "node_name">): string {
  return s.node_name ?? (s.hostname !== undefined ? s.hostname.split(".")[0] : s.name);
}

/** A server with its current load as placement sees it. */
export function candidateOf(s: ServerArgs, load: ServerLoad = NO_LOAD): Candidate {
  const cap = capacityOf(s);
  const gpuModels: Record<string, { capacity: number; allocated: number }> = {};
  for (const [model, capacity] of Object.entries(cap.gpuModels)) gpuModels[model] = { capacity, allocated: load.gpuModels[model] ?? 0 };
  for (const [model, allocated] of Object.entries(load.gpuModels)) gpuModels[model] ??= { capacity: 0, allocated };
  return {
    name: s.name,
    hostname: hostnameOf(s),
    rack: s.rack,
    zone: s.zone,
    region: s.region,
    maintenance: s.maintenance ?? false,
    capacity: cap.capacity,
    allocated: load.allocated,
    gpuModels,
  };
}

/**
 * True when `candidateOf(server, load)` would equal `c` = `candidateOf(server, earlier)` (same
 * server spec): only the load-derived parts can differ, and they are compared exactly as
 * `candidateOf` builds them (allocated; per GPU model allocated, and the zero-capacity models
 * that only a load brings). Lets a cache keep a candidate whose load did not change.
 */
export function loadMatches(c: Candidate, load: ServerLoad): boolean {
  const a = c.allocated;
  const b = load.allocated;
  if (a.cpu !== b.cpu || a.memory !== b.memory || a.storage !== b.storage || a.gpus !== b.gpus) return false;
  for (const model in c.gpuModels) {
    const m = c.gpuModels[model]!;
    if (m.allocated !== (load.gpuModels[model] ?? 0)) return false;
    if (m.capacity === 0 && !Object.hasOwn(load.gpuModels, model)) return false;
  }
  for (const model in load.gpuModels) if (!Object.hasOwn(c.gpuModels, model)) return false;
  return true;
}

/** Capacity and allocation summed over servers. */
export function totalsOf(candidates: readonly Candidate[]): { capacity: Resources; allocated: Resources } {
  let capacity = ZERO;
  let allocated = ZERO;
  for (const c of candidates) {
    capacity = add(capacity, c.capacity);
    allocated = add(allocated, c.allocated);
  }
  return { capacity, allocated };
}
