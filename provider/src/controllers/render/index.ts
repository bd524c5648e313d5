/**
 * Renderers by kind, and the operations both sinks (gitops files now, a Kubernetes API server
 * later) share: render a DesiredObject, check and parse a manifest back into an ObservedObject,
 * and compute drift against a spec.
 */
import { OtterscaleError } from "../../domain/errors";
import { memoPerObject } from "../../lib/memo";
import type { ResourceKind } from "../../catalog/catalog";
import type { DesiredObject, ObservedObject } from "../types";
import { baremetalGroupRenderer } from "./baremetal-group";
import { blockPoolRenderer } from "./block-pool";
import { diffFields, type FieldDrift } from "./drift";
import { manifestDrift } from "./manifest-drift";
import type { Manifest } from "./manifest";
import type { Renderer, SecretKeyRef } from "./renderer";
import { serverRenderer } from "./server";
import { tenantQuotaRenderer } from "./tenant-quota";
import { vclusterRenderer } from "./vcluster";
import { sha256Hex, virtualMachineRenderer } from "./virtual-machine";

export type { Manifest, ObjectMeta } from "./manifest";
export type { Renderer } from "./renderer";
export type { FieldDrift } from "./drift";
export { describeDrift, manifestDrift } from "./manifest-drift";
export { cpuQuantity, gibQuantity, gibOf, parseQuantity, unitsOf } from "./quantity";
export { sha256Hex };
export { vclusterEndpoint, vclusterKubeconfig } from "./vcluster";

const RENDERERS: Readonly<Record<ResourceKind, Renderer>> = {
  server: serverRenderer,
  baremetal_group: baremetalGroupRenderer,
  tenant_quota: tenantQuotaRenderer,
  virtual_machine: virtualMachineRenderer,
  vcluster: vclusterRenderer,
  block_pool: blockPoolRenderer,
};

export function rendererFor(kind: ResourceKind): Renderer {
  const r = RENDERERS[kind];
  if (!r) throw new OtterscaleError("config", `no manifest renderer for kind "${String(kind)}"`);
  return r;
}

/**
 * Rendered values the backend's copy of the object no longer holds (see manifest-drift.ts).
 * Empty when the object has no manifest on the backend to compare (MAAS).
 */
export function renderedDrift(obj: DesiredObject, observed: ObservedObject): FieldDrift[] {
  if (observed.manifest === undefined) return [];
  const [manifest, ...attached] = sharedRendering(obj);
  const drift = manifestDrift(manifest, observed.manifest);
  // Attached objects by identity; a missing one is drift as a whole.
  for (const a of attached) {
    const found = (observed.attached ?? []).find((o) => sameObject(a, o));
    const label = `${a.kind} ${objectName(a)}`;
    drift.push(...manifestDrift(a, found).map((d) => ({ ...d, path: d.path ? `${label}: ${d.path}` : label })));
  }
  return drift;
}

/** The objects attached to `obj` (Renderer.attached), in apply order; usually none. */
export function renderAttached(obj: DesiredObject): Manifest[] {
  return rendererFor(obj.kind).attached?.(obj) ?? [];
}

const objectName = (m: Manifest): string => (m.metadata.namespace ? `${m.metadata.namespace}/${m.metadata.name}` : m.metadata.name);

/** Same apiVersion, kind, namespace and name. */
export function sameObject(a: Manifest, b: unknown): boolean {
  const o = b as Partial<Manifest> | undefined;
  return !!o && o.apiVersion === a.apiVersion && o.kind === a.kind && o.metadata?.name === a.metadata.name && (o.metadata?.namespace ?? undefined) === a.metadata.namespace;
}

/** Where the backend keeps an object's credentials, for kinds whose renderer says (a vCluster's kubeconfig Secret). */
export function credentialsSecretOf(kind: ResourceKind, key: string): SecretKeyRef | undefined {
  return rendererFor(kind).credentialsSecret?.(key);
}

/** The manifest for `obj` (pure). */
export function renderManifest(obj: DesiredObject): Manifest {
  return rendererFor(obj.kind).render(obj);
}

/**
 * Every object rendered for `obj`, in the order a sink writes them: what the computed
 * `manifests` attribute returns and what the hand-off controller hands over. One place turns a
 * renderer's output into the list, so a kind that renders several objects needs no other change.
 */
export function renderManifests(obj: DesiredObject): Manifest[] {
  return [renderManifest(obj), ...renderAttached(obj)];
}

/**
 * `renderManifests(obj)`, rendered once per DesiredObject and shared by every reader handed that
 * same object: a refresh compares one rendering with the backend's file, with the backend's copy
 * (drift) and returns it as `manifests`, where it used to render three times. Keyed by the
 * object, so it lives exactly as long as that object (one read). For reading only: whoever
 * changes or sends a manifest renders its own.
 */
export const sharedRendering: (obj: DesiredObject) => readonly Manifest[] = memoPerObject(renderManifests);

/**
 * Reads a manifest back. `key` is where the backend found it (file path, API name), which stays
 * the identity even when labels were edited by hand. A manifest of another apiVersion/kind is a
 * backend fault, not drift.
 */
export function observeManifest(kind: ResourceKind, key: string, manifest: unknown, where: string): ObservedObject {
  const r = rendererFor(kind);
  const m = manifest as Partial<Manifest> | null;
  if (!m || typeof m !== "object" || m.apiVersion !== r.apiVersion || m.kind !== r.manifestKind) {
    const found =
      m === null || m === undefined
        ? "an empty document"
        : typeof m === "object"
          ? `${String(m.apiVersion)} ${String(m.kind)}`
          : `a ${typeof manifest}`;
    throw new OtterscaleError(
      "controller_failed",
      `${where}: expected a ${r.apiVersion} ${r.manifestKind} manifest for ${kind} ${key}, found ${found}; restore or delete the file`,
    );
  }
  if (!m.metadata || typeof m.metadata !== "object" || typeof m.metadata.name !== "string") {
    throw new OtterscaleError("controller_failed", `${where}: manifest for ${kind} ${key} has no metadata.name; restore or delete the file`);
  }
  const parsed = r.parse(m as Manifest);
  return { ...parsed, kind, key, manifest };
}

/** The attributes of `spec` that a manifest of `kind` carries (compare with ObservedObject.fields). */
export function carriedFields(kind: ResourceKind, spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return rendererFor(kind).carried(spec);
}

/**
 * Carried attributes that differ between `spec` and what was observed. Empty = no drift.
 * Sensitive attributes compare by digest and are reported as `sha256:<hex>`, never in clear.
 */
export function driftOf(kind: ResourceKind, spec: Readonly<Record<string, unknown>>, observed: ObservedObject): FieldDrift[] {
  const drift = diffFields(carriedFields(kind, spec), observed.fields);
  for (const attr of rendererFor(kind).digested ?? []) {
    const v = spec[attr];
    const expected = typeof v === "string" ? `sha256:${sha256Hex(v)}` : undefined;
    const got = observed.digests?.[attr];
    const actual = got ? `sha256:${got}` : undefined;
    if (expected !== actual) drift.push({ path: attr, expected, actual });
  }
  return drift;
}
