/**
 * virtual_machine -> KubeVirt `kubevirt.io/v1 VirtualMachine`, pinned to the placed server's
 * Kubernetes node name through `nodeSelector: {kubernetes.io/hostname: <node name>}`.
 *
 * Disks: an optional containerDisk from `image` and a blank CDI DataVolume of `disk_gib`.
 * `user_data` is sensitive: the manifest only references the Secret `<vm>-user-data` (which the
 * operator or the kubernetes adapter provides) and records the sha256 of the user data in an
 * annotation, so a change of user data changes the manifest without revealing it.
 */
import { caughtUp, READY, secretRef } from "./kube-binding";
import { createHash } from "node:crypto";
import { OtterscaleError } from "../../domain/errors";
import type { VirtualMachineArgs } from "../../catalog/types.gen";
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
  orRaw,
  readMaintainers,
  type Manifest,
  type Parsed,
} from "./manifest";
import { ANY_GPU_DEVICE, gpuDeviceName } from "../../domain/gpu-devices";
import { gibOf, gibQuantity } from "./quantity";
import { withDefaults, type Renderer } from "./renderer";

/** The well-known node label kubelet sets to the node name; pinning selects on it. */
export const NODE_HOSTNAME = "kubernetes.io/hostname";
export const USER_DATA_SHA256 = "otterscale.io/user-data-sha256";
export const GPU_MODEL = "otterscale.io/gpu-model";
const DATA_DISK = "datadisk";
const CONTAINER_DISK = "containerdisk";
const CLOUD_INIT_DISK = "cloudinitdisk";

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export const userDataSecretName = (vm: string): string => `${vm}-user-data`;
export const dataVolumeName = (vm: string): string => `${vm}-data`;

function render(obj: DesiredObject): Manifest {
  const s = withDefaults<VirtualMachineArgs>("virtual_machine", obj.spec);
  const server = obj.placement[0];
  if (!server) {
    throw new OtterscaleError("controller_failed", `virtual_machine ${obj.key}: no placed server was given to the controller`);
  }
  const antiAffinity = s.placement?.anti_affinity_group;
  const labels = managedLabels({
    [LABEL.tenant]: s.tenant,
    [LABEL.group]: s.group,
    [LABEL.name]: s.name,
    [LABEL.server]: server.name,
    [LABEL.antiAffinityGroup]: antiAffinity,
  });
  // From the value when the spec has it, else from the ledger's digest of it: same manifest.
  const userDataSha = s.user_data !== undefined ? sha256Hex(s.user_data) : obj.digests?.user_data;
  const annotations = stringMap({
    ...maintainersAnnotation(s.maintainers),
    [GPU_MODEL]: s.gpu_model,
    [USER_DATA_SHA256]: userDataSha,
  });

  const disks: unknown[] = [];
  const volumes: unknown[] = [];
  if (s.image !== undefined) {
    disks.push({ name: CONTAINER_DISK, disk: { bus: "virtio" } });
    volumes.push({ name: CONTAINER_DISK, containerDisk: { image: s.image } });
  }
  disks.push({ name: DATA_DISK, disk: { bus: "virtio" } });
  volumes.push({ name: DATA_DISK, dataVolume: { name: dataVolumeName(s.name) } });
  if (userDataSha !== undefined) {
    disks.push({ name: CLOUD_INIT_DISK, disk: { bus: "virtio" } });
    volumes.push({ name: CLOUD_INIT_DISK, cloudInitNoCloud: { secretRef: { name: userDataSecretName(s.name) } } });
  }
  const gpuCount = s.gpu_count ?? 0;
  // Without a model the VM asks for the model-agnostic resource, which the quota's total caps.
  const deviceName = s.gpu_model !== undefined ? (obj.gpuDevices?.[s.gpu_model] ?? gpuDeviceName(s.gpu_model)) : ANY_GPU_DEVICE;
  const gpus = Array.from({ length: gpuCount }, (_, i) => ({ name: `gpu${i}`, deviceName }));

  return {
    apiVersion: "kubevirt.io/v1",
    kind: "VirtualMachine",
    metadata: compact({ name: s.name, namespace: s.tenant, labels, annotations: nonEmpty(annotations) }),
    spec: {
      runStrategy: s.run_strategy ?? "Always",
      dataVolumeTemplates: [
        {
          metadata: { name: dataVolumeName(s.name) },
          spec: {
            source: { blank: {} },
            storage: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: gibQuantity(s.disk_gib) } } },
          },
        },
      ],
      template: {
        metadata: { labels: compact({ [LABEL.tenant]: s.tenant, [LABEL.name]: s.name, [LABEL.antiAffinityGroup]: antiAffinity }) },
        spec: {
          nodeSelector: { [NODE_HOSTNAME]: server.nodeName },
          domain: {
            cpu: { cores: s.cpu_cores },
            memory: { guest: gibQuantity(s.memory_gib) },
            devices: compact({ disks, gpus: gpus.length ? gpus : undefined }),
          },
          volumes,
        },
      },
    },
  };
}

function nonEmpty(o: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(o).length ? o : undefined;
}

function asArray(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}

function parse(m: Manifest): Parsed {
  const labels = labelsOf(m);
  const annotations = annotationsOf(m);
  const name = labels[LABEL.name] ?? m.metadata.name;
  const tenant = labels[LABEL.tenant] ?? m.metadata.namespace;
  const podSpec = at(m, "spec", "template", "spec");
  const volumes = asArray(at(podSpec, "volumes"));
  const dvName = at(volumes.find((v) => v.name === DATA_DISK), "dataVolume", "name");
  const dvs = asArray(at(m, "spec", "dataVolumeTemplates"));
  const dv = dvs.find((d) => at(d, "metadata", "name") === dvName) ?? dvs[0];
  const diskRaw = at(dv, "spec", "storage", "resources", "requests", "storage");
  const memoryRaw = at(podSpec, "domain", "memory", "guest");
  const gpus = asArray(at(podSpec, "domain", "devices", "gpus"));
  // The device name is the cluster's (gpu_devices), so the model is read from the annotation; a
  // hand-edited deviceName shows as manifest drift (render/manifest-drift.ts).
  const gpuModel = annotations[GPU_MODEL];
  const runStrategy = at(m, "spec", "runStrategy");
  const server = labels[LABEL.server];
  const userDataSha = annotations[USER_DATA_SHA256];
  return compact({
    key: `${tenant}/${name}`,
    status: runStrategy === "Always" ? "Running" : "Stopped",
    fields: compact({
      name,
      tenant,
      group: labels[LABEL.group],
      maintainers: readMaintainers(m),
      cpu_cores: at(podSpec, "domain", "cpu", "cores"),
      memory_gib: orRaw(gibOf(memoryRaw), memoryRaw),
      disk_gib: orRaw(gibOf(diskRaw), diskRaw),
      gpu_model: gpuModel,
      gpu_count: gpus.length,
      image: at(volumes.find((v) => v.name === CONTAINER_DISK), "containerDisk", "image"),
      run_strategy: runStrategy,
    }),
    servers: server ? [server] : undefined,
    digests: userDataSha ? { user_data: userDataSha } : undefined,
  }) as Parsed;
}

function carried(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = withDefaults<VirtualMachineArgs>("virtual_machine", spec);
  return compact({
    name: s.name,
    tenant: s.tenant,
    group: s.group,
    maintainers: carriedMaintainers(s.maintainers),
    cpu_cores: s.cpu_cores,
    memory_gib: s.memory_gib,
    disk_gib: s.disk_gib,
    gpu_model: s.gpu_model,
    gpu_count: s.gpu_count ?? 0,
    image: s.image,
    run_strategy: s.run_strategy ?? "Always",
  });
}

export const virtualMachineRenderer: Renderer = {
  kind: "virtual_machine",
  apiVersion: "kubevirt.io/v1",
  manifestKind: "VirtualMachine",
  render,
  parse,
  carried,
  digested: ["user_data"], // an annotation holds its sha256, never the value
  kube: {
    // `<vm>-user-data` (key `userdata`): what KubeVirt's cloudInitNoCloud.secretRef reads.
    companions: (spec) => [
      { ref: secretRef(String(spec.tenant), userDataSecretName(String(spec.name))), data: typeof spec.user_data === "string" ? { userdata: spec.user_data } : undefined },
    ],
    companionRefs: ({ owner, stem }) => [secretRef(owner, userDataSecretName(stem))],
    // printableStatus Running (runStrategy Always) or Stopped (Halted), about the current generation.
    readiness(live) {
      const want = settledVmStatus(at(live, "spec", "runStrategy"));
      const got = at(live, "status", "printableStatus");
      if (got === want && caughtUp(live, at(live, "status", "observedGeneration"))) return READY;
      return { ready: false, detail: `last status: ${String(got ?? "none")}, want ${want}` };
    },
    status(live) {
      const s = at(live, "status", "printableStatus");
      return typeof s === "string" ? s : "Pending";
    },
  },
};

/** The printableStatus a KubeVirt VM settles in for its runStrategy. */
export function settledVmStatus(runStrategy: unknown): string {
  return runStrategy === "Halted" ? "Stopped" : "Running";
}
