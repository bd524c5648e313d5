/**
 * tenant_quota -> Kubernetes `v1 ResourceQuota` `otterscale-<group>` in the tenant's namespace.
 * Unset limits are omitted (no cap). Counts Kubernetes cannot enforce per namespace for us
 * (vclusters, block pools) are recorded as annotations; the engine enforces them.
 *
 * GPUs: a ResourceQuota counts what pods request, and a VM's virt-launcher pod requests its
 * GPU's device name (`gpu_devices`), so `gpus` caps `requests.<device name>` of every model
 * the group's servers hold (or the provider maps), plus the model-agnostic `nvidia.com/gpu`.
 * Kubernetes cannot cap a sum across resource names: each name is capped at the tenant's total,
 * and the ledger enforces the total across models.
 */
import type { TenantQuotaArgs } from "../../catalog/types.gen";
import type { DesiredObject } from "../types";
import {
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
  type Manifest,
  type Parsed,
} from "./manifest";
import { ANY_GPU_DEVICE } from "../../domain/gpu-devices";
import { countQuantity, cpuQuantity, gibOf, gibQuantity, unitsOf } from "./quantity";
import { withDefaults, type Renderer } from "./renderer";

export const MAX_VCLUSTERS = "otterscale.io/max-vclusters";
export const MAX_BLOCK_POOLS = "otterscale.io/max-block-pools";

export const HARD = {
  cpu: "requests.cpu",
  memory: "requests.memory",
  storage: "requests.storage",
  gpus: `requests.${ANY_GPU_DEVICE}`,
  virtualMachines: "count/virtualmachines.kubevirt.io",
} as const;

export const quotaObjectName = (group: string): string => `otterscale-${group}`;

const opt = <T, U>(v: T | undefined, f: (v: T) => U): U | undefined => (v === undefined ? undefined : f(v));

function render(obj: DesiredObject): Manifest {
  const s = withDefaults<TenantQuotaArgs>("tenant_quota", obj.spec);
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: {
      name: quotaObjectName(s.group),
      namespace: s.tenant,
      labels: managedLabels({ [LABEL.tenant]: s.tenant, [LABEL.group]: s.group }),
      annotations: stringMap({
        ...maintainersAnnotation(s.maintainers),
        [MAX_VCLUSTERS]: opt(s.max_vclusters, String),
        [MAX_BLOCK_POOLS]: opt(s.max_block_pools, String),
      }),
    },
    spec: {
      hard: compact({
        [HARD.cpu]: opt(s.cpu_cores, cpuQuantity),
        [HARD.memory]: opt(s.memory_gib, gibQuantity),
        [HARD.storage]: opt(s.storage_gib, gibQuantity),
        [HARD.gpus]: countQuantity(s.gpus ?? 0),
        ...Object.fromEntries(Object.values(obj.gpuDevices ?? {}).map((device) => [`requests.${device}`, countQuantity(s.gpus ?? 0)])),
        [HARD.virtualMachines]: opt(s.max_virtual_machines, countQuantity),
      }),
    },
  };
}

function parse(m: Manifest): Parsed {
  const labels = labelsOf(m);
  const annotations = annotationsOf(m);
  const hard = at(m, "spec", "hard");
  const h = (k: string) => at(hard, k);
  const tenant = labels[LABEL.tenant] ?? m.metadata.namespace ?? "";
  const group = labels[LABEL.group] ?? m.metadata.name.replace(/^otterscale-/, "");
  return {
    key: `${tenant}/${group}`,
    status: "Active",
    fields: compact({
      tenant,
      group,
      maintainers: readMaintainers(m),
      cpu_cores: orRaw(unitsOf(h(HARD.cpu)), h(HARD.cpu)),
      memory_gib: orRaw(gibOf(h(HARD.memory)), h(HARD.memory)),
      storage_gib: orRaw(gibOf(h(HARD.storage)), h(HARD.storage)),
      gpus: orRaw(unitsOf(h(HARD.gpus)), h(HARD.gpus)),
      max_virtual_machines: orRaw(unitsOf(h(HARD.virtualMachines)), h(HARD.virtualMachines)),
      max_vclusters: numberAnnotation(annotations[MAX_VCLUSTERS]),
      max_block_pools: numberAnnotation(annotations[MAX_BLOCK_POOLS]),
    }),
  };
}

function carried(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = withDefaults<TenantQuotaArgs>("tenant_quota", spec);
  return compact({
    tenant: s.tenant,
    group: s.group,
    maintainers: carriedMaintainers(s.maintainers),
    cpu_cores: s.cpu_cores,
    memory_gib: s.memory_gib,
    storage_gib: s.storage_gib,
    gpus: s.gpus ?? 0,
    max_virtual_machines: s.max_virtual_machines,
    max_vclusters: s.max_vclusters,
    max_block_pools: s.max_block_pools,
  });
}

export const tenantQuotaRenderer: Renderer = {
  kind: "tenant_quota",
  apiVersion: "v1",
  manifestKind: "ResourceQuota",
  render,
  parse,
  carried,
  kube: { objectName: ({ stem }) => quotaObjectName(stem) },
};
