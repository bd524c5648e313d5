/**
 * In-place resize: can the server a workload already runs on absorb its growth?
 */
import { DIMENSIONS, type Resources } from "../domain/resources";
import { gpuShortfall } from "./filters";
import { insufficient, insufficientResize } from "./messages";
import type { Candidate, Rejection } from "./types";

/**
 * The workload's own share on the server, when `candidate` excludes it and `extra` is its whole
 * new demand: messages then show the new amount with its growth, and what is allocated with the
 * workload's own share counted in (as the inventory shows it).
 */
export interface OwnShare {
  readonly resources: Resources;
  /** `this VM's` */
  readonly whose: string;
}

/**
 * Checks that `candidate` (the workload's current server, whose `allocated` already includes the
 * workload) has room for `extra` = new demand - old demand. Only growth needs room: a negative or
 * zero dimension always fits, so shrinking memory while adding a core checks the core alone.
 *
 * Maintenance is deliberately ignored: it means "no NEW placements", and the workload already
 * runs here; refusing its resize would force a migration the user did not ask for (and the
 * contract forbids silent migration). Pinning, racks/zones and anti-affinity are about where a
 * workload lands, which a resize does not change.
 *
 * `gpuModel` is the model the workload's GPUs are of; growing GPUs needs that much free on that
 * model (or, when unset, on any single model).
 *
 * Example: capacity 64 GiB, allocated 60 GiB (VM of 16 included), resize 16 -> 24 GiB:
 * extra memory 8, 60 + 8 > 64 -> `{server, filter: "capacity", reason: "insufficient memory:
 * requested 8, allocated 60, capacity 64 GiB"}`; resize 16 -> 20 GiB: 60 + 4 <= 64 -> undefined.
 */
export function checkInPlace(candidate: Candidate, extra: Resources, gpuModel?: string, own?: OwnShare): Rejection | undefined {
  // The model first: a server without the requested GPU model is explained by the model.
  if (extra.gpus > 0 && gpuModel !== undefined && candidate.gpuModels[gpuModel] === undefined) {
    return { server: candidate.name, filter: "gpu-model", reason: gpuShortfall(candidate, extra.gpus, gpuModel)! };
  }
  const reasons: string[] = [];
  for (const dim of DIMENSIONS) {
    const grow = extra[dim];
    if (grow > 0 && candidate.allocated[dim] + grow > candidate.capacity[dim]) {
      reasons.push(
        own
          ? insufficientResize(dim, grow, own.resources[dim], candidate.allocated[dim], candidate.capacity[dim], own.whose)
          : insufficient(dim, grow, candidate.allocated[dim], candidate.capacity[dim]),
      );
    }
  }
  if (reasons.length > 0) return { server: candidate.name, filter: "capacity", reason: reasons.join("; ") };
  const gpu = gpuShortfall(candidate, extra.gpus, gpuModel);
  return gpu === undefined ? undefined : { server: candidate.name, filter: "gpu-model", reason: gpu };
}
