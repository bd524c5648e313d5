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
