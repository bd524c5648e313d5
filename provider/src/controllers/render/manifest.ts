/**
 * The shape every renderer produces and the small helpers they share: common labels and
 * annotations, tolerant readers for hand-edited manifests, and the `compact` used to keep unset
 * attributes out of both manifests and read-back fields.
 */
import type { ResourceKind } from "../../catalog/catalog";
import type { ObservedObject } from "../types";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as a plain JSON-able value. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** What `parse` reads back: an ObservedObject without its kind. */
export type Parsed = Omit<ObservedObject, "kind">;

export const MANAGED_BY = "otterscale-iac";
/** Namespace of inventory records (servers, groups). */
export const INVENTORY_NAMESPACE = "otterscale-inventory";

export const LABEL = {
  managedBy: "app.kubernetes.io/managed-by",
  tenant: "otterscale.io/tenant",
  group: "otterscale.io/group",
  name: "otterscale.io/name",
  server: "otterscale.io/server",
  antiAffinityGroup: "otterscale.io/anti-affinity-group",
} as const;

export const ANNOTATION = {
  maintainers: "otterscale.io/maintainers",
  servers: "otterscale.io/servers",
} as const;

/** Drops keys whose value is undefined (so unset attributes are absent, not `null`). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Reads a nested value without trusting the manifest's shape (hand edits happen). */
export function at(root: unknown, ...path: (string | number)[]): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export function labelsOf(m: Manifest): Record<string, string> {
  const l = at(m, "metadata", "labels");
  return l && typeof l === "object" ? (l as Record<string, string>) : {};
}

export function annotationsOf(m: Manifest): Record<string, string> {
  const a = at(m, "metadata", "annotations");
  return a && typeof a === "object" ? (a as Record<string, string>) : {};
}

/** `app.kubernetes.io/managed-by` plus whatever the kind adds. */
export function managedLabels(extra: Record<string, string | undefined> = {}): Record<string, string> {
  return compact({ [LABEL.managedBy]: MANAGED_BY, ...extra }) as Record<string, string>;
}

/** Maintainers as one comma-joined annotation (`user:alice,group:sre`), absent when none. */
export function maintainersAnnotation(maintainers: readonly string[] | undefined): Record<string, string> {
  return maintainers && maintainers.length ? { [ANNOTATION.maintainers]: maintainers.join(",") } : {};
}

export function readMaintainers(m: Manifest): string[] | undefined {
  return splitList(annotationsOf(m)[ANNOTATION.maintainers]);
}

/** Comma-separated annotation to a list; undefined when absent or empty. */
export function splitList(v: unknown): string[] | undefined {
  if (typeof v !== "string" || v.trim() === "") return undefined;
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}

/** Maintainers as carried: only a non-empty list is written. */
export function carriedMaintainers(maintainers: readonly string[] | undefined): string[] | undefined {
  return maintainers && maintainers.length ? [...maintainers] : undefined;
}

/**
 * Parses an annotation written from a number or boolean. A value that does not parse is returned
 * as is, so a hand edit to garbage shows up as drift instead of vanishing.
 */
export function numberAnnotation(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return v.trim() !== "" && Number.isFinite(n) ? n : v;
}

export function booleanAnnotation(v: string | undefined): boolean | string | undefined {
  return v === "true" ? true : v === "false" ? false : v;
}

/** A parsed quantity, or the raw value when it does not parse (drift stays visible). */
export function orRaw<T>(parsed: T | undefined, raw: unknown): T | unknown {
  return parsed !== undefined ? parsed : raw;
}

/** Names of placed servers, for the servers annotation. */
export function serverNames(placement: readonly { readonly name: string }[]): string {
  return placement.map((p) => p.name).join(",");
}

/** Human subject for messages: `virtual_machine acme/web-1`. */
export function subject(kind: ResourceKind, key: string): string {
  return `${kind} ${key}`;
}

/** A label/annotation map without the unset entries. */
export function stringMap(o: Record<string, string | undefined>): Record<string, string> {
  return compact(o) as Record<string, string>;
}
