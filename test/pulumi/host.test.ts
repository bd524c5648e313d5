/**
 * The real dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`, spawned with this Node)
 * driven over gRPC with the stubs that ship in `@pulumi/pulumi/proto`, the way the Pulumi engine
 * drives it: Configure, then Check/Diff/Create/Read/Update/Delete with the serialized providers a
 * program built with the SDK produces. Real SQLite ledger and gitops manifests in a temp dir.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { openEngine } from "../../provider/src/api";
import type { Engine } from "../../provider/src/engine/engine";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { failureOf, HostProcess, serializedProviders, stackConfig, tempDir, type Props } from "./support";

const NO_STACK = /\n\s+at /;

describe("pulumi: the dynamic-provider host over gRPC", function () {
  this.timeout(60_000);
  let host: HostProcess;
  let engine: Engine;
  let home: string;
  let decoy: string;
  let texts: Record<ResourceKind, string>;

  const urnOf = (kind: ResourceKind, name: string) => `urn:pulumi:test::otterscale-estate::pulumi-nodejs:dynamic/otterscale:${kind}::${name}`;
  const withProvider = (kind: ResourceKind, props: Props): Props => ({ ...props, __provider: texts[kind] });

  /** Check then Create, as `pulumi up` does for a new resource; fails the test on check failures. */
  async function apply(kind: ResourceKind, inputs: Props): Promise<{ id: string; outs: Props; inputs: Props }> {
    const checked = await host.check(urnOf(kind, String(inputs.name ?? inputs.tenant)), {}, withProvider(kind, inputs));
    assert.deepEqual(checked.failures, [], `check of ${kind} ${JSON.stringify(inputs)}`);
    const created = await host.create(checked.inputs);
    return { ...created, inputs: checked.inputs };
  }
  const manifest = (rel: string) => path.join(home, "manifests", rel);
  const usage = async (tenant: string, group: string) => (await engine.read("tenant_quota", `${tenant}/${group}`))!;

  before(async () => {
    home = tempDir("pulumi-host-");
    decoy = tempDir("pulumi-decoy-");
    texts = await serializedProviders();
    // OTTERSCALE_HOME points elsewhere: the stack config sent by Configure must win. The stack's
    // ledger is new, and the host may create it (so its file proves where the config pointed).
    host = await HostProcess.start({
      cwd: tempDir("pulumi-cwd-"),
      env: { OTTERSCALE_HOME: decoy, OTTERSCALE_LEDGER_URL: "", OTTERSCALE_CONTROLLER_URL: "", OTTERSCALE_LEDGER_CREATE: "1" },
    });
    await host.configure(stackConfig(home));
    for (let i = 1; i <= 4; i++) {
      await apply("server", { name: `s${i}`, rack: `r${((i - 1) % 2) + 1}`, cpuCores: 16, memoryGib: 64, storageGib: 1000 });
    }
    await apply("baremetal_group", { name: "g", servers: ["s1", "s2", "s3", "s4"] });
    await apply("tenant_quota", { tenant: "acme", group: "g", cpuCores: 16, memoryGib: 64, storageGib: 1000, maxVirtualMachines: 5 });
    engine = await openEngine({ ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] });
  });
  after(async () => {
    await engine?.close();
    await host?.stop();
  });

  it("Configure: the stack config chooses the ledger and controller (the environment is only a fallback)", async () => {
    assert.ok(fs.existsSync(path.join(home, "ledger.db")));
    assert.ok(fs.existsSync(manifest("_inventory/server/s1.yaml")));
    assert.deepEqual(fs.readdirSync(decoy), []);
  });

  it("Check: bad input fails with the camelCase attribute path and the reason; defaults come back", async () => {
    const bad = await host.check(urnOf("virtual_machine", "Web_1"), {}, withProvider("virtual_machine", {
      name: "Web_1", tenant: "acme", group: "g", cpuCores: 0, memoryGib: 1, diskGib: 1, cpuCore: 3, placement: { spreadDomain: "planet" },
    }));
    assert.deepEqual(bad.failures.map((f) => f.property).sort(), ["cpuCore", "cpuCores", "name", "placement.spreadDomain"]);
    const reason = (p: string) => bad.failures.find((f) => f.property === p)!.reason;
    assert.equal(reason("cpuCore"), "is not a known attribute");
    assert.equal(reason("cpuCores"), "must be >= 1 (got 0)");
    assert.equal(reason("placement.spreadDomain"), 'must be one of "server", "rack", "zone" (got "planet")');

    const good = await host.check(urnOf("virtual_machine", "ok"), {}, withProvider("virtual_machine", { name: "ok", tenant: "acme", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 }));
    assert.deepEqual(good.failures, []);
    assert.deepEqual([good.inputs.gpuCount, good.inputs.runStrategy, good.inputs.__provider], [0, "Always", texts.virtual_machine]);
    // The passing check is now a pending create in this host process (see the batch test); creating
    // and deleting it settles it, so it does not count in later tests.
    const created = await host.create(good.inputs);
    await host.delete(created.id, created.outs);
  });

  it("Check: over quota fails naming tenant, group, dimension, requested, used and limit", async () => {
    const r = await host.check(urnOf("virtual_machine", "huge"), {}, withProvider("virtual_machine", { name: "huge", tenant: "acme", group: "g", cpuCores: 17, memoryGib: 1, diskGib: 1 }));
    assert.deepEqual(r.failures, [{ property: "cpuCores", reason: "quota exceeded for tenant acme in group g: cpuCores requested 17, used 0, limit 16" }]);
    // A quota that does not exist yet may be created by another step of the same update: the
    // preview cannot know, so it does not block (the engine warns), and the apply decides.
    const none = await host.check(urnOf("virtual_machine", "x"), {}, withProvider("virtual_machine", { name: "x", tenant: "nobody", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 }));
    assert.deepEqual(none.failures ?? [], []);
    const refused = await failureOf(host.create(withProvider("virtual_machine", { name: "x", tenant: "nobody", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 })));
    assert.match(refused, /tenant nobody has no quota in group g/);
  });

  it("Check: a batch of creates that together pass a quota fails at the one that tips it over", async () => {
    await apply("tenant_quota", { tenant: "batch", group: "g", cpuCores: 10 });
    const check = (name: string) =>
      host.check(urnOf("virtual_machine", name), {}, withProvider("virtual_machine", { name, tenant: "batch", group: "g", cpuCores: 4, memoryGib: 1, diskGib: 1 }));
    assert.deepEqual((await check("x")).failures, []);
    assert.deepEqual((await check("y")).failures, []);
    const over = "quota exceeded for tenant batch in group g: cpuCores requested 4, used 8, limit 10";
    assert.deepEqual((await check("z")).failures, [{ property: "cpuCores", reason: over }]);
    // Re-checking x does not count it twice.
    assert.deepEqual((await check("x")).failures, []);
    assert.deepEqual((await check("z")).failures, [{ property: "cpuCores", reason: over }]);
    // Once x is created it is counted by the ledger, and no longer as a pending create.
    const x = await host.create((await check("x")).inputs);
    assert.equal(x.id, "batch/x");
    assert.equal((await usage("batch", "g")).used_cpu_cores, 4);
    assert.deepEqual((await check("z")).failures, [{ property: "cpuCores", reason: over }]);
    await host.delete("batch/x", x.outs);
  });

  it("virtual machine: Create, Read, Diff, Update (resize), drift, disappearance, Delete", async () => {
    const vm = { name: "web-1", tenant: "acme", group: "g", cpuCores: 2, memoryGib: 4, diskGib: 10, userData: "#cloud-config\nsecret: 1\n" };
    const c = await apply("virtual_machine", vm);
    assert.equal(c.id, "acme/web-1");
    assert.deepEqual([c.outs.server, c.outs.rack, c.outs.status, c.outs.userData, c.outs.__provider], ["s1", "r1", "Running", vm.userData, texts.virtual_machine]);
    assert.equal(c.outs.id, undefined, "the id is Pulumi's, not an output");
    assert.ok(!fs.readFileSync(manifest("acme/virtual_machine/web-1.yaml"), "utf8").includes("secret: 1"));

    const r = await host.read(c.id, c.outs);
    assert.equal(r.id, c.id);
    assert.deepEqual([r.outs.cpuCores, r.outs.server, r.outs.userData], [2, "s1", vm.userData], "user data carried over from state");

    // No spurious diff: old outputs (with computed attributes) against the same checked inputs.
    assert.deepEqual(await host.diff(c.id, r.outs, c.inputs), { changes: "none", replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await host.diff(c.id, r.outs, { ...c.inputs, group: "g2" }), { changes: "some", replaces: ["group"], deleteBeforeReplace: true });
    assert.deepEqual(await host.diff(c.id, r.outs, { ...c.inputs, name: "web-9" }), { changes: "some", replaces: ["name"], deleteBeforeReplace: false });
    assert.deepEqual(await host.diff(c.id, r.outs, { ...c.inputs, cpuCores: 4 }), { changes: "some", replaces: [], deleteBeforeReplace: false });

    const resized = { ...c.inputs, cpuCores: 4 };
    assert.deepEqual((await host.check(urnOf("virtual_machine", "web-1"), c.inputs, resized)).failures, []);
    const u = await host.update(c.id, r.outs, resized);
    assert.deepEqual([u.outs.cpuCores, u.outs.server], [4, "s1"]);
    assert.equal((await usage("acme", "g")).used_cpu_cores, 4);
    // Growing past the quota is refused at check time (an update, not a create).
    const tooBig = await host.check(urnOf("virtual_machine", "web-1"), resized, { ...resized, cpuCores: 17 });
    assert.match(tooBig.failures[0].reason, /cpuCores requested 17 \(\+13\), used 4, limit 16/);

    // Drift: a hand edit shows up in Read, and the program's value diffs against it.
    const file = manifest("acme/virtual_machine/web-1.yaml");
    const doc = parse(fs.readFileSync(file, "utf8"));
    doc.spec.template.spec.domain.cpu.cores = 6;
    fs.writeFileSync(file, stringify(doc));
    const drifted = await host.read(c.id, u.outs);
    assert.equal(drifted.outs.cpuCores, 6);
    assert.deepEqual(await host.diff(c.id, drifted.outs, resized), { changes: "some", replaces: [], deleteBeforeReplace: false });
    await host.update(c.id, drifted.outs, resized);
    assert.equal(parse(fs.readFileSync(file, "utf8")).spec.template.spec.domain.cpu.cores, 4);

    // Deleted behind our back: Read answers "gone" (empty id) and writes nothing: the
    // reservation stays held (missing) until a create re-makes it or a delete releases it.
    fs.rmSync(file);
    const gone = await host.read(c.id, u.outs);
    assert.equal(gone.id, "");
    assert.deepEqual([(await usage("acme", "g")).used_cpu_cores, (await usage("acme", "g")).used_virtual_machines], [4, 1]);
    // Deleting what is gone succeeds (Pulumi may still hold it in state) and releases it.
    await host.delete(c.id, u.outs);
    assert.deepEqual([(await usage("acme", "g")).used_cpu_cores, (await usage("acme", "g")).used_virtual_machines], [0, 0]);
  });

  it("replace: a VM moved to another group is deleted, then re-created under the same identity", async () => {
    await apply("baremetal_group", { name: "g2", servers: ["s3", "s4"] });
    await apply("tenant_quota", { tenant: "acme", group: "g2", cpuCores: 8 });
    const c = await apply("virtual_machine", { name: "mover", tenant: "acme", group: "g", cpuCores: 2, memoryGib: 2, diskGib: 2 });
    const moved = { ...c.inputs, group: "g2" };
    // Check (olds = the old inputs) plans it as a replace, not as an in-place update of group.
    assert.deepEqual((await host.check(urnOf("virtual_machine", "mover"), c.inputs, moved)).failures, []);
    const d = await host.diff(c.id, c.outs, moved);
    assert.deepEqual(d, { changes: "some", replaces: ["group"], deleteBeforeReplace: true });
    // deleteBeforeReplace: Pulumi deletes the old object first, then checks and creates the new.
    await host.delete(c.id, c.outs);
    const n = await apply("virtual_machine", moved);
    assert.deepEqual([n.id, n.outs.group, n.outs.server], ["acme/mover", "g2", "s3"]);
    assert.deepEqual([(await usage("acme", "g")).used_cpu_cores, (await usage("acme", "g2")).used_cpu_cores], [0, 2]);
    await host.delete(n.id, n.outs);
  });

  it("server: Create, Diff, Update, Read, Delete", async () => {
    const c = await apply("server", { name: "s9", cpuCores: 8, memoryGib: 32, storageGib: 100, bmc: { address: "10.0.0.9", username: "admin", password: "hunter2" } });
    assert.deepEqual([c.id, c.outs.cpuAllocationRatio, c.outs.allocatedCpuCores, (c.outs.bmc as Props).password], ["s9", 1, 0, "hunter2"]);
    assert.ok(!fs.readFileSync(manifest("_inventory/server/s9.yaml"), "utf8").includes("hunter2"));
    assert.deepEqual(await host.diff(c.id, c.outs, c.inputs), { changes: "none", replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await host.diff(c.id, c.outs, { ...c.inputs, name: "s10" }), { changes: "some", replaces: ["name"], deleteBeforeReplace: false });
    const u = await host.update(c.id, c.outs, { ...c.inputs, cpuCores: 32, labels: { node_type: "big" } });
    assert.deepEqual([u.outs.cpuCores, u.outs.labels], [32, { node_type: "big" }], "label keys are data: never renamed");
    const r = await host.read(c.id, u.outs);
    assert.deepEqual([r.outs.cpuCores, (r.outs.bmc as Props).password], [32, "hunter2"], "the BMC password is carried over from state");
    await host.delete(c.id, r.outs);
    assert.equal(await engine.read("server", "s9"), undefined);
  });

  it("baremetal group: sets compare as sets; Update; Delete refused while a quota references it", async () => {
    const c = await apply("baremetal_group", { name: "g3", servers: ["s2", "s1"] });
    assert.deepEqual(c.outs.memberServers, ["s1", "s2"]);
    assert.deepEqual(await host.diff(c.id, c.outs, { ...c.inputs, servers: ["s1", "s2"] }), { changes: "none", replaces: [], deleteBeforeReplace: false });
    const u = await host.update(c.id, c.outs, { ...c.inputs, servers: ["s1", "s2", "s3"], description: "three" });
    assert.deepEqual([u.outs.memberServers, u.outs.description, u.outs.totalCpuCores], [["s1", "s2", "s3"], "three", 48]);
    const q = await apply("tenant_quota", { tenant: "acme", group: "g3" });
    const refused = await failureOf(host.delete(c.id, u.outs));
    assert.match(refused, /acme\/g3/);
    assert.doesNotMatch(refused, NO_STACK);
    await host.delete(q.id, q.outs);
    await host.delete(c.id, u.outs);
  });

  it("tenant quota: Diff replaces on tenant/group; Update; lowering below use is refused", async () => {
    const c = await apply("tenant_quota", { tenant: "beta", group: "g", cpuCores: 8 });
    assert.equal(c.id, "beta/g");
    assert.deepEqual(await host.diff(c.id, c.outs, { ...c.inputs, group: "g2" }), { changes: "some", replaces: ["group"], deleteBeforeReplace: false });
    const vm = await apply("virtual_machine", { name: "b1", tenant: "beta", group: "g", cpuCores: 4, memoryGib: 1, diskGib: 1 });
    const u = await host.update(c.id, c.outs, { ...c.inputs, cpuCores: 6 });
    assert.deepEqual([u.outs.cpuCores, u.outs.usedCpuCores], [6, 4]);
    const low = await host.check(urnOf("tenant_quota", "beta"), c.inputs, { ...c.inputs, cpuCores: 2 });
    assert.equal(low.failures.length, 1);
    assert.match(low.failures[0].reason, /cpuCores limit 2 < used 4/);
    await host.delete(vm.id, vm.outs);
    await host.delete(c.id, u.outs);
  });

  it("vCluster: Create (kubeconfig output), Update (pause keeps the reservation), Read, Delete", async () => {
    await apply("tenant_quota", { tenant: "gamma", group: "g" });
    const c = await apply("vcluster", { name: "dev", tenant: "gamma", group: "g", controlPlaneReplicas: 2, workloadCpuCores: 4 });
    assert.equal(c.id, "gamma/dev");
    assert.equal((c.outs.servers as string[]).length, 2);
    assert.equal(typeof c.outs.kubeconfig, "string");
    assert.deepEqual(await host.diff(c.id, c.outs, c.inputs), { changes: "none", replaces: [], deleteBeforeReplace: false });
    const u = await host.update(c.id, c.outs, { ...c.inputs, paused: true });
    assert.equal(u.outs.paused, true);
    // 2 replicas x 1 core + 4 workload cores, paused or not
    assert.equal((await usage("gamma", "g")).used_cpu_cores, 6);
    const r = await host.read(c.id, u.outs);
    assert.deepEqual([r.id, r.outs.paused], [c.id, true]);
    await host.delete(c.id, r.outs);
    assert.equal((await usage("gamma", "g")).used_vclusters, 0);
  });

  it("block pool: Create, Delete refused by deletion protection (message, no stack trace), Update, Delete", async () => {
    const c = await apply("block_pool", { name: "db", tenant: "acme", group: "g", sizeGib: 100 });
    // replicas defaults to 3 (unset in state, as the schema has it): raw = 3 x 100
    assert.deepEqual([c.id, c.outs.failureDomain, c.outs.rawGib, c.outs.deletionProtection, (c.outs.servers as string[]).length], ["acme/db", "server", 300, true, 3]);
    assert.deepEqual(await host.diff(c.id, c.outs, { ...c.inputs, failureDomain: "rack" }), { changes: "some", replaces: ["failureDomain"], deleteBeforeReplace: true });
    const refused = await failureOf(host.delete(c.id, c.outs));
    assert.equal(refused, "block pool acme/db has deletionProtection = true; set deletionProtection to false and run `pulumi up` before destroying");
    // The host writes its log line as it answers: the pipe may deliver it after the reply.
    for (const t0 = Date.now(); !host.stderr().includes(refused) && Date.now() - t0 < 5_000; ) await new Promise((r) => setTimeout(r, 20));
    assert.doesNotMatch(host.stderr(), NO_STACK, "the host logs the message, not a stack trace");
    assert.equal(host.stderr().split(refused).length - 1, 1, `the host logs the message once:\n${host.stderr()}`);
    assert.ok(host.stderr().includes(`otterscale-iac: ${refused}\n`));
    const u = await host.update(c.id, c.outs, { ...c.inputs, deletionProtection: false, sizeGib: 150 });
    assert.deepEqual([u.outs.sizeGib, u.outs.rawGib], [150, 450]);
    await host.delete(c.id, u.outs);
    assert.equal(await engine.read("block_pool", "acme/db"), undefined);
  });

  it("Create errors surface as the engine's message (already exists with another spec) and `adopt: true` takes it over", async () => {
    await engine.create("virtual_machine", { name: "legacy", tenant: "acme", group: "g", cpu_cores: 1, memory_gib: 1, disk_gib: 1 });
    const spec = { name: "legacy", tenant: "acme", group: "g", cpuCores: 2, memoryGib: 1, diskGib: 1 };
    const checked = await host.check(urnOf("virtual_machine", "legacy"), {}, withProvider("virtual_machine", spec));
    const msg = await failureOf(host.create(checked.inputs));
    assert.equal(msg, "virtual_machine acme/legacy already exists with a different configuration; set `adopt: true` on the resource to take it over (see the README), or choose another name");
    assert.doesNotMatch(msg, NO_STACK);
    // Same spec: adopted silently (the engine's create is idempotent).
    const same = await apply("virtual_machine", { ...spec, cpuCores: 1 });
    assert.equal(same.id, "acme/legacy");
    // Different spec with adopt: true: adopted, then updated in place to the program.
    const adopted = await apply("virtual_machine", { ...spec, adopt: true });
    assert.deepEqual([adopted.id, adopted.outs.cpuCores, adopted.inputs.adopt], ["acme/legacy", 2, true]);
    assert.equal((await engine.read("virtual_machine", "acme/legacy"))!.cpu_cores, 2);
    assert.deepEqual(await host.diff(adopted.id, adopted.outs, { ...adopted.inputs, adopt: false }), { changes: "none", replaces: [], deleteBeforeReplace: false });
    // Adoption never crosses a force-new attribute.
    const other = await failureOf(host.create({ ...withProvider("virtual_machine", { ...spec, group: "g2", adopt: true }) }));
    assert.match(other, /^cannot adopt virtual_machine acme\/legacy: group is "g" in the ledger but "g2" in the program/);
    await host.delete(adopted.id, adopted.outs);
  });

  it("40 concurrent Creates against a quota for 30: exactly 30 succeed, the rest get the quota error", async () => {
    for (const s of ["b1", "b2"]) await apply("server", { name: s, cpuCores: 64, memoryGib: 256, storageGib: 1000 });
    await apply("baremetal_group", { name: "burst", servers: ["b1", "b2"] });
    await apply("tenant_quota", { tenant: "burst", group: "burst", maxVirtualMachines: 30 });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        host.create(withProvider("virtual_machine", { name: `vm-${i}`, tenant: "burst", group: "burst", cpuCores: 1, memoryGib: 1, diskGib: 1 })),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(ok.length, 30);
    assert.equal(failed.length, 10);
    for (const f of failed) assert.match((f.reason as Error).message, /^quota exceeded for tenant burst in group burst: virtualMachines requested 1, used 30, limit 30$/);
    const u = await usage("burst", "burst");
    assert.deepEqual([u.used_virtual_machines, u.used_cpu_cores], [30, 30]);
    assert.equal(fs.readdirSync(manifest("burst/virtual_machine")).length, 30);
  });
});
