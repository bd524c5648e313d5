/**
 * The vcluster chart, per supported version: which versions, the k8s distro's layout in each, and
 * the workload quota made exact (the chart's own ResourceQuota, post-rendered to our keys plus the
 * control plane's and CoreDNS's share). vcluster.ts renders the HelmRelease from these.
 */
import { yamlLib } from "../yaml";
import { fromMilli, toMilli } from "../../domain/resources";
import { schemaOf } from "../../catalog/catalog";
import type { VclusterArgs } from "../../catalog/types.gen";
import type { DesiredObject } from "../types";
import { at, compact, type Manifest } from "./manifest";
import { cpuQuantity, gibQuantity } from "./quantity";

/** Chart versions we support, and the default: schema/provider.json `vcluster_chart_version`. */
const CHART_VERSION_SCHEMA = schemaOf("provider").properties!.vcluster_chart_version as { enum: string[]; default: string };
export const VCLUSTER_CHART_VERSIONS: readonly string[] = CHART_VERSION_SCHEMA.enum;
export const DEFAULT_VCLUSTER_CHART_VERSION: string = CHART_VERSION_SCHEMA.default;

/** `image.tag` of the k8s distro needs a full `vX.Y.Z`; shorter versions only set `version`. */
function imageTag(version: string): string | undefined {
  const v = version.startsWith("v") ? version : `v${version}`;
  return /^v\d+\.\d+\.\d+$/.test(v) ? v : undefined;
}

/** Chart 0.25 folded the three k8s component images into one `controlPlane.distro.k8s.image`. */
function singleImage(chartVersion: string): boolean {
  const [major, minor] = chartVersion.split(".").map(Number);
  return major > 0 || minor >= 25;
}

/** `controlPlane.distro.k8s` in the chart version's layout. */
export function k8sDistro(chartVersion: string, kubernetesVersion: string): Record<string, unknown> {
  const image = tagged(kubernetesVersion);
  if (singleImage(chartVersion)) return compact({ enabled: true, version: kubernetesVersion, image });
  return compact({
    enabled: true,
    version: kubernetesVersion,
    apiServer: image && { image },
    controllerManager: image && { image },
    scheduler: image && { image },
  });
}

/** The chart version an object renders with: its own, else the provider default (extras). */
export function chartVersionOf(obj: Pick<DesiredObject, "spec" | "extras">): string {
  const own = obj.spec.chart_version;
  const fallback = obj.extras?.vcluster_chart_version;
  return typeof own === "string" ? own : typeof fallback === "string" ? fallback : DEFAULT_VCLUSTER_CHART_VERSION;
}

export type Spec = Required<Omit<VclusterArgs, "maintainers" | "chart_version">> & VclusterArgs;

/**
 * The virtual cluster's CoreDNS runs as a synced pod in the same namespace, so it is part of the
 * control plane's share: its requests are set explicitly (20m CPU and 128Mi; the chart's default
 * memory is 64Mi, but whole thousandths of a GiB keep the quota sums exact) and added to the quota.
 */
export const COREDNS = { replicas: 1, cpu: 0.02, memoryGib: 0.125 } as const;

/**
 * ResourceQuota `hard`: the workload quota plus the control plane's own reservation (and CoreDNS).
 *
 * Example: workload 16 cores / 64 GiB / 200 GiB, 3 replicas of 2 cores / 4 GiB / 10 GiB ->
 * cpu 16 + 3 x 2 + 0.02 = `22020m`, memory 64 + 3 x 4 + 0.125 = 76.125 GiB = `77952Mi`,
 * storage 200 + 3 x 10 = `230Gi`.
 */
export function quotaHard(s: Spec): Record<string, string> {
  const n = s.control_plane_replicas;
  const plus = (workload: number, perReplica: number, extra = 0) => fromMilli(toMilli(workload) + n * toMilli(perReplica) + toMilli(extra));
  return {
    "requests.cpu": cpuQuantity(plus(s.workload_cpu_cores, s.control_plane_cpu_cores, COREDNS.replicas * COREDNS.cpu)),
    "requests.memory": gibQuantity(plus(s.workload_memory_gib, s.control_plane_memory_gib, COREDNS.replicas * COREDNS.memoryGib)),
    "requests.storage": gibQuantity(plus(s.workload_storage_gib, s.control_plane_storage_gib)),
  };
}

/** The post-renderer that makes the chart's ResourceQuota hold exactly `hard` (no chart defaults). */
export function exactQuota(name: string, hard: Record<string, string>): Record<string, unknown> {
  return {
    kustomize: {
      patches: [
        {
          target: { version: "v1", kind: "ResourceQuota", name: `vc-${name}` },
          patch: yamlLib().stringify([{ op: "replace", path: "/spec/hard", value: hard }]),
        },
      ],
    },
  };
}

function tagged(version: string): { tag: string } | undefined {
  const tag = imageTag(version);
  return tag ? { tag } : undefined;
}

/** The workload share of a quota value: `hard` minus the control plane's, or the raw value. */
export function workloadShare(hard: unknown, perReplica: unknown, replicas: unknown, read: (q: unknown) => number | undefined, extra = 0): unknown {
  const h = read(hard);
  const p = read(perReplica);
  if (h === undefined || p === undefined || typeof replicas !== "number") return hard;
  return fromMilli(toMilli(h) - replicas * toMilli(p) - toMilli(extra));
}

/**
 * The quota the cluster enforces: the post-renderer's `spec.hard` (the values' copy is only what
 * the chart starts from). Undefined when the patch is gone (the chart's defaults would apply),
 * which reads as drift on every workload attribute.
 */
export function enforcedQuota(m: Manifest): unknown {
  const renderers = at(m, "spec", "postRenderers");
  if (!Array.isArray(renderers)) return undefined;
  for (const r of renderers) {
    const patches = at(r, "kustomize", "patches");
    if (!Array.isArray(patches)) continue;
    for (const p of patches) {
      if (at(p, "target", "kind") !== "ResourceQuota" || typeof at(p, "patch") !== "string") continue;
      try {
        const ops = yamlLib().parse(at(p, "patch") as string) as unknown;
        const op = Array.isArray(ops) ? ops.find((o) => at(o, "path") === "/spec/hard" && at(o, "op") === "replace") : undefined;
        if (op) return at(op, "value");
      } catch {
        return undefined; // a hand edit broke the patch: drift
      }
    }
  }
  return undefined;
}
