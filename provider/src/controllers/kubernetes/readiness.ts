/**
 * Readiness and status of live objects (pure). Each kind's operator reports progress its own way;
 * these functions turn that into one verdict and one `status` string. A status that describes an
 * older generation of the spec does not count (after an update the operator must catch up first).
 */
import { at } from "../render/manifest";
import type { ResourceKind } from "../../schema/catalog";

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly detail: string };

const READY: Readiness = { ready: true };

/** True when the object's status is about its current spec (or the operator does not say). */
function caughtUp(live: unknown, observed: unknown): boolean {
  const generation = at(live, "metadata", "generation");
  return typeof observed !== "number" || typeof generation !== "number" || observed >= generation;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

function condition(live: unknown, type: string): Condition | undefined {
  const list = at(live, "status", "conditions");
  return Array.isArray(list) ? (list as Condition[]).find((c) => c?.type === type) : undefined;
}

/** The printableStatus a KubeVirt VM settles in for its runStrategy. */
export function settledVmStatus(runStrategy: unknown): string {
  return runStrategy === "Halted" ? "Stopped" : "Running";
}

/**
 * Whether `live` (as read from the API server) is ready:
 *  - virtual_machine: status.printableStatus Running (runStrategy Always) or Stopped (Halted);
 *  - block_pool: status.phase Ready;
 *  - vcluster: HelmRelease condition Ready=True;
 *  - tenant_quota, server, baremetal_group: present.
 *
 * Example: a VM with runStrategy Halted and printableStatus Running -> `{ready: false, detail: "status Running, want Stopped"}`.
 */
export function readinessOf(kind: ResourceKind, live: unknown): Readiness {
  switch (kind) {
    case "virtual_machine": {
      const want = settledVmStatus(at(live, "spec", "runStrategy"));
      const got = at(live, "status", "printableStatus");
      if (got === want && caughtUp(live, at(live, "status", "observedGeneration"))) return READY;
      return { ready: false, detail: `last status: ${String(got ?? "none")}, want ${want}` };
    }
    case "block_pool": {
      const phase = at(live, "status", "phase");
      if (phase === "Ready" && caughtUp(live, at(live, "status", "observedGeneration"))) return READY;
      const msg = at(live, "status", "info", "message") ?? at(live, "status", "message");
      return { ready: false, detail: `last phase: ${String(phase ?? "none")}${typeof msg === "string" ? ` (${msg})` : ""}, want Ready` };
    }
    case "vcluster": {
      const c = condition(live, "Ready");
      const observed = c?.observedGeneration ?? at(live, "status", "observedGeneration");
      if (c?.status === "True" && caughtUp(live, observed)) return READY;
      const why = c ? `Ready=${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}` : "no Ready condition";
      return { ready: false, detail: `last condition: ${why}, want Ready=True` };
    }
    default:
      return READY;
  }
}

/**
 * The `status` attribute reported for a live object: what the operator says, in our vocabulary.
 * `fallback` is the renderer's status (derived from the spec) for kinds without an operator.
 */
export function statusOf(kind: ResourceKind, live: unknown, fallback: string): string {
  switch (kind) {
    case "virtual_machine": {
      const s = at(live, "status", "printableStatus");
      return typeof s === "string" ? s : "Pending";
    }
    case "block_pool": {
      const p = at(live, "status", "phase");
      return typeof p === "string" ? p : "Pending";
    }
    case "vcluster": {
      const c = condition(live, "Ready");
      if (c?.status === "True") return fallback === "Paused" ? "Paused" : "Running";
      if (c?.status === "False") return "NotReady";
      return "Pending";
    }
    default:
      return fallback;
  }
}
