/**
 * Kubernetes resource quantities (`4`, `500m`, `8Gi`, `1536Mi`) to and from the plain numbers the
 * schema speaks (cores, GiB). Everything goes through thousandths (domain/resources) so that a
 * rendered quantity reads back as exactly the number that was rendered.
 */
import { fromMilli, toMilli } from "../../domain/resources";

const SUFFIX: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/**
 * Value of a quantity in base units (bytes, cores, items), or undefined when `q` is not a
 * quantity. Numbers pass through (a hand-edited manifest may carry `cores: 4` unquoted).
 *
 * Example: `"1536Mi"` -> 1610612736; `"500m"` -> 0.5; `"2e3"` -> 2000.
 */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  if (typeof q !== "string") return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2]);
  return base * SUFFIX[m[3] ?? ""];
}

/**
 * A GiB amount as a memory/storage quantity: whole GiB as `Gi`, whole MiB as `Mi`, otherwise a
 * decimal `Gi` (Kubernetes accepts `0.001Gi`; it rounds up to whole bytes).
 *
 * Example: 8 -> `8Gi`; 1.5 -> `1536Mi` (1500 milli-GiB * 1024 / 1000 = 1536); 0.001 -> `0.001Gi`.
 */
export function gibQuantity(gib: number): string {
  const milli = toMilli(gib);
  if (milli % 1000 === 0) return `${milli / 1000}Gi`;
  if ((milli * 1024) % 1000 === 0) return `${(milli * 1024) / 1000}Mi`;
  return `${fromMilli(milli)}Gi`;
}

/**
 * A core count as a CPU quantity: whole cores plain, otherwise millicores.
 *
 * Example: 4 -> `4`; 0.5 -> `500m`; 1.25 -> `1250m`.
 */
export function cpuQuantity(cores: number): string {
  const milli = toMilli(cores);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** A plain count (GPUs, objects) as a quantity string. */
export function countQuantity(n: number): string {
  return String(n);
}

/** GiB from a quantity, to the schema's precision (3 decimals); undefined when not a quantity. */
export function gibOf(q: unknown): number | undefined {
  const bytes = parseQuantity(q);
  return bytes === undefined ? undefined : fromMilli(Math.round((bytes / 2 ** 30) * 1000));
}

/** Cores (or any plain count) from a quantity, to 3 decimals; undefined when not a quantity. */
export function unitsOf(q: unknown): number | undefined {
  const v = parseQuantity(q);
  return v === undefined ? undefined : fromMilli(toMilli(v));
}
