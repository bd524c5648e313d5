/**
 * Pulumi state remembers the ledger: every resource's outputs carry `ledgerId`, and Read, Update
 * and Delete with outputs of another ledger are refused with both ids named, before anything is
 * read or written. Outputs without `ledgerId` (state written before ledgers had ids) are accepted.
 * Driven through the real dynamic-provider host over gRPC, with the serialized providers a
 * program built with the SDK produces; real SQLite ledger and gitops manifests in temp dirs.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { openEngine } from "../../provider/src/api";
import { openLedger } from "../../provider/src/ledger/open";
import type { Engine } from "../../provider/src/engine/engine";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { failureOf, HostProcess, serializedProviders, stackConfig, tempDir, type Props } from "./support";

const NO_STACK = /\n\s+at /;
const OTHER = "ledger-of-another-stack";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const urnOf = (kind: ResourceKind, name: string) => `urn:pulumi:test::otterscale-estate::pulumi-nodejs:dynamic/otterscale:${kind}::${name}`;

describe("pulumi: outputs remember the ledger (the dynamic-provider host over gRPC)", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const hosts: HostProcess[] = [];
  let texts: Record<ResourceKind, string>;
  let home: string;
  let host: HostProcess;
  let engine: Engine;

  const dir = (prefix: string) => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
  const withProvider = (kind: ResourceKind, props: Props): Props => ({ ...props, __provider: texts[kind] });

  async function startHost(config: Record<string, string>): Promise<HostProcess> {
    const h = await HostProcess.start({ cwd: dir("otterscale-pulumi-cwd-"), env: { OTTERSCALE_HOME: dir("otterscale-pulumi-decoy-"), OTTERSCALE_LEDGER_URL: "", OTTERSCALE_CONTROLLER_URL: "" } });
    hosts.push(h);
    await h.configure(config);
    return h;
  }

  /** Check then Create, as `pulumi up` does for a new resource. */
  async function apply(h: HostProcess, kind: ResourceKind, inputs: Props): Promise<{ id: string; outs: Props; inputs: Props }> {
    const checked = await h.check(urnOf(kind, String(inputs.name ?? inputs.tenant)), {}, withProvider(kind, inputs));
    assert.deepEqual(checked.failures, [], `check of ${kind} ${JSON.stringify(inputs)}`);
    const created = await h.create(checked.inputs);
    return { ...created, inputs: checked.inputs };
  }

  /** What a refused call must leave as it was: the ledger's rows and audit trail, the manifests. */
  async function fingerprint(): Promise<unknown> {
    const rows = await engine.ledger.read(async (tx) => (await tx.list()).map((r) => [r.kind, r.key, r.state, r.generation, r.spec]));
    const audit = (await engine.ledger.audit()).length;
    const files = (fs.readdirSync(path.join(home, "manifests"), { recursive: true }) as string[]).sort().map((f) => {
      const p = path.join(home, "manifests", f);
      return fs.statSync(p).isFile() ? [f, fs.readFileSync(p, "utf8")] : [f];
    });
    return { rows, audit, files };
  }

  function assertRefused(message: string, kind: ResourceKind, id: string, stateLedger = OTHER, ledger = engine.ledgerId, url = stackConfig(home)["otterscale:ledgerUrl"]): void {
    assert.ok(message.startsWith(`the stack's state of ${kind} ${id} was written against ledger ${stateLedger}, but the configured ledger ${url} is ledger ${ledger}`), message);
    assert.doesNotMatch(message, NO_STACK);
  }

  before(async () => {
    texts = await serializedProviders();
    home = dir("otterscale-pulumi-ledger-id-");
    // The stack's ledger exists before the program runs (`otterscale ledger init`).
    await (await openLedger(stackConfig(home)["otterscale:ledgerUrl"], { create: true })).close();
    host = await startHost(stackConfig(home));
    for (const s of ["s1", "s2"]) await apply(host, "server", { name: s, cpuCores: 16, memoryGib: 64, storageGib: 1000 });
    await apply(host, "baremetal_group", { name: "g", servers: ["s1", "s2"] });
    await apply(host, "tenant_quota", { tenant: "acme", group: "g", cpuCores: 16, memoryGib: 64, storageGib: 1000 });
    engine = await openEngine({ ledgerUrl: stackConfig(home)["otterscale:ledgerUrl"], controllerUrl: stackConfig(home)["otterscale:controllerUrl"] });
  });
  after(async () => {
    await engine?.close();
    for (const h of hosts) await h.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("Create and Read outputs of every kind carry ledgerId, the id of the stack's ledger", async () => {
    const made = [
      await apply(host, "server", { name: "s9", cpuCores: 4, memoryGib: 8, storageGib: 100 }),
      await apply(host, "baremetal_group", { name: "g9", servers: ["s9"] }),
      await apply(host, "tenant_quota", { tenant: "beta", group: "g9", cpuCores: 4 }),
      await apply(host, "virtual_machine", { name: "v9", tenant: "beta", group: "g9", cpuCores: 1, memoryGib: 1, diskGib: 1 }),
      await apply(host, "vcluster", { name: "c9", tenant: "beta", group: "g9", controlPlaneCpuCores: 1, controlPlaneMemoryGib: 1, controlPlaneStorageGib: 1 }),
      await apply(host, "block_pool", { name: "p9", tenant: "beta", group: "g9", sizeGib: 10, replicas: 1, deletionProtection: false }),
    ];
    for (const m of made) {
      assert.equal(m.outs.ledgerId, engine.ledgerId, `create of ${m.id}`);
      const kind = (Object.keys(texts) as ResourceKind[]).find((k) => texts[k] === m.outs.__provider)!;
      const r = await host.read(m.id, m.outs);
      assert.equal(r.outs.ledgerId, engine.ledgerId, `read of ${kind} ${m.id}`);
    }
    for (const m of made.reverse()) await host.delete(m.id, m.outs);
  });

  // Needs real ledger ids: fails while every ledger's id is the placeholder "unset".
  it("the ledgerId is the ledger's own random id (a UUID), not a placeholder", async () => {
    const q = await host.read("acme/g", withProvider("tenant_quota", { tenant: "acme", group: "g" }));
    assert.match(String(q.outs.ledgerId), UUID);
  });

  it("Diff: the ledgerId output never shows as a change (same, foreign or absent)", async () => {
    const c = await apply(host, "virtual_machine", { name: "diffed", tenant: "acme", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 });
    const none = { changes: "none", replaces: [], deleteBeforeReplace: false };
    assert.deepEqual(await host.diff(c.id, c.outs, c.inputs), none);
    assert.deepEqual(await host.diff(c.id, { ...c.outs, ledgerId: OTHER }, c.inputs), none);
    const { ledgerId: _dropped, ...older } = c.outs;
    assert.deepEqual(await host.diff(c.id, older, c.inputs), none);
    assert.deepEqual(await host.diff(c.id, c.outs, { ...c.inputs, cpuCores: 2 }), { changes: "some", replaces: [], deleteBeforeReplace: false }, "a real change still diffs");
    await host.delete(c.id, c.outs);
  });

  describe("outputs of another ledger are refused, naming both ids, and change nothing", () => {
    let vm: { id: string; outs: Props; inputs: Props };
    let foreign: Props;

    before(async () => {
      vm = await apply(host, "virtual_machine", { name: "kept", tenant: "acme", group: "g", cpuCores: 2, memoryGib: 2, diskGib: 2 });
      foreign = { ...vm.outs, ledgerId: OTHER };
    });
    after(() => host.delete(vm.id, vm.outs));

    it("Read", async () => {
      const before = await fingerprint();
      assertRefused(await failureOf(host.read(vm.id, foreign)), "virtual_machine", vm.id);
      assert.deepEqual(await fingerprint(), before);
    });

    it("Update", async () => {
      const before = await fingerprint();
      assertRefused(await failureOf(host.update(vm.id, foreign, { ...vm.inputs, cpuCores: 4 })), "virtual_machine", vm.id);
      assert.deepEqual(await fingerprint(), before);
      assert.equal((await engine.read("virtual_machine", vm.id))!.cpu_cores, 2);
    });

    it("Delete", async () => {
      const before = await fingerprint();
      assertRefused(await failureOf(host.delete(vm.id, foreign)), "virtual_machine", vm.id);
      assert.deepEqual(await fingerprint(), before);
      assert.ok(await engine.read("virtual_machine", vm.id), "still there");
    });

    it("inventory kinds too (a server, a group, a quota)", async () => {
      const q = await host.read("acme/g", withProvider("tenant_quota", { tenant: "acme", group: "g" }));
      assertRefused(await failureOf(host.delete("acme/g", { ...q.outs, ledgerId: OTHER })), "tenant_quota", "acme/g");
      const s = await host.read("s1", withProvider("server", { name: "s1" }));
      assertRefused(await failureOf(host.update("s1", { ...s.outs, ledgerId: OTHER }, { ...s.outs, cpuCores: 32 })), "server", "s1");
      const g = await host.read("g", withProvider("baremetal_group", { name: "g" }));
      assertRefused(await failureOf(host.read("g", { ...g.outs, ledgerId: OTHER })), "baremetal_group", "g");
    });
  });

  it("outputs without ledgerId (state from before ledger ids) are accepted by Read, Update and Delete", async () => {
    const c = await apply(host, "virtual_machine", { name: "older", tenant: "acme", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 });
    const { ledgerId: _dropped, ...older } = c.outs;
    const r = await host.read(c.id, older);
    assert.equal(r.id, c.id);
    assert.equal(r.outs.ledgerId, engine.ledgerId, "Read hands back outputs that remember the ledger");
    const { ledgerId: _again, ...stillOlder } = r.outs;
    const u = await host.update(c.id, stillOlder, { ...c.inputs, cpuCores: 2 });
    assert.deepEqual([u.outs.cpuCores, u.outs.ledgerId], [2, engine.ledgerId]);
    const { ledgerId: _last, ...olderStill } = u.outs;
    await host.delete(c.id, olderStill);
    assert.equal(await engine.read("virtual_machine", c.id), undefined);
  });

  // Needs real ledger ids: with the placeholder, both ledgers are "unset" and nothing is refused.
  it("two real ledgers: a stack re-pointed at ledger B refuses the state written against ledger A", async () => {
    const vm = await apply(host, "virtual_machine", { name: "moved", tenant: "acme", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 });
    const homeB = dir("otterscale-pulumi-ledger-b-");
    const configB = stackConfig(homeB);
    const ledgerB = await openLedger(configB["otterscale:ledgerUrl"], { create: true });
    const idB = ledgerB.id;
    await ledgerB.close();
    assert.notEqual(idB, engine.ledgerId, "two ledgers have different ids");
    const hostB = await startHost(configB);
    const before = await fingerprint();
    assertRefused(await failureOf(hostB.read(vm.id, vm.outs)), "virtual_machine", vm.id, engine.ledgerId, idB, configB["otterscale:ledgerUrl"]);
    assertRefused(await failureOf(hostB.update(vm.id, vm.outs, { ...vm.inputs, cpuCores: 2 })), "virtual_machine", vm.id, engine.ledgerId, idB, configB["otterscale:ledgerUrl"]);
    assertRefused(await failureOf(hostB.delete(vm.id, vm.outs)), "virtual_machine", vm.id, engine.ledgerId, idB, configB["otterscale:ledgerUrl"]);
    assert.deepEqual(await fingerprint(), before, "ledger A and its manifests untouched");
    const b = await openLedger(configB["otterscale:ledgerUrl"]);
    try {
      assert.deepEqual(await b.read((tx) => tx.list()), [], "ledger B untouched");
      assert.deepEqual(await b.audit(), []);
    } finally {
      await b.close();
    }
    assert.ok(!fs.existsSync(path.join(homeB, "manifests")), "nothing written to B's manifests");
    await host.delete(vm.id, vm.outs);
  });
});
