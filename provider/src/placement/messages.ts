/**
 * The sentences placement puts in rejections. Kept in one place so that filters, the in-place
 * check and the verdict speak the same way, with human numbers (GiB, cores) instead of the
 * thousandths the arithmetic uses.
 */
import { fromMilli, type Dimension } from "../domain/resources";
import type { Domain } from "./types";

/** Unit shown after an amount of each dimension. */
export const DIMENSION_UNIT: Readonly<Record<Dimension, string>> = {
  cpu: "cores",
  memory: "GiB",
  storage: "GiB",
  gpus: "GPUs",
};

/**
 * One dimension that does not fit.
 *
 * Example: `insufficient("memory", 8000, 60000, 64000)` ->
 * `insufficient memory: requested 8, allocated 60, capacity 64 GiB`.
 */
export function insufficient(dim: Dimension, requested: number, allocated: number, capacity: number): string {
  return (
    `insufficient ${dim}: requested ${fromMilli(requested)}, allocated ${fromMilli(allocated)}, ` +
    `capacity ${fromMilli(capacity)} ${DIMENSION_UNIT[dim]}`
  );
}

/**
 * One dimension a resize cannot grow into: the new amount and its growth, and what is allocated
 * on the server counting the workload's own share (as the inventory shows it).
 *
 * Example: VM of 4 cores resized to 5 on a 32-core server with 28 allocated to others ->
 * `insufficientResize("cpu", 5000, 4000, 28000, 32000, "this VM's")` ->
 * `insufficient cpu: requested 5 (+1), allocated 32 (4 of them this VM's), capacity 32 cores`.
 */
export function insufficientResize(dim: Dimension, demand: number, own: number, allocatedByOthers: number, capacity: number, whose: string): string {
  return (
    `insufficient ${dim}: requested ${fromMilli(demand)} (+${fromMilli(demand - own)}), ` +
    `allocated ${fromMilli(allocatedByOthers + own)} (${fromMilli(own)} of them ${whose}), capacity ${fromMilli(capacity)} ${DIMENSION_UNIT[dim]}`
  );
}

/** `1 candidate`, `3 candidates`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Plural of a domain for sentences: `servers`, `racks`, `zones`. */
export function domainPlural(domain: Domain): string {
  return `${domain}s`;
}

/** `r1, r2` (sorted so messages are stable whatever order the request listed them in). */
export function list(values: Iterable<string>): string {
  return [...values].sort().join(", ");
}
