/**
 * vcluster -> Flux `helm.toolkit.fluxcd.io/v2 HelmRelease` of the `vcluster` chart (HelmRepository
 * `loft`), in the tenant's namespace.
 *
 * Values set (vCluster >= 0.20 layout): the k8s distro and its version, control-plane replicas,
 * resources and volume size, node affinity to the placed servers' hostnames with one replica per
 * host, and `policies.resourceQuota` from the workload quota. Pausing keeps the release (Flux
 * `suspend` stays false so the pause itself is reconciled) and scales the control plane to 0.
 */
import { stringify } from "yaml";
import type { VclusterArgs } from "../../schema/types.gen";
import type { DesiredObject, PlacedServer } from "../types";
import {
  ANNOTATION,
  annotationsOf,
  at,
  carriedMaintainers,
  compact,
  stringMap,
  LABEL,
  labelsOf,
  maintainersAnnotation,
  managedLabels,
  numberAnnotation,
  orRaw,
  readMaintainers,
  serverNames,
  splitList,
  type Manifest,
  type Parsed,
} from "./manifest";
import { cpuQuantity, gibOf, gibQuantity, unitsOf } from "./quantity";
import { withDefaults, type Renderer } from "./renderer";

export const PAUSED = "otterscale.io/paused";
/** Replica count to restore on resume (the values say 0 while paused). */
export const CONTROL_PLANE_REPLICAS = "otterscale.io/control-plane-replicas";
export const HELM_REPOSITORY = { kind: "HelmRepository", name: "loft", namespace: "flux-system" } as const;
const HOSTNAME = "kubernetes.io/hostname";

/** In-cluster API endpoint of the vCluster service. */
export function vclusterEndpoint(tenant: string, name: string): string {
  return `https://${name}.${tenant}.svc.cluster.local:443`;
}

/** The Secret vCluster writes its kubeconfig to (`vc-<name>`, key `config`). */
export const vclusterSecretName = (name: string): string => `vc-${name}`;

/**
 * A kubeconfig for the endpoint. gitops mode holds no credential, so the user entry only points
 * at the vCluster's Secret (through a kubeconfig extension) where the real one lives.
 */
export function vclusterKubeconfig(tenant: string, name: string): string {
  const id = vclusterSecretName(name);
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: id, cluster: { server: vclusterEndpoint(tenant, name) } }],
    users: [
      {
        name: id,
        user: {
          extensions: [
            { name: "otterscale.io/credentials", extension: { secretRef: { namespace: tenant, name: id, key: "config" } } },
          ],
        },
      },
    ],
    contexts: [{ name: id, context: { cluster: id, user: id, namespace: "default" } }],
    "current-context": id,
  });
}

/** `image.tag` of the k8s distro needs a full `vX.Y.Z`; shorter versions only set `version`. */
function imageTag(version: string): string | undefined {
  const v = version.startsWith("v") ? version : `v${version}`;
  return /^v\d+\.\d+\.\d+$/.test(v) ? v : undefined;
}

/** Control-plane pods only on the placed hosts, at most one per host. */
function affinity(name: string, placement: readonly PlacedServer[]): Record<string, unknown> | undefined {
  if (placement.length === 0) return undefined;
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: HOSTNAME, operator: "In", values: placement.map((p) => p.hostname) }] },
        ],
      },
    },
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: HOSTNAME, labelSelector: { matchLabels: { app: "vcluster", release: name } } },
      ],
    },
  };
}

function render(obj: DesiredObject): Manifest {
  const s = withDefaults<Required<Omit<VclusterArgs, "maintainers">> & VclusterArgs>("vcluster", obj.spec);
  const resources = { cpu: cpuQuantity(s.control_plane_cpu_cores), memory: gibQuantity(s.control_plane_memory_gib) };
  return {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: {
      name: s.name,
      namespace: s.tenant,
      labels: managedLabels({ [LABEL.tenant]: s.tenant, [LABEL.group]: s.group, [LABEL.name]: s.name }),
      annotations: stringMap({
        ...maintainersAnnotation(s.maintainers),
        [ANNOTATION.servers]: serverNames(obj.placement) || undefined,
        [CONTROL_PLANE_REPLICAS]: String(s.control_plane_replicas),
        [PAUSED]: s.paused ? "true" : undefined,
      }),
    },
    spec: {
      interval: "10m",
      releaseName: s.name,
      chart: { spec: { chart: "vcluster", sourceRef: { ...HELM_REPOSITORY } } },
      suspend: false,
      values: {
        controlPlane: {
          distro: { k8s: compact({ enabled: true, version: s.kubernetes_version, image: tagged(s.kubernetes_version) }) },
          statefulSet: {
            highAvailability: { replicas: s.paused ? 0 : s.control_plane_replicas },
            resources: { requests: { ...resources }, limits: { ...resources } },
            persistence: { volumeClaim: { enabled: true, size: gibQuantity(s.control_plane_storage_gib) } },
            scheduling: compact({ podManagementPolicy: "Parallel", affinity: affinity(s.name, obj.placement) }),
          },
        },
        policies: {
          resourceQuota: {
            enabled: true,
            quota: {
              "requests.cpu": cpuQuantity(s.workload_cpu_cores),
              "requests.memory": gibQuantity(s.workload_memory_gib),
              "requests.storage": gibQuantity(s.workload_storage_gib),
            },
          },
        },
      },
    },
  };
}

function tagged(version: string): { tag: string } | undefined {
  const tag = imageTag(version);
  return tag ? { tag } : undefined;
}

function parse(m: Manifest): Parsed {
  const labels = labelsOf(m);
  const annotations = annotationsOf(m);
  const values = at(m, "spec", "values");
  const sts = at(values, "controlPlane", "statefulSet");
  const quota = at(values, "policies", "resourceQuota", "quota");
  const q = (k: string) => at(quota, k);
  const replicas = at(sts, "highAvailability", "replicas");
  const paused = annotations[PAUSED] === "true" || replicas === 0;
  const name = labels[LABEL.name] ?? m.metadata.name;
  const tenant = labels[LABEL.tenant] ?? m.metadata.namespace ?? "";
  const cpu = at(sts, "resources", "requests", "cpu");
  const memory = at(sts, "resources", "requests", "memory");
  const storage = at(sts, "persistence", "volumeClaim", "size");
  const k8s = at(values, "controlPlane", "distro", "k8s");
  return compact({
    key: `${tenant}/${name}`,
    status: paused ? "Paused" : "Running",
    fields: compact({
      name,
      tenant,
      group: labels[LABEL.group],
      maintainers: readMaintainers(m),
      kubernetes_version: at(k8s, "version") ?? at(k8s, "image", "tag"),
      control_plane_replicas:
        typeof replicas === "number" && replicas > 0 ? replicas : numberAnnotation(annotations[CONTROL_PLANE_REPLICAS]),
      control_plane_cpu_cores: orRaw(unitsOf(cpu), cpu),
      control_plane_memory_gib: orRaw(gibOf(memory), memory),
      control_plane_storage_gib: orRaw(gibOf(storage), storage),
      workload_cpu_cores: orRaw(unitsOf(q("requests.cpu")), q("requests.cpu")),
      workload_memory_gib: orRaw(gibOf(q("requests.memory")), q("requests.memory")),
      workload_storage_gib: orRaw(gibOf(q("requests.storage")), q("requests.storage")),
      paused,
    }),
    servers: splitList(annotations[ANNOTATION.servers]),
    endpoint: vclusterEndpoint(tenant, name),
    kubeconfig: vclusterKubeconfig(tenant, name),
  }) as Parsed;
}

function carried(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = withDefaults<Required<Omit<VclusterArgs, "maintainers">> & VclusterArgs>("vcluster", spec);
  return compact({
    name: s.name,
    tenant: s.tenant,
    group: s.group,
    maintainers: carriedMaintainers(s.maintainers),
    kubernetes_version: s.kubernetes_version,
    control_plane_replicas: s.control_plane_replicas,
    control_plane_cpu_cores: s.control_plane_cpu_cores,
    control_plane_memory_gib: s.control_plane_memory_gib,
    control_plane_storage_gib: s.control_plane_storage_gib,
    workload_cpu_cores: s.workload_cpu_cores,
    workload_memory_gib: s.workload_memory_gib,
    workload_storage_gib: s.workload_storage_gib,
    paused: s.paused,
  });
}

export const vclusterRenderer: Renderer = {
  kind: "vcluster",
  apiVersion: "helm.toolkit.fluxcd.io/v2",
  manifestKind: "HelmRelease",
  render,
  parse,
  carried,
  credentialsSecret: (key) => {
    const [tenant, name] = key.split("/");
    return { namespace: tenant, name: vclusterSecretName(name), key: "config" };
  },
};
