/**
 * Filter plugins, in the style of the Kubernetes scheduler framework: each decides one thing
 * about one candidate and returns a structured Rejection (never throws).
 *
 * A plugin is a factory that binds to the request once (the scheduler's PreFilter step: build
 * sets, read options) and returns the per-candidate check, or `undefined` when the request does
 * not need it (no pinned server, no anti-affinity...). Binding once keeps the hot loop over
 * 10,000 candidates free of per-candidate allocations: a check allocates only when it rejects.
 */
import { DIMENSIONS, fromMilli, type Resources } from "../domain/resources";
import { domainValue } from "./domains";
import { domainPlural, insufficient, list } from "./messages";
import type { Candidate, PlacementRequest, Rejection } from "./types";

/** A filter bound to one request: why `c` cannot host it, or undefined when it can. */
export type CandidateFilter = (c: Candidate) => Rejection | undefined;

/** A filter plugin: binds to a request, or returns undefined to opt out of it. */
export type FilterPlugin = (request: PlacementRequest) => CandidateFilter | undefined;

const reject = (c: Candidate, filter: string, reason: string): Rejection => ({ server: c.name, filter, reason });

/** Every server but the pinned one is rejected (VM `placement.server`). */
export const pinnedFilter: FilterPlugin = ({ pinned }) =>
  pinned === undefined ? undefined : (c) => (c.name === pinned ? undefined : reject(c, "pinned", `not the pinned server (${pinned})`));

/** Servers in maintenance take no new placements. */
export const maintenanceFilter: FilterPlugin = () => (c) =>
  c.maintenance ? reject(c, "maintenance", "server is in maintenance (no new placements)") : undefined;

/** Allow-list on one location attribute (`racks` or `zones`); empty or unset = anywhere. */
function allowList(attr: "rack" | "zone", allowed: readonly string[] | undefined): CandidateFilter | undefined {
  if (allowed === undefined || allowed.length === 0) return undefined;
  const set = new Set(allowed);
  const filter = `${attr}s`;
  return (c) => {
    const value = c[attr];
    if (value !== undefined && set.has(value)) return undefined;
    return value === undefined
      ? reject(c, filter, `server has no ${attr}; allowed ${attr}s: ${list(set)}`)
      : reject(c, filter, `${attr} ${value} is not one of the allowed ${attr}s: ${list(set)}`);
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
  return (c) =>
    domainValue(c, distinctDomain) === undefined
      ? reject(
          c,
          "failure-domain",
          `server has no ${distinctDomain}, needed to place ${replicas} replicas in distinct ${domainPlural(distinctDomain)}`,
        )
      : undefined;
};

/** A candidate whose anti-affinity domain value is already taken by a peer is rejected. */
export const antiAffinityFilter: FilterPlugin = ({ antiAffinity }) => {
  if (antiAffinity === undefined) return undefined;
  const { group, domain } = antiAffinity;
  const occupied = new Set(antiAffinity.occupied);
  return (c) => {
    const value = domainValue(c, domain);
    if (value === undefined) {
      return reject(c, "anti-affinity", `server has no ${domain}, needed by anti-affinity group ${group} (spread_domain ${domain})`);
    }
    return occupied.has(value)
      ? reject(c, "anti-affinity", `${domain} ${value} already holds a member of anti-affinity group ${group}`)
      : undefined;
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
 * Capacity on every dimension. The rejection lists every dimension that does not fit, e.g.
 * `insufficient cpu: requested 4, allocated 6, capacity 8 cores; insufficient memory: ...`.
 */
export const capacityFilter: FilterPlugin = ({ demand }) => (c) => {
  if (fitsAll(c, demand)) return undefined;
  const reasons: string[] = [];
  for (const dim of DIMENSIONS) {
    if (c.allocated[dim] + demand[dim] > c.capacity[dim]) {
      reasons.push(insufficient(dim, demand[dim], c.allocated[dim], c.capacity[dim]));
    }
  }
  return reject(c, "capacity", reasons.join("; "));
};

/**
 * Why no GPU model on `c` can give `count` thousandths of a GPU, or undefined when one can.
 * With `model`, that model must have room; without, any single model with enough free count
 * (a VM's GPUs are all of one model).
 */
export function gpuShortfall(c: Candidate, count: number, model: string | undefined): string | undefined {
  if (count <= 0) return undefined;
  if (model !== undefined) {
    const m = c.gpuModels[model];
    if (m === undefined) {
      const present = Object.keys(c.gpuModels);
      return `server has no ${model} GPUs (${present.length === 0 ? "it has no GPUs" : `it has ${list(present)}`})`;
    }
    if (m.allocated + count <= m.capacity) return undefined;
    return `insufficient ${model} GPUs: requested ${fromMilli(count)}, allocated ${fromMilli(m.allocated)}, capacity ${fromMilli(m.capacity)} GPUs`;
  }
  for (const name in c.gpuModels) {
    const m = c.gpuModels[name]!;
    if (m.allocated + count <= m.capacity) return undefined;
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
  return (c) => {
    const why = gpuShortfall(c, demand.gpus, gpuModel);
    return why === undefined ? undefined : reject(c, "gpu-model", why);
  };
};

/** The filter registry: name -> plugin. */
export const FILTER_PLUGINS = {
  pinned: pinnedFilter,
  maintenance: maintenanceFilter,
  racks: racksFilter,
  zones: zonesFilter,
  "failure-domain": failureDomainFilter,
  "anti-affinity": antiAffinityFilter,
  capacity: capacityFilter,
  "gpu-model": gpuModelFilter,
} as const satisfies Readonly<Record<string, FilterPlugin>>;

export type FilterName = keyof typeof FILTER_PLUGINS;

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
  "capacity",
  "gpu-model",
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

/** First rejection of `c` by the bound filters, or undefined when it passes them all. */
export function runFilters(filters: readonly CandidateFilter[], c: Candidate): Rejection | undefined {
  for (let i = 0; i < filters.length; i++) {
    const r = filters[i]!(c);
    if (r !== undefined) return r;
  }
  return undefined;
}
