import assert from "node:assert/strict";
import { defaultGpuDeviceName, gpuDeviceName, gpuDevicesFor, parseGpuDevicesEnv } from "../../provider/src/domain/gpu-devices";
import { resolveConfig } from "../../provider/src/engine/config";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { resolveSettings } from "../../sdk/pulumi/runtime";

describe("model/gpu-devices", () => {
  // Default: `nvidia.com/` + the model upper-cased, characters a resource name cannot hold -> `_`.
  const defaults: [string, string][] = [
    ["a100", "nvidia.com/A100"],
    ["h100-sxm", "nvidia.com/H100-SXM"],
    ["h100 80gb", "nvidia.com/H100_80GB"],
    ["l40s/pcie", "nvidia.com/L40S_PCIE"],
  ];
  for (const [model, want] of defaults) it(`default name of ${JSON.stringify(model)} is ${want}`, () => assert.equal(defaultGpuDeviceName(model), want));

  it("a configured name wins; others keep their default", () => {
    const devices = { a100: "nvidia.com/GA100_A100_PCIE_40GB" };
    assert.equal(gpuDeviceName("a100", devices), "nvidia.com/GA100_A100_PCIE_40GB");
    assert.deepEqual(gpuDevicesFor(["t4", "a100", "t4"], devices), { a100: "nvidia.com/GA100_A100_PCIE_40GB", t4: "nvidia.com/T4" });
  });

  it("a model whose default is no valid resource name is a config error naming gpu_devices", () => {
    assert.throws(() => gpuDeviceName("-"), (e: unknown) => OtterscaleError.isInstance(e) && e.code === "config" && /gpu_devices/.test(e.message) && e.problems[0]?.path === "gpu_devices.-");
  });

  it("OTTERSCALE_GPU_DEVICES is a JSON object of valid names; anything else is an error naming the variable", () => {
    assert.deepEqual(parseGpuDevicesEnv('{"a100":"nvidia.com/GA100_A100_PCIE_40GB"}'), { a100: "nvidia.com/GA100_A100_PCIE_40GB" });
    assert.equal(parseGpuDevicesEnv(undefined), undefined);
    assert.equal(parseGpuDevicesEnv(" "), undefined);
    for (const bad of ["{a100}", "[]", '"x"', '{"a100":"GA100 A100"}', '{"a100":7}']) {
      assert.throws(() => parseGpuDevicesEnv(bad), (e: unknown) => OtterscaleError.isInstance(e) && e.code === "config" && /OTTERSCALE_GPU_DEVICES/.test(e.message), bad);
    }
  });

  it("resolveConfig: explicit gpu_devices, then OTTERSCALE_GPU_DEVICES, then none", () => {
    const env = { OTTERSCALE_HOME: "/tmp/x", OTTERSCALE_GPU_DEVICES: '{"t4":"nvidia.com/TU104GL_Tesla_T4"}' };
    assert.deepEqual(resolveConfig({}, env).gpuDevices, { t4: "nvidia.com/TU104GL_Tesla_T4" });
    assert.deepEqual(resolveConfig({ gpuDevices: { a100: "example.com/a100" } }, env).gpuDevices, { a100: "example.com/a100" });
    assert.deepEqual(resolveConfig({}, { OTTERSCALE_HOME: "/tmp/x" }).gpuDevices, {});
    assert.throws(() => resolveConfig({ gpuDevices: { a100: "no slash" } }, {}), /gpu_devices: "a100" maps to "no slash"/);
  });

  it("Pulumi: stack config otterscale:gpuDevices (an object, as JSON text) wins over the environment", () => {
    const env = { OTTERSCALE_HOME: "/tmp/x", OTTERSCALE_GPU_DEVICES: '{"t4":"nvidia.com/T4_ENV"}' };
    const stack = (v: unknown) => ({ ...env, PULUMI_CONFIG: JSON.stringify({ "otterscale:gpuDevices": v }) });
    assert.deepEqual(resolveSettings({}, stack('{"a100":"nvidia.com/GA100_A100_PCIE_40GB"}')).gpuDevices, { a100: "nvidia.com/GA100_A100_PCIE_40GB" });
    assert.deepEqual(resolveSettings({}, env).gpuDevices, { t4: "nvidia.com/T4_ENV" });
    assert.throws(() => resolveSettings({}, stack('{"a100":"bad name"}')), /otterscale:gpuDevices: "a100" maps to "bad name"/);
  });
});
