/**
 * Two Pulumi stacks of one program on one ledger (two `setMocks` runs with different stack
 * names, each resource's provider deserialized as the host does). The first stack owns what it
 * creates; the second's declarations of the same objects fail naming the first stack; an object
 * only the second declares is its own, and the first stack's destroy never touches it.
 */
import assert from "node:assert/strict";
import { declareEstate, type Estate } from "../../examples/pulumi/estate";
import * as otterscale from "../../sdk/pulumi";
import { openEngine } from "../../provider/src/api";
import { check, closeEngines, create, remove } from "../../sdk/pulumi/runtime";
import { initStackLedger, InProcessHost, mockEngine, settle, stackConfig, tempDir, type MockRecord } from "./support";

const everything = (e: Estate) => [...e.servers, e.group, e.quotas.acme, e.quotas.globex, ...e.vms, e.vcluster, ...e.pools];

describe("pulumi: two stacks on one ledger, one owner per object", function () {
  this.timeout(60_000);
  after(() => closeEngines());

  it("the second stack is refused naming the first; the first's destroy leaves the second's object alone", async () => {
    const home = tempDir("pulumi-stacks-");
    await initStackLedger(home);
    const host = new InProcessHost(stackConfig(home));

    const dev = await mockEngine(host, { preview: false, stack: "dev" });
    const estate = declareEstate();
    await Promise.all(everything(estate).map((r) => settle(r.urn)));
    assert.deepEqual(dev.filter((r) => r.error || r.failures), [], "the first stack creates everything");
    const devCount = dev.length;

    const prod = await mockEngine(host, { preview: false, stack: "prod" });
    const again = declareEstate();
    const extra = new otterscale.VirtualMachine("prod-only", { tenant: "acme", group: "prod", cpuCores: 1, memoryGib: 1, diskGib: 1 });
    await Promise.all([...everything(again), extra].map((r) => settle(r.urn)));
    // Refused at check time (preview), naming the owner.
    const why = (r: MockRecord) => r.error ?? r.failures?.map((f) => f.reason).join("; ");
    const refused = prod.filter((r) => why(r));
    assert.equal(refused.length, devCount, `every shared object is refused: ${JSON.stringify(prod.map((r) => [r.name, why(r) ?? "ok"]))}`);
    for (const r of refused) assert.match(why(r)!, new RegExp(`belongs to pulumi:otterscale-estate/dev#${r.name}, so pulumi:otterscale-estate/prod#${r.name} cannot create it`));
    assert.match(why(refused[0])!, /adopt: true/);
    const mine = prod.find((r) => r.name === "prod-only")!;
    assert.equal(why(mine), undefined);

    // Destroying the first stack: its provider deletes what its state holds (as `pulumi destroy`).
    const deleteAll = async (records: MockRecord[]) => {
      // What the deserialized provider's delete runs (runtime.remove), with the stack's settings.
      const settings = { ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] };
      for (const r of [...records].reverse().filter((x) => x.outs && !x.error)) await remove("virtual_machine", `${r.inputs.tenant}/${r.inputs.name}`, settings, r.outs!);
    };
    // The VMs (its quota and group stay while the second stack's VM uses them; its pools are
    // deletion-protected).
    await deleteAll(dev.filter((r) => r.type.endsWith(":VirtualMachine")));
    // And the second stack can never destroy the first's objects.
    const settings = { ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] };
    await assert.rejects(remove("tenant_quota", "acme/prod", settings, { __otterscaleOwner: "pulumi:otterscale-estate/prod#acme-prod" }), /belongs to pulumi:otterscale-estate\/dev#acme-prod/);
    const engine = await openEngine({ ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] });
    try {
      const row = await engine.ledger.read((tx) => tx.get("virtual_machine", "acme/prod-only"));
      assert.equal(row?.state, "active", "the second stack's own VM is untouched");
      assert.equal(row?.owner, "pulumi:otterscale-estate/prod#prod-only");
      const web = await engine.ledger.read((tx) => tx.get("virtual_machine", "acme/web-1"));
      assert.equal(web, undefined, "the first stack's VMs are gone: its own destroy worked");
    } finally {
      await engine.close();
    }
  });
});

describe("pulumi: two resources of one stack swapping names", function () {
  this.timeout(60_000);
  after(() => closeEngines());

  it("is refused at preview, naming the resource that owns each name; both VMs stay, each with its own resource", async () => {
    const home = tempDir("pulumi-swap-");
    await initStackLedger(home);
    const host = new InProcessHost(stackConfig(home));
    const records = await mockEngine(host, { preview: false, stack: "dev" });
    const estate = declareEstate();
    const a = new otterscale.VirtualMachine("a", { name: "vm-x", tenant: "acme", group: estate.quotas.acme.group, cpuCores: 1, memoryGib: 1, diskGib: 1 });
    const b = new otterscale.VirtualMachine("b", { name: "vm-y", tenant: "acme", group: estate.quotas.acme.group, cpuCores: 1, memoryGib: 1, diskGib: 1 });
    await Promise.all([...everything(estate), a, b].map((r) => settle(r.urn)));
    const recA = records.find((r) => r.name === "a")!;
    const recB = records.find((r) => r.name === "b")!;
    assert.ok(recA.outs && recB.outs, JSON.stringify([recA.error, recA.failures, recB.error, recB.failures]));

    // The update swaps the names. Pulumi checks each new input set against the old one.
    const settings = { ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] };
    const swappedA = await check("virtual_machine", recA.inputs, { ...recA.inputs, name: "vm-y" }, settings);
    const swappedB = await check("virtual_machine", recB.inputs, { ...recB.inputs, name: "vm-x" }, settings);
    assert.match(swappedA.failures?.[0]?.reason ?? "", /virtual_machine acme\/vm-y belongs to pulumi:otterscale-estate\/dev#b, so pulumi:otterscale-estate\/dev#a cannot create it/);
    assert.match(swappedB.failures?.[0]?.reason ?? "", /virtual_machine acme\/vm-x belongs to pulumi:otterscale-estate\/dev#a/);
    // And were the preview skipped, the create itself is refused the same way.
    await assert.rejects(create("virtual_machine", { ...recA.inputs, name: "vm-y" }, settings), /belongs to pulumi:otterscale-estate\/dev#b/);

    const engine = await openEngine({ ledgerUrl: settings.ledgerUrl, controllerUrl: settings.controllerUrl });
    try {
      const owners = await engine.ledger.read(async (tx) => (await tx.list({ kinds: ["virtual_machine"] })).filter((r) => r.key.startsWith("acme/vm-")).map((r) => [r.key, r.owner]));
      assert.deepEqual(owners, [["acme/vm-x", "pulumi:otterscale-estate/dev#a"], ["acme/vm-y", "pulumi:otterscale-estate/dev#b"]]);
    } finally {
      await engine.close();
    }
  });
});
