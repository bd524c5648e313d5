/**
 * The placement vocabulary. Placement is pure: it sees a snapshot of candidate servers and a
 * request, and returns a verdict. The ledger builds the snapshot inside its transaction.
 */
import type { Resources } from "../domain/resources";

export type Strategy = "binpack" | "spread" | "balanced";
export type Domain = "server" | "rack" | "zone";

/** A server as placement sees it. All amounts in thousandths (see domain/resources). */
export interface Candidate {
  readonly name: string;
  readonly hostname: string;
  readonly rack?: string;
  readonly zone?: string;
  readonly region?: string;
  readonly maintenance: boolean;
  /** (total - reserved) * allocation_ratio per dimension. */
  readonly capacity: Resources;
  /** Sum of pending + active allocations on this server. */
  readonly allocated: Resources;
  /** GPU capacity and allocation per model, in thousandths of a GPU. */
  readonly gpuModels: Readonly<Record<string, { readonly capacity: number; readonly allocated: number }>>;
}

export interface PlacementRequest {
  /** Who asks, for messages: `virtual_machine acme/web-1`. */
  readonly consumer: string;
  /** Demand of ONE replica/chunk. */
  readonly demand: Resources;
  /** Required GPU model for `demand.gpus` (any model when unset). */
  readonly gpuModel?: string;
  /** How many replicas/chunks (1 for a VM). Each lands in a distinct `distinctDomain`. */
  readonly replicas: number;
  /** Domain in which replicas must be distinct (vCluster: server; block pool: failure_domain). */
  readonly distinctDomain: Domain;
  readonly strategy: Strategy;
  /** Pinned server name (VM placement.server). */
  readonly pinned?: string;
  /** Allowed racks / zones (empty or unset = any). */
  readonly racks?: readonly string[];
  readonly zones?: readonly string[];
  /** Anti-affinity: domain values (server names, racks or zones) already taken by peers. */
  readonly antiAffinity?: { readonly group: string; readonly domain: Domain; readonly occupied: readonly string[] };
}

/** Why one candidate was rejected: the filter's name and a sentence with the numbers. */
export interface Rejection {
  readonly server: string;
  readonly filter: string;
  readonly reason: string;
}

export interface Placed {
  readonly ok: true;
  /** Chosen servers, one per replica, in replica order. */
  readonly servers: readonly string[];
}

export interface Unplaceable {
  readonly ok: false;
  /** One line: "no server fits virtual_machine acme/web-1 in group g (3 candidates rejected)". */
  readonly message: string;
  readonly rejections: readonly Rejection[];
}

export type PlacementVerdict = Placed | Unplaceable;
