/**
 * Filter plugins, in the style of the Kubernetes scheduler framework: each decides one thing
 * about one candidate and returns a structured Rejection (never throws).
 *
 * A plugin is a factory that binds to the request once (the scheduler's PreFilter step: build
 * sets, read options, word the allow-lists) and returns the per-candidate check, or `undefined`
 * when the request does not need it (no pinned server, no anti-affinity...). The check is split
 * into an allocation-free `fits` and an `explain` used only when a verdict needs the reasons.
 */
import { DIMENSIONS, fromMilli, type Resources } from "../domain/resources";
import { domainValue } from "./domains";
import { domainPlural, insufficient, list } from "./messages";
import type { Candidate, PlacementRequest, Rejection } from "./types";

/** Names of the filter plugins in the registry. */
export type FilterName =
  | "pinned"
  | "maintenance"
  | "racks"
  | "zones"
  | "failure-domain"
  | "anti-affinity"
  | "capacity"
  | "gpu-model";

/**
 * A filter bound to one request. `fits` is the hot path, called for every candidate and
 * allocation-free; `explain` is the cold path, called only to word the rejection of a candidate
 * `fits` refused (when the verdict is Unplaceable), so a placement that succeeds over 10,000
 * servers formats no sentences at all.
 */
export interface CandidateFilter {
  /** Registry name, reported as `Rejection.filter`. */
  readonly name: FilterName;
  fits(c: Candidate): boolean;
  /** Why `c` does not fit, with the numbers. Only meaningful when `fits(c)` is false. */
  explain(c: Candidate): string;
}

/** A filter plugin: binds to a request, or returns undefined to opt out of it. */
export type FilterPlugin = (request: PlacementRequest) => CandidateFilter | undefined;

/** Every server but the pinned one is rejected (VM `placement.server`). */
export const pinnedFilter: FilterPlugin = ({ pinned }) =>
  pinned === undefined
    ? undefined
    : { name: "pinned", fits: (c) => c.name === pinned, explain: () => `not the pinned server (${pinned})` };

/** Servers in maintenance take no new placements. */
export const maintenanceFilter: FilterPlugin = () => ({
  name: "maintenance",
  fits: (c) => !c.maintenance,
  explain: () => "server is in maintenance (no new placements)",
});

/** Allow-list on one location attribute (`racks` or `zones`); empty or unset = anywhere. */
function allowList(attr: "rack" | "zone", allowed: readonly string[] | undefined): CandidateFilter | undefined {
  if (allowed === undefined || allowed.length === 0) return undefined;
  const set = new Set(allowed);
  const shown = list(set);
  return {
    name: attr === "rack" ? "racks" : "zones",
    fits: (c) => {
      const value = c[attr];
      return value !== undefined && set.has(value);
    },
    explain: (c) =>
      c[attr] === undefined
        ? `server has no ${attr}; allowed ${attr}s: ${shown}`
        : `${attr} ${c[attr]} is not one of the allowed ${attr}s: ${shown}`,
  };
}

export const racksFilter: FilterPlugin = ({ racks }) => allowList("rack", racks);
export const zonesFilter: FilterPlugin = ({ zones }) => allowList("zone", zones);

/**
 * Multi-replica requests spread over `distinctDomain`; a server that does not record its rack
 * (or zone) cannot prove it is in a distinct one, so it is rejected rather than guessed.
 */
export const failureDomainFilter: FilterPlugin = ({ replicas, distinctDomain }) => {
  if (replicas <= 1 || distinctDomain === "server") return undefined;
  return {
    name: "failure-domain",
    fits: (c) => domainValue(c, distinctDomain) !== undefined,
    explain: () => `server has no ${distinctDomain}, needed to place ${replicas} replicas in distinct ${domainPlural(distinctDomain)}`,
  };
};

/** A candidate whose anti-affinity domain value is already taken by a peer is rejected. */
export const antiAffinityFilter: FilterPlugin = ({ antiAffinity }) => {
  if (antiAffinity === undefined) return undefined;
  const { group, domain } = antiAffinity;
  const occupied = new Set(antiAffinity.occupied);
  return {
    name: "anti-affinity",
    fits: (c) => {
      const value = domainValue(c, domain);
      return value !== undefined && !occupied.has(value);
    },
    explain: (c) => {
      const value = domainValue(c, domain);
      return value === undefined
        ? `server has no ${domain}, needed by anti-affinity group ${group} (spread_domain ${domain})`
        : `${domain} ${value} already holds a member of anti-affinity group ${group}`;
    },
  };
};

/**
 * True when `allocated + demand <= capacity` on every dimension. Unrolled: this is the hot path.
 */
export function fitsAll(c: Candidate, d: Resources): boolean {
  const a = c.allocated;
  const k = c.capacity;
  return (
    a.cpu + d.cpu <= k.cpu && a.memory + d.memory <= k.memory && a.storage + d.storage <= k.storage && a.gpus + d.gpus <= k.gpus
  );
}

/**
 * The most a server may already hold for `d` to fit: `capacity - d` per dimension. fitsAll's
 * rule solved for the allocation (exact: both are integers in thousandths); a GPU model's room
 * (gpuRoom) is the same with that model's capacity. Lets a placement made on a load read earlier
 * be re-checked later against the server's load alone (ledger/speculation.ts).
 */
export function loadHeadroom(capacity: Resources, d: Resources): Resources {
  return { cpu: capacity.cpu - d.cpu, memory: capacity.memory - d.memory, storage: capacity.storage - d.storage, gpus: capacity.gpus - d.gpus };
}

/**
 * Capacity on every dimension. The rejection lists every dimension that does not fit, e.g.
 * `insufficient cpu: requested 4, allocated 6, capacity 8 cores; insufficient memory: ...`.
 */
export const capacityFilter: FilterPlugin = ({ demand }) => ({
  name: "capacity",
  fits: (c) => fitsAll(c, demand),
  explain: (c) =>
    DIMENSIONS.filter((dim) => c.allocated[dim] + demand[dim] > c.capacity[dim])
      .map((dim) => insufficient(dim, demand[dim], c.allocated[dim], c.capacity[dim]))
      .join("; "),
});

/** True when some GPU model on `c` (`model` when given) has `count` thousandths free. */
export function gpuRoom(c: Candidate, count: number, model: string | undefined): boolean {
  if (count <= 0) return true;
  if (model !== undefined) {
    const m = c.gpuModels[model];
    return m !== undefined && m.allocated + count <= m.capacity;
  }
  for (const name in c.gpuModels) {
    const m = c.gpuModels[name]!;
    if (m.allocated + count <= m.capacity) return true;
  }
  return false;
}

/**
 * Why no GPU model on `c` can give `count` thousandths of a GPU, or undefined when one can.
 * With `model`, that model must have room; without, any single model with enough free count
 * (a VM's GPUs are all of one model).
 */
export function gpuShortfall(c: Candidate, count: number, model: string | undefined): string | undefined {
  if (gpuRoom(c, count, model)) return undefined;
  if (model !== undefined) {
    const m = c.gpuModels[model];
    if (m === undefined) {
      const present = Object.keys(c.gpuModels);
      return `server has no ${model} GPUs (${present.length === 0 ? "it has no GPUs" : `it has ${list(present)}`})`;
    }
    return `insufficient ${model} GPUs: requested ${fromMilli(count)}, allocated ${fromMilli(m.allocated)}, capacity ${fromMilli(m.capacity)} GPUs`;
  }
  const free = Object.keys(c.gpuModels)
    .sort()
    .map((name) => {
      const m = c.gpuModels[name]!;
      return `${name}: ${fromMilli(Math.max(0, m.capacity - m.allocated))} free of ${fromMilli(m.capacity)}`;
    });
  return free.length === 0
    ? "server has no GPUs"
    : `no single GPU model has ${fromMilli(count)} free GPUs (${free.join("; ")})`;
}

/** GPU model and per-model room, when the request asks for GPUs. */
export const gpuModelFilter: FilterPlugin = ({ demand, gpuModel }) => {
  if (demand.gpus <= 0) return undefined;
  return {
    name: "gpu-model",
    fits: (c) => gpuRoom(c, demand.gpus, gpuModel),
    explain: (c) => gpuShortfall(c, demand.gpus, gpuModel) ?? "",
  };
};

/** The filter registry: name -> plugin. */
export const FILTER_PLUGINS: Readonly<Record<FilterName, FilterPlugin>> = {
  pinned: pinnedFilter,
  maintenance: maintenanceFilter,
  racks: racksFilter,
  zones: zonesFilter,
  "failure-domain": failureDomainFilter,
  "anti-affinity": antiAffinityFilter,
  capacity: capacityFilter,
  "gpu-model": gpuModelFilter,
};

/**
 * The order filters run in; a candidate's rejection is the first that fails. Cheap, most
 * explanatory reasons first: a server that is not the pinned one is reported as such, not as
 * "insufficient memory".
 */
export const DEFAULT_FILTERS: readonly FilterName[] = [
  "pinned",
  "maintenance",
  "racks",
  "zones",
  "failure-domain",
  "anti-affinity",
  // Before capacity: a server without the requested GPU model is explained by the model, not by
  // whichever dimension it also happens to lack.
  "gpu-model",
  "capacity",
];

/** Binds the named filters to a request, dropping those that opt out. */
export function bindFilters(request: PlacementRequest, names: readonly FilterName[] = DEFAULT_FILTERS): CandidateFilter[] {
  const bound: CandidateFilter[] = [];
  for (const name of names) {
    const f = FILTER_PLUGINS[name](request);
    if (f !== undefined) bound.push(f);
  }
  return bound;
}

/** Index of the first bound filter `c` fails, or -1 when it passes them all. Allocation-free. */
export function firstFailure(filters: readonly CandidateFilter[], c: Candidate): number {
  for (let i = 0; i < filters.length; i++) if (!filters[i]!.fits(c)) return i;
  return -1;
}

/**
 * The rejection of `c` by the first bound filter it fails, or undefined when it passes them all
 * (the scheduler framework's Filter: a structured reason, never a throw).
 */
export function runFilters(filters: readonly CandidateFilter[], c: Candidate): Rejection | undefined {
  const i = firstFailure(filters, c);
  if (i < 0) return undefined;
  const f = filters[i]!;
  return { server: c.name, filter: f.name, reason: f.explain(c) };
}
