/**
 * GPU model -> the device (extended-resource) name the cluster advertises for it. KubeVirt VMs
 * ask for a GPU by that name (`devices.gpus[].deviceName`), virt-launcher requests it as a pod
 * resource, and a ResourceQuota can only count what pods request: so the VM manifest and the
 * tenant's quota must use the same name, and it must be the cluster's name (from its
 * `permittedHostDevices`, e.g. `nvidia.com/GA100_A100_PCIE_40GB`), which no model string implies.
 * Operators configure it (`gpu_devices`); a model they did not list gets `nvidia.com/<MODEL>`.
 */
import { OtterscaleError } from "./errors";

export type GpuDevices = Readonly<Record<string, string>>;

/**
 * The model-agnostic resource (NVIDIA's device plugin): what a VM without `gpu_model` asks for,
 * and what the tenant quota's total GPU cap counts.
 */
export const ANY_GPU_DEVICE = "nvidia.com/gpu";

/** Vendor prefix of the default names. */
const DEFAULT_PREFIX = "nvidia.com/";

/**
 * An extended-resource name: a DNS subdomain prefix and a qualified name (schema/provider.json
 * checks configured names with the same rule).
 */
const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;

/**
 * The default name of a model: upper-cased, every character a resource name cannot hold
 * replaced by `_`, under `nvidia.com/`.
 *
 * Example: `a100` -> `nvidia.com/A100`; `h100 80gb` -> `nvidia.com/H100_80GB`.
 */
export function defaultGpuDeviceName(model: string): string {
  return DEFAULT_PREFIX + model.toUpperCase().replace(/[^A-Z0-9_.-]/g, "_");
}

/**
 * The device name of `model`: the configured one, else the default. A default that is not a
 * valid resource name (a model such as `-x-`) is a configuration error naming gpu_devices.
 *
 * Example: `gpuDeviceName("a100", {a100: "nvidia.com/GA100_A100_PCIE_40GB"})` -> that name;
 * `gpuDeviceName("t4", {})` -> `nvidia.com/T4`.
 */
export function gpuDeviceName(model: string, devices: GpuDevices = {}): string {
  const configured = Object.prototype.hasOwnProperty.call(devices, model) ? devices[model] : undefined;
  const name = configured ?? defaultGpuDeviceName(model);
  if (!RESOURCE_NAME.test(name) || name.length > 316) {
    throw new OtterscaleError(
      "config",
      `GPU model ${JSON.stringify(model)} maps to ${JSON.stringify(name)}, which is not a valid Kubernetes extended-resource name; set gpu_devices = { ${JSON.stringify(model)} = "<the resourceName the cluster advertises>" }`,
      [{ path: `gpu_devices.${model}`, message: "not a valid extended-resource name (domain/name)" }],
    );
  }
  return name;
}

/** `model -> name` for each of `models` (sorted, deduplicated). */
export function gpuDevicesFor(models: Iterable<string>, devices: GpuDevices = {}): Record<string, string> {
  return Object.fromEntries([...new Set(models)].sort().map((m) => [m, gpuDeviceName(m, devices)]));
}

/**
 * `OTTERSCALE_GPU_DEVICES` (a JSON object of strings) as a map; undefined when unset or empty.
 * Anything else is a configuration error naming the variable, never a silent default (VMs would
 * then ask for names the cluster does not have).
 */
export function parseGpuDevicesEnv(text: string | undefined, where = "OTTERSCALE_GPU_DEVICES"): GpuDevices | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badEnv(where, `is not JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw badEnv(where, "must be a JSON object of model -> device name");
  return checkGpuDevices(v as Record<string, unknown>, where);
}

/** Checks every configured name; `where` names the setting in errors. */
export function checkGpuDevices(devices: Readonly<Record<string, unknown>>, where = "gpu_devices"): GpuDevices {
  const out: Record<string, string> = {};
  for (const [model, name] of Object.entries(devices)) {
    if (typeof name !== "string" || !RESOURCE_NAME.test(name) || name.length > 316) {
      throw new OtterscaleError("config", `${where}: ${JSON.stringify(model)} maps to ${JSON.stringify(name)}, which is not a valid Kubernetes extended-resource name (e.g. "nvidia.com/GA100_A100_PCIE_40GB")`, [
        { path: `gpu_devices.${model}`, message: "not a valid extended-resource name (domain/name)" },
      ]);
    }
    out[model] = name;
  }
  return out;
}

function badEnv(where: string, why: string): OtterscaleError {
  return new OtterscaleError("config", `${where} ${why}; e.g. ${where}='{"a100":"nvidia.com/GA100_A100_PCIE_40GB"}'`, [
    { path: "gpu_devices", message: why },
  ]);
}
