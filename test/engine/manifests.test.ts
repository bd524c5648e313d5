/**
 * The computed `manifests` attribute: the objects the renderers make for the ledger's record and
 * placement, byte-for-byte what the gitops controller writes, with secrets as references, the
 * same at create and at every later read, and new after an in-place update. The hand-off
 * controller returns the same objects and writes nothing.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { manifestToYaml } from "../../provider/src/controllers/gitops";
import { fileOf } from "../../provider/src/controllers/gitops/paths";
import { HANDED_OFF_STATUS } from "../../provider/src/controllers/handoff";
import type { Engine } from "../../provider/src/engine/engine";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { filesBesidesLedger, rejects, seedEstate, tempHome, testEngine, vm } from "../support/estate";

const USER_DATA = "#cloud-config\npassword: hunter2-very-secret\n";

/** One object of each kind, a VM with user data among them. */
async function estate(engine: Engine): Promise<Array<[ResourceKind, string]>> {
  await seedEstate(engine, { server: { bmc: { address: "10.0.0.9", username: "admin", password: "bmc-secret-pw" } } });
  await engine.create("virtual_machine", vm("web-1", { user_data: USER_DATA, gpu_count: 0, maintainers: ["user:alice"] }));
  await engine.create("vcluster", { name: "dev", tenant: "acme", group: "g" });
  await engine.create("block_pool", { name: "data", tenant: "acme", group: "g", size_gib: 100 });
  return [
    ["server", "s1"],
    ["baremetal_group", "g"],
    ["tenant_quota", "acme/g"],
    ["virtual_machine", "acme/web-1"],
    ["vcluster", "acme/dev"],
    ["block_pool", "acme/data"],
  ];
}

describe("engine: computed manifests", () => {
  it("every kind returns, at create and at read, exactly the objects the gitops controller wrote", async () => {
    const { engine, home } = await testEngine();
    const created = new Map<string, unknown>();
    const origCreate = engine.create.bind(engine);
    engine.create = async (kind, args, opts) => {
      const s = await origCreate(kind, args, opts);
      created.set(`${kind} ${s.id}`, s.manifests);
      return s;
    };
    for (const [kind, key] of await estate(engine)) {
      const state = (await engine.read(kind, key))!;
      const docs = state.manifests as string[];
      assert.ok(Array.isArray(docs) && docs.length === 1, `${kind} ${key}: one object`);
      assert.deepEqual(docs, created.get(`${kind} ${key}`), `${kind} ${key}: read equals create`);
      const file = fs.readFileSync(fileOf(path.join(home, "manifests"), kind, key), "utf8");
      assert.equal(manifestToYaml(JSON.parse(docs[0])), file, `${kind} ${key}: byte-equal to the gitops file`);
    }
    await engine.close();
  });

  it("secrets are references: user data and BMC passwords appear nowhere, their Secrets are named", async () => {
    const { engine } = await testEngine();
    const keys = await estate(engine);
    const all = (await Promise.all(keys.map(async ([k, key]) => (await engine.read(k, key))!.manifests as string[]))).flat().join("\n");
    assert.ok(!all.includes("hunter2") && !all.includes("bmc-secret-pw"));
    const vmObj = JSON.parse(((await engine.read("virtual_machine", "acme/web-1"))!.manifests as string[])[0]);
    assert.deepEqual(vmObj.spec.template.spec.volumes.at(-1), { name: "cloudinitdisk", cloudInitNoCloud: { secretRef: { name: "web-1-user-data" } } });
    assert.match(vmObj.metadata.annotations["otterscale.io/user-data-sha256"], /^[0-9a-f]{64}$/);
    const server = JSON.parse(((await engine.read("server", "s1"))!.manifests as string[])[0]);
    assert.equal(server.spec.bmc.credentialsName, "s1-bmc-secret");
    await engine.close();
  });

  it("an in-place update changes the manifests; reads after it return the new ones", async () => {
    const { engine } = await testEngine();
    await seedEstate(engine);
    const before = await engine.create("virtual_machine", vm("web-1"));
    const after = await engine.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 4 }));
    assert.notDeepEqual(after.manifests, before.manifests);
    assert.equal(JSON.parse((after.manifests as string[])[0]).spec.template.spec.domain.cpu.cores, 4);
    assert.deepEqual((await engine.read("virtual_machine", "acme/web-1"))!.manifests, after.manifests);
    await engine.close();
  });

  it("hand-off: the same objects as gitops, nothing on disk, and the status says the ledger is the record", async () => {
    const gitops = await testEngine();
    const handoff = await testEngine(tempHome(), "sqlite", "handoff");
    const keys = await estate(gitops.engine);
    await estate(handoff.engine);
    for (const [kind, key] of keys) {
      const h = (await handoff.engine.read(kind, key))!;
      assert.deepEqual(h.manifests, (await gitops.engine.read(kind, key))!.manifests, `${kind} ${key}`);
      if ("status" in h && kind !== "baremetal_group" && kind !== "tenant_quota") assert.equal(h.status, HANDED_OFF_STATUS);
    }
    assert.deepEqual(filesBesidesLedger(handoff.home), []);
    // Quota is enforced exactly as with gitops.
    const e = await rejects(handoff.engine.create("virtual_machine", vm("huge", { cpu_cores: 1000, memory_gib: 1 })));
    assert.ok(["quota_exceeded", "unplaceable"].includes(e.code), e.code);
    assert.deepEqual(await handoff.engine.reconcileBackend(true), [], "nothing to compare with: no findings, nothing released");
    await handoff.engine.delete("virtual_machine", "acme/web-1");
    assert.equal(await handoff.engine.read("virtual_machine", "acme/web-1"), undefined);
    assert.equal((await handoff.engine.read("tenant_quota", "acme/g"))!.used_virtual_machines, 0);
    await gitops.engine.close();
    await handoff.engine.close();
  });
});
