/**
 * Pulumi owners at the edges: a resource renamed with aliases keeps acting as the owner its state
 * recorded; state written before owners were recorded can never delete another stack's object.
 */
import assert from "node:assert/strict";
import { check, closeEngines, create, remove, update } from "../../sdk/pulumi/runtime";
import { initStackLedger, stackConfig, tempDir } from "./support";
import { openEngine } from "../../provider/src/api";
import { seedEstate } from "../support/estate";

async function setup(name: string) {
  const home = tempDir(name);
  await initStackLedger(home);
  const settings = { ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] };
  const e = await openEngine(settings);
  await seedEstate(e, { servers: 2 });
  await e.close();
  return settings;
}

describe("pulumi: owners at the edges", function () {
  this.timeout(60_000);
  after(() => closeEngines());

  it("a resource renamed with aliases still previews and updates (it acts as the owner its state recorded)", async () => {
    const settings = await setup("pulumi-rename-");
    const inputs = { name: "web", tenant: "acme", group: "g", cpuCores: 2, memoryGib: 4, diskGib: 10, __otterscaleOwner: "pulumi:proj/dev#web" };
    const made = await create("virtual_machine", inputs, settings);
    const checked = await check("virtual_machine", made.outs!, { ...inputs, cpuCores: 3, __otterscaleOwner: "pulumi:proj/dev#frontend" }, settings);
    assert.deepEqual(checked.failures ?? [], []);
    const r = await update("virtual_machine", made.id, made.outs!, checked.inputs, settings).then(
      () => "ok",
      (e: Error) => e.message,
    );
    assert.equal(r, "ok");
  });

  it("state from before owners cannot delete another stack's object", async () => {
    const settings = await setup("pulumi-legacy-");
    const made = await create("virtual_machine", { name: "web", tenant: "acme", group: "g", cpuCores: 2, memoryGib: 4, diskGib: 10, __otterscaleOwner: "pulumi:proj/prod#web" }, settings);
    const legacy = Object.fromEntries(Object.entries(made.outs!).filter(([k]) => k !== "__otterscaleOwner" && k !== "ledgerId"));
    const r = await remove("virtual_machine", made.id, settings, legacy).then(
      () => "deleted",
      (e: Error) => `refused: ${e.message}`,
    );
    assert.match(r, /^refused: .*belongs to pulumi:proj\/prod#web/, r);
    // Its own objects (none recorded an owner) it still manages.
    const own = await create("virtual_machine", { name: "old", tenant: "acme", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 }, settings);
    await remove("virtual_machine", own.id, settings, Object.fromEntries(Object.entries(own.outs!).filter(([k]) => k !== "__otterscaleOwner")));
  });
});
