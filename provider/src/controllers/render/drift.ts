/**
 * Drift: which carried attributes differ between what the engine wants and what a backend holds.
 * Pure; the engine decides what to do with the differences.
 */
import { isDeepStrictEqual } from "node:util";

export interface FieldDrift {
  /** Top-level attribute name (`cpu_cores`, `erasure_coded`). */
  readonly path: string;
  /** Value the spec implies (undefined = unset). */
  readonly expected: unknown;
  /** Value read back (undefined = absent from the backend). */
  readonly actual: unknown;
}

/**
 * Compares over the union of keys, so an attribute removed by hand (present in `expected`,
 * absent in `actual`) counts as drift too.
 *
 * Example: expected `{cpu_cores: 4, image: "x"}`, actual `{cpu_cores: 8}` ->
 * `[{path: "cpu_cores", expected: 4, actual: 8}, {path: "image", expected: "x", actual: undefined}]`.
 */
export function diffFields(
  expected: Readonly<Record<string, unknown>>,
  actual: Readonly<Record<string, unknown>>,
): FieldDrift[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return keys
    .filter((k) => !isDeepStrictEqual(expected[k], actual[k]))
    .map((k) => ({ path: k, expected: expected[k], actual: actual[k] }));
}
