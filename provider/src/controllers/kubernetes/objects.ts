/**
 * Where each kind lives on the cluster (pure): the object a key names, the namespaces an apply
 * needs, and the companion Secrets that hold what manifests only reference (VM user data, BMC
 * credentials). The manifests themselves come from the shared renderers, unchanged.
 */
import { cephPoolName, metadataPoolName, ROOK_NAMESPACE, storageClassName } from "../render/block-pool";
import { INVENTORY_NAMESPACE, LABEL, managedLabels, type Manifest } from "../render/manifest";
import { rendererFor } from "../render";
import { bmcSecretName } from "../render/server";
import { quotaObjectName } from "../render/tenant-quota";
import { userDataSecretName } from "../render/virtual-machine";
import { keySegments } from "../gitops/paths";
import type { ResourceKind } from "../../schema/catalog";
import type { DesiredObject } from "../types";

/** Enough to address one object through the API. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

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
  const at = (namespace: string, name: string): ObjectRef => ({ apiVersion: r.apiVersion, kind: r.manifestKind, metadata: { name, namespace } });
  switch (kind) {
    case "server":
    case "baremetal_group":
      return at(INVENTORY_NAMESPACE, stem);
    case "tenant_quota":
      return at(owner, quotaObjectName(stem));
    case "block_pool":
      return at(ROOK_NAMESPACE, cephPoolName(owner, stem));
    case "virtual_machine":
    case "vcluster":
      return at(owner, stem);
  }
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

/** A Secret the adapter keeps next to a manifest; `data` undefined = it must not exist. */
export interface Companion {
  readonly ref: ObjectRef;
  /** stringData; sensitive. */
  readonly data?: Readonly<Record<string, string>>;
}

function secretRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace } };
}

/**
 * Secrets that `obj`'s manifest references: `<vm>-user-data` (key `userdata`, what KubeVirt's
 * cloudInitNoCloud.secretRef reads) and `<server>-bmc-secret` (keys `username`, `password`, what
 * Metal3's credentialsName expects). An unset attribute yields `data: undefined` so a stale Secret
 * is removed.
 */
export function companionsOf(obj: DesiredObject): Companion[] {
  const spec = obj.spec as Record<string, unknown>;
  if (obj.kind === "virtual_machine") {
    const ref = secretRef(String(spec.tenant), userDataSecretName(String(spec.name)));
    return [{ ref, data: typeof spec.user_data === "string" ? { userdata: spec.user_data } : undefined }];
  }
  if (obj.kind === "server") {
    const bmc = spec.bmc as { username?: string; password?: string } | undefined;
    const ref = secretRef(INVENTORY_NAMESPACE, bmcSecretName(String(spec.name)));
    const data = bmc ? Object.fromEntries(Object.entries({ username: bmc.username, password: bmc.password }).filter(([, v]) => v !== undefined)) : undefined;
    return [{ ref, data: data as Record<string, string> | undefined }];
  }
  return [];
}

/** Companion Secrets a delete removes (by key, without the spec). */
export function companionRefsOf(kind: ResourceKind, key: string): ObjectRef[] {
  const { owner, stem } = keySegments(kind, key);
  if (kind === "virtual_machine") return [secretRef(owner, userDataSecretName(stem))];
  if (kind === "server") return [secretRef(INVENTORY_NAMESPACE, bmcSecretName(stem))];
  return [];
}

/**
 * Where the objects attached to `kind`/`key` live (Renderer.attached), for reads and deletes that
 * know only the key: an erasure-coded pool's metadata pool and StorageClass. A replicated pool
 * has neither (reads find nothing there, deletes delete nothing).
 */
export function attachedRefsOf(kind: ResourceKind, key: string): ObjectRef[] {
  if (kind !== "block_pool") return [];
  const { owner, stem } = keySegments(kind, key);
  return [
    { apiVersion: "ceph.rook.io/v1", kind: "CephBlockPool", metadata: { name: metadataPoolName(owner, stem), namespace: ROOK_NAMESPACE } },
    { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: storageClassName(owner, stem) } },
  ];
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
  if (kind === "server" || kind === "baremetal_group") return namespace === INVENTORY_NAMESPACE;
  if (kind === "block_pool") return namespace === ROOK_NAMESPACE;
  return namespace !== undefined;
}
