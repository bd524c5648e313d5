/**
 * Readiness and status of live objects (pure). Each kind's operator reports progress its own way;
 * these functions turn that into one verdict and one `status` string. A status that describes an
 * older generation of the spec does not count (after an update the operator must catch up first).
 */
import { rendererFor } from "../render";
import { READY, type Readiness } from "../render/kube-binding";
import type { ResourceKind } from "../../catalog/catalog";

export type { Readiness };
export { settledVmStatus } from "../render/virtual-machine";

/**
 * Whether `live` (as read from the API server) is ready, as its renderer's binding says:
 *  - virtual_machine: status.printableStatus Running (runStrategy Always) or Stopped (Halted);
 *  - block_pool: status.phase Ready;
 *  - vcluster: HelmRelease condition Ready=True;
 *  - tenant_quota, server, baremetal_group: present.
 *
 * Example: a VM with runStrategy Halted and printableStatus Running -> `{ready: false, detail: "status Running, want Stopped"}`.
 */
export function readinessOf(kind: ResourceKind, live: unknown): Readiness {
  return rendererFor(kind).kube.readiness?.(live) ?? READY;
}

/**
 * The `status` attribute reported for a live object: what the operator says, in our vocabulary.
 * `fallback` is the renderer's status (derived from the spec) for kinds without an operator.
 */
export function statusOf(kind: ResourceKind, live: unknown, fallback: string): string {
  return rendererFor(kind).kube.status?.(live, fallback) ?? fallback;
}
