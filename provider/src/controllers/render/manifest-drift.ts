/**
 * Drift of a whole manifest: every value the engine rendered, compared with what the backend
 * holds. Field drift (drift.ts) covers the attributes a manifest carries back; this covers the
 * rest the engine decides (placement's nodeSelector, GPU device names, member lists, ...), which
 * no input attribute can show. Pure.
 *
 * Only rendered paths are compared: what the backend adds (API server defaults, status,
 * metadata.uid, an operator's annotations) is not drift; a rendered value changed or removed is.
 * Lists compare by position and length (a rendered list of two disks is not a list of three).
 */
import { isDeepStrictEqual } from "node:util";
import type { FieldDrift } from "./drift";

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `spec.template.spec.nodeSelector["kubernetes.io/hostname"]`, `spec.disks[1].name`. */
function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  if (SIMPLE_KEY.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * Rendered values that the observed object lacks or holds differently, by path.
 *
 * Example: rendered `{spec: {nodeSelector: {"kubernetes.io/hostname": "node-1"}}}`, observed the
 * same with `node-2` plus `status: {...}` ->
 * `[{path: 'spec.nodeSelector["kubernetes.io/hostname"]', expected: "node-1", actual: "node-2"}]`.
 */
export function manifestDrift(rendered: unknown, observed: unknown, path = ""): FieldDrift[] {
  // The backend's copy observed as this very rendering (gitops: the file is byte for byte what it renders to).
  if (rendered === observed) return [];
  if (isPlainObject(rendered)) {
    if (!isPlainObject(observed)) return [{ path, expected: rendered, actual: observed }];
    return Object.keys(rendered).flatMap((k) => (rendered[k] === undefined ? [] : manifestDrift(rendered[k], observed[k], join(path, k))));
  }
  if (Array.isArray(rendered)) {
    if (!Array.isArray(observed) || observed.length !== rendered.length) return [{ path, expected: rendered, actual: observed }];
    return rendered.flatMap((e, i) => manifestDrift(e, observed[i], join(path, i)));
  }
  return isDeepStrictEqual(rendered, observed) ? [] : [{ path, expected: rendered, actual: observed }];
}

/** One line per drifted value, for messages: `spec.x: rendered "a", found "b"`. */
export function describeDrift(d: FieldDrift): string {
  const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));
  return `${d.path}: rendered ${show(d.expected)}, found ${show(d.actual)}`;
}
