/**
 * Where each kind lives on the cluster (pure): the object a key names, the namespaces an apply
 * needs, and the companion Secrets that hold what manifests only reference (VM user data, BMC
 * credentials). Each renderer declares its binding (render/kube-binding.ts); this module applies
 * it. The manifests themselves come from the shared renderers, unchanged.
 */
import { ROOK_NAMESPACE } from "../render/block-pool";
import { LABEL, managedLabels, type Manifest } from "../render/manifest";
import { rendererFor } from "../render";
import type { Companion, ObjectRef } from "../render/kube-binding";
import { keySegments } from "../gitops/paths";
import type { ResourceKind } from "../../catalog/catalog";
import type { DesiredObject } from "../types";

export type { Companion, ObjectRef };

/** `Kind ns/name`, for messages. */
export function describeRef(ref: ObjectRef): string {
  const ns = ref.metadata.namespace;
  return `${ref.kind} ${ns ? `${ns}/` : ""}${ref.metadata.name}`;
}

/**
 * The object that holds `kind`/`key` (the same name and namespace the renderer writes).
 *
 * Example: `refOf("block_pool", "acme/data")` -> `ceph.rook.io/v1 CephBlockPool rook-ceph/acme-data`.
 */
export function refOf(kind: ResourceKind, key: string): ObjectRef {
  const r = rendererFor(kind);
  const { owner, stem } = keySegments(kind, key); // validates the key (DNS-1123 labels)
  const b = r.kube;
  return { apiVersion: r.apiVersion, kind: r.manifestKind, metadata: { name: b.objectName?.({ owner, stem }) ?? stem, namespace: b.namespace ?? owner } };
}

/**
 * Namespaces this adapter creates when missing: tenants' and the inventory's. `rook-ceph` belongs
 * to the Rook operator; if it is missing, Rook is not installed and the apply should say so.
 */
export function ownedNamespace(namespace: string | undefined): boolean {
  return namespace !== undefined && namespace !== ROOK_NAMESPACE;
}

/** A Namespace manifest for server-side apply. */
export function namespaceManifest(name: string, tenant?: string): Manifest {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: managedLabels({ [LABEL.tenant]: tenant }) } };
}

/**
 * Secrets that `obj`'s manifest references: `<vm>-user-data` (key `userdata`, what KubeVirt's
 * cloudInitNoCloud.secretRef reads) and `<server>-bmc-secret` (keys `username`, `password`, what
 * Metal3's credentialsName expects). An unset attribute yields `data: undefined` so a stale Secret
 * is removed.
 */
export function companionsOf(obj: DesiredObject): Companion[] {
  return rendererFor(obj.kind).kube.companions?.(obj.spec as Record<string, unknown>) ?? [];
}

/** Companion Secrets a delete removes (by key, without the spec). */
export function companionRefsOf(kind: ResourceKind, key: string): ObjectRef[] {
  const b = rendererFor(kind).kube;
  return b.companionRefs ? b.companionRefs(keySegments(kind, key)) : [];
}

/**
 * Where the objects attached to `kind`/`key` live (Renderer.attached), for reads and deletes that
 * know only the key: an erasure-coded pool's metadata pool and StorageClass.
 */
export function attachedRefsOf(kind: ResourceKind, key: string): ObjectRef[] {
  const b = rendererFor(kind).kube;
  return b.attachedRefs ? b.attachedRefs(keySegments(kind, key)) : [];
}

/** The Secret manifest for server-side apply (labelled so operators can tell who owns it). */
export function secretManifest(c: Companion, owner: string): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: c.ref.metadata.name, namespace: c.ref.metadata.namespace, labels: managedLabels({ [LABEL.name]: owner }) },
    type: "Opaque",
    stringData: { ...(c.data ?? {}) },
  };
}

/** Where `kind` objects may be found when listing (others are not ours even if labelled). */
export function belongsHere(kind: ResourceKind, namespace: string | undefined): boolean {
  const fixed = rendererFor(kind).kube.namespace;
  return fixed !== undefined ? namespace === fixed : namespace !== undefined;
}
