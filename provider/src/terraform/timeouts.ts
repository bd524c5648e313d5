/**
 * The `timeouts` block: Go duration strings, parsed the way Go's time.ParseDuration does.
 */
import type { TfObject, TfValue } from "./codec/types";

export const TIMEOUT_OPERATIONS_LIST = ["create", "update", "delete"] as const;
export type TimeoutOperation = (typeof TIMEOUT_OPERATIONS_LIST)[number];

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds of a Go duration, or undefined when it is not one.
 *
 * Example: `parseGoDuration("1h30m")` -> 5_400_000; `"1.5s"` -> 1500; `"300ms"` -> 300;
 * `"-2m"` -> -120_000; `"0"` -> 0; `"10"` -> undefined (a unit is required except for 0).
 */
export function parseGoDuration(s: string): number | undefined {
  if (s === "0" || s === "+0" || s === "-0") return 0;
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (const part of m[2].matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * UNIT_MS[part[2]];
  return m[1] === "-" ? -total : total;
}

/** The timeout for `op` from a resource value's `timeouts` block, in ms (undefined = engine default). */
export function timeoutMsOf(value: TfValue, op: TimeoutOperation): number | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const block = (value as TfObject).timeouts;
  if (!block || typeof block !== "object" || Array.isArray(block)) return undefined;
  const raw = (block as TfObject)[op];
  if (typeof raw !== "string") return undefined;
  const ms = parseGoDuration(raw);
  return ms !== undefined && ms > 0 ? Math.round(ms) : undefined;
}
