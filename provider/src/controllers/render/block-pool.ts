/**
 * block_pool -> Rook `ceph.rook.io/v1 CephBlockPool` in `rook-ceph`, named `<tenant>-<name>`.
 *
 * An erasure-coded pool cannot hold RBD images alone (RBD keeps image metadata in omap, which EC
 * pools lack), so it comes with two attached objects: the replicated metadata pool
 * `<tenant>-<name>-metadata` (model/shape.ts sizes and charges it) and a StorageClass
 * `<tenant>-<name>` of Rook's RBD CSI driver that uses them together (`pool` = the metadata
 * pool, `dataPool` = the EC pool).
 *
 * `replicated.size` (or `erasureCoded.{dataChunks,codingChunks}`), `failureDomain`,
 * `deviceClass` and `quotas.maxSize` are Rook's own fields. deletion_protection is enforced by the
 * engine, not by Ceph, so it is only recorded as an annotation (with the placed servers).
 */
import { caughtUp, READY } from "./kube-binding";
import type { BlockPoolArgs } from "../../catalog/types.gen";
import type { DesiredObject } from "../types";
import {
  ANNOTATION,
  annotationsOf,
  at,
  booleanAnnotation,
  carriedMaintainers,
  compact,
  stringMap,
  LABEL,
  labelsOf,
  maintainersAnnotation,
  managedLabels,
  orRaw,
  readMaintainers,
  serverNames,
  splitList,
  type Manifest,
  type Parsed,
} from "./manifest";
import { METADATA_POOL_GIB, METADATA_POOL_REPLICAS } from "../../domain/shape";
import { gibOf, gibQuantity } from "./quantity";
import { withDefaults, type Renderer } from "./renderer";

export const ROOK_NAMESPACE = "rook-ceph";
export const DELETION_PROTECTION = "otterscale.io/deletion-protection";
/**
 * Marks a replica count that came from the default rather than from the spec, so reading it back
 * does not invent a `replicas` attribute the user never set (the engine compares field by field).
 */
export const REPLICAS_DEFAULTED = "otterscale.io/replicas-defaulted";
/** Replica count when neither `replicas` nor `erasure_coded` is given (DESIGN: default 3). */
export const DEFAULT_REPLICAS = 3;

/** Our failure domains to Ceph CRUSH bucket types. */
const CRUSH_DOMAIN: Readonly<Record<string, string>> = { server: "host", rack: "rack", zone: "zone" };
const FROM_CRUSH: Readonly<Record<string, string>> = { host: "server", rack: "rack", zone: "zone" };

export const cephPoolName = (tenant: string, name: string): string => `${tenant}-${name}`;

function render(obj: DesiredObject): Manifest {
  const s = withDefaults<BlockPoolArgs>("block_pool", obj.spec);
  const ec = s.erasure_coded;
  const size = s.replicas ?? DEFAULT_REPLICAS;
  return {
    apiVersion: "ceph.rook.io/v1",
    kind: "CephBlockPool",
    metadata: {
      name: cephPoolName(s.tenant, s.name),
      namespace: ROOK_NAMESPACE,
      labels: managedLabels({ [LABEL.tenant]: s.tenant, [LABEL.group]: s.group, [LABEL.name]: s.name }),
      annotations: stringMap({
        ...maintainersAnnotation(s.maintainers),
        [ANNOTATION.servers]: serverNames(obj.placement) || undefined,
        [DELETION_PROTECTION]: String(s.deletion_protection ?? true),
        [REPLICAS_DEFAULTED]: !ec && s.replicas === undefined ? "true" : undefined,
      }),
    },
    spec: compact({
      failureDomain: CRUSH_DOMAIN[s.failure_domain ?? "server"],
      // Rook refuses size 1 unless told that an unsafe pool is intended.
      replicated: ec ? undefined : size === 1 ? { size, requireSafeReplicaSize: false } : { size },
      erasureCoded: ec ? { dataChunks: ec.data_chunks, codingChunks: ec.coding_chunks } : undefined,
      deviceClass: s.device_class,
      quotas: { maxSize: gibQuantity(s.size_gib) },
    }),
  };
}

/** Rook's RBD CSI driver and the Secrets its operator creates (Rook's defaults). */
const RBD_PROVISIONER = `${ROOK_NAMESPACE}.rbd.csi.ceph.com`;
const CSI_PROVISIONER_SECRET = "rook-csi-rbd-provisioner";
const CSI_NODE_SECRET = "rook-csi-rbd-node";

export const metadataPoolName = (tenant: string, name: string): string => `${cephPoolName(tenant, name)}-metadata`;
export const storageClassName = (tenant: string, name: string): string => cephPoolName(tenant, name);

/** The metadata pool and the StorageClass of an erasure-coded pool; nothing for a replicated one. */
function attached(obj: DesiredObject): Manifest[] {
  const s = withDefaults<BlockPoolArgs>("block_pool", obj.spec);
  if (!s.erasure_coded) return [];
  const labels = managedLabels({ [LABEL.tenant]: s.tenant, [LABEL.group]: s.group, [LABEL.name]: s.name });
  const annotations = stringMap({ ...maintainersAnnotation(s.maintainers), [ANNOTATION.servers]: serverNames(obj.placement) || undefined });
  const data = cephPoolName(s.tenant, s.name);
  const metadata = metadataPoolName(s.tenant, s.name);
  const secrets = (use: string, secret: string) => ({
    [`csi.storage.k8s.io/${use}-secret-name`]: secret,
    [`csi.storage.k8s.io/${use}-secret-namespace`]: ROOK_NAMESPACE,
  });
  return [
    {
      apiVersion: "ceph.rook.io/v1",
      kind: "CephBlockPool",
      metadata: { name: metadata, namespace: ROOK_NAMESPACE, labels, annotations },
      spec: compact({
        failureDomain: CRUSH_DOMAIN[s.failure_domain ?? "server"],
        replicated: { size: METADATA_POOL_REPLICAS },
        deviceClass: s.device_class,
        quotas: { maxSize: gibQuantity(METADATA_POOL_GIB) },
      }),
    },
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: storageClassName(s.tenant, s.name), labels },
      provisioner: RBD_PROVISIONER,
      parameters: {
        clusterID: ROOK_NAMESPACE,
        pool: metadata,
        dataPool: data,
        imageFormat: "2",
        imageFeatures: "layering",
        ...secrets("provisioner", CSI_PROVISIONER_SECRET),
        ...secrets("controller-expand", CSI_PROVISIONER_SECRET),
        ...secrets("node-stage", CSI_NODE_SECRET),
        "csi.storage.k8s.io/fstype": "ext4",
      },
      reclaimPolicy: "Delete",
      allowVolumeExpansion: true,
    },
  ];
}

function parse(m: Manifest): Parsed {
  const labels = labelsOf(m);
  const annotations = annotationsOf(m);
  const spec = at(m, "spec");
  const ec = at(spec, "erasureCoded");
  const domain = at(spec, "failureDomain");
  const maxSize = at(spec, "quotas", "maxSize");
  const name = labels[LABEL.name] ?? m.metadata.name;
  const tenant = labels[LABEL.tenant] ?? "";
  const size = at(spec, "replicated", "size");
  const defaulted = annotations[REPLICAS_DEFAULTED] === "true" && size === DEFAULT_REPLICAS;
  return compact({
    key: `${tenant}/${name}`,
    status: "Ready",
    fields: compact({
      name,
      tenant,
      group: labels[LABEL.group],
      maintainers: readMaintainers(m),
      size_gib: orRaw(gibOf(maxSize), maxSize),
      replicas: ec || defaulted ? undefined : size,
      erasure_coded: ec ? { data_chunks: at(ec, "dataChunks"), coding_chunks: at(ec, "codingChunks") } : undefined,
      failure_domain: typeof domain === "string" ? (FROM_CRUSH[domain] ?? domain) : domain,
      device_class: at(spec, "deviceClass"),
      deletion_protection: booleanAnnotation(annotations[DELETION_PROTECTION]),
    }),
    servers: splitList(annotations[ANNOTATION.servers]),
  }) as Parsed;
}

function carried(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = withDefaults<BlockPoolArgs>("block_pool", spec);
  const ec = s.erasure_coded;
  return compact({
    name: s.name,
    tenant: s.tenant,
    group: s.group,
    maintainers: carriedMaintainers(s.maintainers),
    size_gib: s.size_gib,
    // With erasure coding the pool has no replica count (ec wins when both are given); an unset
    // count stays unset (rendered as DEFAULT_REPLICAS, read back as unset unless edited).
    replicas: ec ? undefined : s.replicas,
    erasure_coded: ec ? { data_chunks: ec.data_chunks, coding_chunks: ec.coding_chunks } : undefined,
    failure_domain: s.failure_domain ?? "server",
    device_class: s.device_class,
    deletion_protection: s.deletion_protection ?? true,
  });
}

export const blockPoolRenderer: Renderer = {
  kind: "block_pool",
  apiVersion: "ceph.rook.io/v1",
  manifestKind: "CephBlockPool",
  render,
  attached,
  parse,
  carried,
  kube: {
    namespace: ROOK_NAMESPACE,
    objectName: ({ owner, stem }) => cephPoolName(owner, stem),
    // An erasure-coded pool's metadata pool and StorageClass; a replicated pool has neither
    // (reads find nothing there, deletes delete nothing).
    attachedRefs: ({ owner, stem }) => [
      { apiVersion: "ceph.rook.io/v1", kind: "CephBlockPool", metadata: { name: metadataPoolName(owner, stem), namespace: ROOK_NAMESPACE } },
      { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: storageClassName(owner, stem) } },
    ],
    // status.phase Ready, about the current generation.
    readiness(live) {
      const phase = at(live, "status", "phase");
      if (phase === "Ready" && caughtUp(live, at(live, "status", "observedGeneration"))) return READY;
      const msg = at(live, "status", "info", "message") ?? at(live, "status", "message");
      return { ready: false, detail: `last phase: ${String(phase ?? "none")}${typeof msg === "string" ? ` (${msg})` : ""}, want Ready` };
    },
    status(live) {
      const p = at(live, "status", "phase");
      return typeof p === "string" ? p : "Pending";
    },
  },
};
