/**
 * vcluster -> Flux `helm.toolkit.fluxcd.io/v2 HelmRelease` of the `vcluster` chart (HelmRepository
 * `loft`), in the tenant's namespace, pinned to a supported chart version (`chart_version`, else
 * the provider's `vcluster_chart_version`; the versions and their layouts are in
 * vcluster-chart.ts). The release installs into a namespace of its own
 * (`vclusterNamespace`), because the chart's ResourceQuota covers its whole namespace: in the
 * tenant's namespace it would also count the tenant's VMs and other vClusters.
 *
 * Values, in the pinned version's layout (checked against each version's values.schema.json by
 * test/controllers/upstream-schemas.test.ts): the k8s distro and its version (one `image` before
 * 0.25 split into apiServer/controllerManager/scheduler images), control-plane replicas,
 * resources and volume size, node affinity to the placed servers with one replica per host,
 * embedded etcd when replicas > 1 (the default SQLite store refuses more than one replica).
 *
 * The workload quota: Helm merges our `policies.resourceQuota.quota` over the chart's default
 * quota (limits.memory 40Gi, count/pods 20, ...), so a Flux post-renderer replaces the rendered
 * ResourceQuota's `spec.hard` with exactly our keys. The control plane's own pods and volumes live
 * in that namespace too (and the virtual cluster's CoreDNS, synced there as a pod); their
 * reservation (replicas x control-plane resources, plus CoreDNS's requests) is added to the hard
 * limits, so the control plane is never blocked and workloads get exactly what was asked.
 *
 * Pausing keeps the release (Flux `suspend` stays false so the pause itself is reconciled) and
 * scales the control plane to 0.
 */
import { caughtUp, condition, READY } from "./kube-binding";
import { createHash } from "node:crypto";
import { yamlLib } from "../yaml";
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
import { COREDNS, chartVersionOf, enforcedQuota, exactQuota, k8sDistro, quotaHard, workloadShare, type Spec } from "./vcluster-chart";

export const PAUSED = "otterscale.io/paused";
/** Replica count to restore on resume (the values say 0 while paused). */
export const CONTROL_PLANE_REPLICAS = "otterscale.io/control-plane-replicas";
export const HELM_REPOSITORY = { kind: "HelmRepository", name: "loft", namespace: "flux-system" } as const;
const HOSTNAME = "kubernetes.io/hostname";

/**
 * The namespace the release installs into and syncs workloads to: `vc-<name>-<hash>`, unique per
 * tenant/name (the hash) and a valid DNS label (name cut to 44 characters).
 *
 * Example: `("acme", "dev")` -> `vc-dev-` + the first 8 hex digits of sha256("acme/dev").
 */
export function vclusterNamespace(tenant: string, name: string): string {
  const hash = createHash("sha256").update(`${tenant}/${name}`).digest("hex").slice(0, 8);
  return `vc-${name.slice(0, 44).replace(/-+$/, "")}-${hash}`;
}

/** In-cluster API endpoint of the vCluster service. */
export function vclusterEndpoint(tenant: string, name: string): string {
  return `https://${name}.${vclusterNamespace(tenant, name)}.svc.cluster.local:443`;
}

/** The Secret vCluster writes its kubeconfig to (`vc-<name>`, key `config`). */
export const vclusterSecretName = (name: string): string => `vc-${name}`;

/**
 * A kubeconfig for the endpoint. gitops mode holds no credential, so the user entry only points
 * at the vCluster's Secret (through a kubeconfig extension) where the real one lives.
 */
export function vclusterKubeconfig(tenant: string, name: string): string {
  const id = vclusterSecretName(name);
  return yamlLib().stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: id, cluster: { server: vclusterEndpoint(tenant, name) } }],
    users: [
      {
        name: id,
        user: {
          extensions: [
            { name: "otterscale.io/credentials", extension: { secretRef: { namespace: vclusterNamespace(tenant, name), name: id, key: "config" } } },
          ],
        },
      },
    ],
    contexts: [{ name: id, context: { cluster: id, user: id, namespace: "default" } }],
    "current-context": id,
  });
}

/** Control-plane pods only on the placed hosts, at most one per host. */
function affinity(name: string, placement: readonly PlacedServer[]): Record<string, unknown> | undefined {
  if (placement.length === 0) return undefined;
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: HOSTNAME, operator: "In", values: placement.map((p) => p.nodeName) }] },
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
  const s = withDefaults<Spec>("vcluster", obj.spec);
  const chartVersion = chartVersionOf(obj);
  const resources = { cpu: cpuQuantity(s.control_plane_cpu_cores), memory: gibQuantity(s.control_plane_memory_gib) };
  const hard = quotaHard(s);
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
      targetNamespace: vclusterNamespace(s.tenant, s.name),
      install: { createNamespace: true },
      chart: { spec: { chart: "vcluster", version: chartVersion, sourceRef: { ...HELM_REPOSITORY } } },
      suspend: false,
      postRenderers: [exactQuota(s.name, hard)],
      values: {
        controlPlane: compact({
          distro: { k8s: k8sDistro(chartVersion, s.kubernetes_version) },
          // SQLite (the default store) serves one replica only; vcluster >= 0.21 exits otherwise.
          backingStore: s.control_plane_replicas > 1 ? { etcd: { embedded: { enabled: true } } } : undefined,
          coredns: {
            deployment: {
              replicas: COREDNS.replicas,
              resources: { requests: { cpu: cpuQuantity(COREDNS.cpu), memory: gibQuantity(COREDNS.memoryGib) } },
            },
          },
          statefulSet: {
            highAvailability: { replicas: s.paused ? 0 : s.control_plane_replicas },
            resources: { requests: { ...resources }, limits: { ...resources } },
            persistence: { volumeClaim: { enabled: true, size: gibQuantity(s.control_plane_storage_gib) } },
            scheduling: compact({ podManagementPolicy: "Parallel", affinity: affinity(s.name, obj.placement) }),
          },
        }),
        policies: { resourceQuota: { enabled: true, quota: hard } },
      },
    },
  };
}

function parse(m: Manifest): Parsed {
  const labels = labelsOf(m);
  const annotations = annotationsOf(m);
  const values = at(m, "spec", "values");
  const sts = at(values, "controlPlane", "statefulSet");
  const quota = enforcedQuota(m);
  const q = (k: string) => at(quota, k);
  const replicas = at(sts, "highAvailability", "replicas");
  const paused = annotations[PAUSED] === "true" || replicas === 0;
  const name = labels[LABEL.name] ?? m.metadata.name;
  const tenant = labels[LABEL.tenant] ?? m.metadata.namespace ?? "";
  const cpu = at(sts, "resources", "requests", "cpu");
  const memory = at(sts, "resources", "requests", "memory");
  const storage = at(sts, "persistence", "volumeClaim", "size");
  const k8s = at(values, "controlPlane", "distro", "k8s");
  const declared = typeof replicas === "number" && replicas > 0 ? replicas : numberAnnotation(annotations[CONTROL_PLANE_REPLICAS]);
  return compact({
    key: `${tenant}/${name}`,
    status: paused ? "Paused" : "Running",
    fields: compact({
      name,
      tenant,
      group: labels[LABEL.group],
      maintainers: readMaintainers(m),
      kubernetes_version: at(k8s, "version") ?? at(k8s, "image", "tag") ?? at(k8s, "apiServer", "image", "tag"),
      control_plane_replicas: declared,
      control_plane_cpu_cores: orRaw(unitsOf(cpu), cpu),
      control_plane_memory_gib: orRaw(gibOf(memory), memory),
      control_plane_storage_gib: orRaw(gibOf(storage), storage),
      workload_cpu_cores: workloadShare(q("requests.cpu"), cpu, declared, unitsOf, COREDNS.replicas * COREDNS.cpu),
      workload_memory_gib: workloadShare(q("requests.memory"), memory, declared, gibOf, COREDNS.replicas * COREDNS.memoryGib),
      workload_storage_gib: workloadShare(q("requests.storage"), storage, declared, gibOf),
      paused,
    }),
    servers: splitList(annotations[ANNOTATION.servers]),
    endpoint: vclusterEndpoint(tenant, name),
    kubeconfig: vclusterKubeconfig(tenant, name),
  }) as Parsed;
}

/**
 * `chart_version` is not carried: unset, it follows the provider default, which the spec alone
 * does not know (see chartVersionOf).
 */
function carried(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = withDefaults<Spec>("vcluster", spec);
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
  kube: {
    // The HelmRelease's condition Ready=True, about the current generation.
    readiness(live) {
      const c = condition(live, "Ready");
      const observed = c?.observedGeneration ?? at(live, "status", "observedGeneration");
      if (c?.status === "True" && caughtUp(live, observed)) return READY;
      const why = c ? `Ready=${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}` : "no Ready condition";
      return { ready: false, detail: `last condition: ${why}, want Ready=True` };
    },
    status(live, fallback) {
      const c = condition(live, "Ready");
      if (c?.status === "True") return fallback === "Paused" ? "Paused" : "Running";
      if (c?.status === "False") return "NotReady";
      return "Pending";
    },
  },
  credentialsSecret: (key) => {
    const [tenant, name] = key.split("/");
    return { namespace: tenant, name: vclusterSecretName(name), key: "config" };
  },
};
