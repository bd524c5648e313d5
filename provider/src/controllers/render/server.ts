/**
 * server -> an inventory record shaped like Metal3's `metal3.io/v1alpha1 BareMetalHost` in
 * `otterscale-inventory`.
 *
 * BMC credentials never enter the manifest: `spec.bmc.credentialsName` names the Secret
 * `<name>-bmc-secret` that holds username and password. Capacity, ratios, reservations and
 * maintenance have no BareMetalHost field, so they are annotations. Topology goes into well-known
 * labels (when the value is a valid label value, else an annotation of the same key).
 */
import { secretRef } from "./kube-binding";
import type { ServerArgs } from "../../catalog/types.gen";
import type { DesiredObject } from "../types";
import {
  annotationsOf,
  booleanAnnotation,
  carriedMaintainers,
  compact,
  stringMap,
  INVENTORY_NAMESPACE,
  LABEL,
  labelsOf,
  maintainersAnnotation,
  managedLabels,
  numberAnnotation,
  readMaintainers,
  type Manifest,
  type Parsed,
} from "./manifest";
import { withDefaults, type Renderer } from "./renderer";
import { metal3BmcAddress } from "../../domain/bmc";

/** Topology attributes and the keys they are written under. */
export const TOPOLOGY = {
  rack: "otterscale.io/rack",
  zone: "topology.kubernetes.io/zone",
  region: "topology.kubernetes.io/region",
  datacenter: "otterscale.io/datacenter",
} as const;

const A = "otterscale.io/";
/** Numeric attributes recorded as annotations `otterscale.io/<attribute with dashes>`. */
const NUMERIC = [
  "cpu_cores",
  "memory_gib",
  "storage_gib",
  "cpu_allocation_ratio",
  "memory_allocation_ratio",
  "reserved_cpu_cores",
  "reserved_memory_gib",
] as const;
const annotationKey = (attr: string): string => A + attr.replace(/_/g, "-");
export const HOSTNAME = annotationKey("hostname");
export const NODE_NAME = annotationKey("node-name");
export const GPUS = annotationKey("gpus");
export const MAINTENANCE = annotationKey("maintenance");
export const BMC_POWER_TYPE = annotationKey("bmc-power-type");

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const isLabelValue = (v: string): boolean => v.length <= 63 && LABEL_VALUE.test(v);
/** Label keys we own on this record; every other label is a user label. */
const RESERVED_LABELS: ReadonlySet<string> = new Set([LABEL.managedBy, ...Object.values(TOPOLOGY)]);

export const bmcSecretName = (server: string): string => `${server}-bmc-secret`;

function render(obj: DesiredObject): Manifest {
  const s = withDefaults<ServerArgs>("server", obj.spec);
  const topoLabels: Record<string, string> = {};
  const topoAnnotations: Record<string, string> = {};
  for (const [attr, key] of Object.entries(TOPOLOGY)) {
    const v = s[attr as keyof typeof TOPOLOGY];
    if (v !== undefined) (isLabelValue(v) ? topoLabels : topoAnnotations)[key] = v;
  }
  const numeric = Object.fromEntries(NUMERIC.map((attr) => [annotationKey(attr), String(s[attr])]));
  const bmcAddress = s.bmc ? metal3BmcAddress(s.bmc) : undefined;
  return {
    apiVersion: "metal3.io/v1alpha1",
    kind: "BareMetalHost",
    metadata: {
      name: s.name,
      namespace: INVENTORY_NAMESPACE,
      labels: managedLabels({ ...(s.labels ?? {}), ...topoLabels }),
      annotations: stringMap({
        ...maintainersAnnotation(s.maintainers),
        [HOSTNAME]: s.hostname,
        [NODE_NAME]: s.node_name,
        ...topoAnnotations,
        ...numeric,
        [GPUS]: s.gpus && s.gpus.length ? JSON.stringify(s.gpus.map((g) => ({ model: g.model, count: g.count }))) : undefined,
        [MAINTENANCE]: String(s.maintenance ?? false),
        [BMC_POWER_TYPE]: s.bmc ? (s.bmc.power_type ?? "ipmi") : undefined,
      }),
    },
    spec: compact({
      online: true,
      // Metal3 reads the driver from the address's scheme (model/bmc.ts); power types it has no
      // driver for get no spec.bmc rather than a scheme-less address Metal3 would take as IPMI.
      bmc: bmcAddress ? { address: bmcAddress, credentialsName: bmcSecretName(s.name) } : undefined,
    }),
  };
}

function parseGpus(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return v; // garbage stays visible as drift
  }
}

function parse(m: Manifest): Parsed {
  const labels = labelsOf(m);
  const annotations = annotationsOf(m);
  const userLabels = Object.fromEntries(Object.entries(labels).filter(([k]) => !RESERVED_LABELS.has(k)));
  const topology = Object.fromEntries(
    Object.entries(TOPOLOGY).map(([attr, key]) => [attr, labels[key] ?? annotations[key]]),
  );
  const numeric = Object.fromEntries(NUMERIC.map((attr) => [attr, numberAnnotation(annotations[annotationKey(attr)])]));
  const maintenance = booleanAnnotation(annotations[MAINTENANCE]);
  return {
    key: m.metadata.name,
    status: maintenance === true ? "Maintenance" : "Ready",
    fields: compact({
      name: m.metadata.name,
      maintainers: readMaintainers(m),
      hostname: annotations[HOSTNAME],
      node_name: annotations[NODE_NAME],
      ...topology,
      labels: Object.keys(userLabels).length ? userLabels : undefined,
      ...numeric,
      gpus: parseGpus(annotations[GPUS]),
      maintenance,
    }),
  };
}

function carried(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = withDefaults<ServerArgs>("server", spec);
  return compact({
    name: s.name,
    maintainers: carriedMaintainers(s.maintainers),
    hostname: s.hostname,
    node_name: s.node_name,
    rack: s.rack,
    zone: s.zone,
    region: s.region,
    datacenter: s.datacenter,
    labels: s.labels && Object.keys(s.labels).length ? { ...s.labels } : undefined,
    ...Object.fromEntries(NUMERIC.map((attr) => [attr, s[attr]])),
    gpus: s.gpus && s.gpus.length ? s.gpus.map((g) => ({ model: g.model, count: g.count })) : undefined,
    maintenance: s.maintenance ?? false,
    // `bmc` is not carried: its username and password live only in the BMC Secret, so the record
    // holds part of the attribute, and a partial value would read as drift on every refresh.
  });
}

export const serverRenderer: Renderer = {
  kind: "server",
  apiVersion: "metal3.io/v1alpha1",
  manifestKind: "BareMetalHost",
  render,
  parse,
  carried,
  kube: {
    namespace: INVENTORY_NAMESPACE,
    // `<server>-bmc-secret` (keys `username`, `password`): what Metal3's credentialsName expects.
    companions(spec) {
      const bmc = spec.bmc as { username?: string; password?: string } | undefined;
      const data = bmc ? Object.fromEntries(Object.entries({ username: bmc.username, password: bmc.password }).filter(([, v]) => v !== undefined)) : undefined;
      return [{ ref: secretRef(INVENTORY_NAMESPACE, bmcSecretName(String(spec.name))), data: data as Record<string, string> | undefined }];
    },
    companionRefs: ({ stem }) => [secretRef(INVENTORY_NAMESPACE, bmcSecretName(stem))],
  },
};
