/**
 * The cluster enforces what the ledger enforces: the name a VM requests for its GPUs (which
 * virt-launcher requests as a pod resource) is a name the tenant's ResourceQuota caps.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { openEngine } from "../../provider/src/api";
import type { Engine } from "../../provider/src/engine/engine";
import { ledgerUrlFor, seedEstate, tempHome, vm } from "../support/estate";

describe("engine: GPU device names (gpu_devices)", () => {
  let engine: Engine;
  let home: string;
  const A100 = "nvidia.com/GA100_A100_PCIE_40GB";
  beforeEach(async () => {
    home = tempHome();
    engine = await openEngine({ home, ledgerUrl: await ledgerUrlFor(home), controllerUrl: `gitops://${path.join(home, "manifests")}`, gpuDevices: { a100: A100 } });
    await seedEstate(engine, { server: { gpus: [{ model: "a100", count: 4 }, { model: "t4", count: 2 }] }, quota: { gpus: 3 } });
  });
  afterEach(() => engine.close());
  const read = (rel: string) => parse(fs.readFileSync(path.join(home, "manifests", rel), "utf8"));

  it("the VM asks for the configured name, and the quota caps requests of exactly that name", async () => {
    await engine.create("virtual_machine", vm("train", { gpu_model: "a100", gpu_count: 2 }));
    const gpus = read("acme/virtual_machine/train.yaml").spec.template.spec.domain.devices.gpus;
    assert.deepEqual(gpus, [{ name: "gpu0", deviceName: A100 }, { name: "gpu1", deviceName: A100 }]);
    const hard = read("acme/tenant_quota/g.yaml").spec.hard;
    assert.equal(hard[`requests.${gpus[0].deviceName}`], "3", "Kubernetes counts what virt-launcher requests: the quota must name it");
    // Every model of the group's servers is capped (an unmapped one under its default name),
    // and the model-agnostic resource too.
    assert.equal(hard["requests.nvidia.com/T4"], "3");
    assert.equal(hard["requests.nvidia.com/gpu"], "3");
    assert.equal(hard["requests.nvidia.com/a100"], undefined, "no cap on a name nothing requests");
  });

  it("an unmapped model is requested under its documented default name", async () => {
    await engine.create("virtual_machine", vm("infer", { gpu_model: "t4", gpu_count: 1 }));
    assert.equal(read("acme/virtual_machine/infer.yaml").spec.template.spec.domain.devices.gpus[0].deviceName, "nvidia.com/T4");
  });
});
