/**
 * A preview tells the truth (issue 18, item 2), through the real dynamic-provider host:
 *  - no step is credited with capacity another step of the same preview frees (Pulumi runs them in
 *    parallel): shrinks count at their held size, replaced objects keep counting;
 *  - what the known values decide is judged even when other values are unknown;
 *  - an `adopt: true` that apply would refuse fails at preview.
 * Each test starts a fresh host (a preview is one host process) over a fresh ledger.
 */
import assert from "node:assert/strict";
import { Engine } from "../../provider/src/engine/engine";
import { openControllers } from "../../provider/src/controllers/registry";
import { openLedger } from "../../provider/src/ledger/open";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { UNKNOWN } from "../../sdk/pulumi/runtime";
import { faultyControllers, rejects } from "../support/estate";
import { waitUntil } from "../support/processes";
import { failureOf, HostProcess, initStackLedger, serializedProviders, stackConfig, tempDir, type Props } from "./support";

type Failure = { property: string; reason: string };

describe("pulumi: previews tell the truth (the dynamic-provider host over gRPC)", function () {
  this.timeout(60_000);
  let texts: Record<ResourceKind, string>;
  let host: HostProcess;
  let home: string;

  const urnOf = (kind: ResourceKind, name: string) => `urn:pulumi:test::otterscale-estate::pulumi-nodejs:dynamic/otterscale:${kind}::${name}`;
  const withProvider = (kind: ResourceKind, props: Props): Props => ({ ...props, __provider: texts[kind] });
  /** Check as a preview does: `olds` are the resource's previous inputs ({} for a new resource). */
  const check = async (kind: ResourceKind, news: Props, olds: Props = {}): Promise<Failure[]> =>
    (await host.check(urnOf(kind, String(news.name ?? news.tenant)), olds, withProvider(kind, news))).failures;
  /** Check then Create, as `pulumi up` does for a new resource. */
  async function apply(kind: ResourceKind, inputs: Props): Promise<{ id: string; outs: Props; inputs: Props }> {
    const checked = await host.check(urnOf(kind, String(inputs.name ?? inputs.tenant)), {}, withProvider(kind, inputs));
    assert.deepEqual(checked.failures, [], `check of ${kind} ${JSON.stringify(inputs)}`);
    return { ...(await host.create(checked.inputs)), inputs: checked.inputs };
  }
  const vm = (name: string, cpuCores: number, extra: Props = {}): Props => ({ name, tenant: "acme", group: "g", cpuCores, memoryGib: 1, diskGib: 1, ...extra });

  before(async () => {
    texts = await serializedProviders();
  });
  beforeEach(async () => {
    home = tempDir("pulumi-preview-");
    await initStackLedger(home);
    host = await HostProcess.start({ cwd: tempDir("pulumi-cwd-") });
    await host.configure(stackConfig(home));
    for (const [i, rack] of ["r1", "r2", "r1", "r2"].entries()) await apply("server", { name: `s${i + 1}`, rack, cpuCores: 32, memoryGib: 64, storageGib: 2000 });
    for (const g of ["g", "g2"]) {
      await apply("baremetal_group", { name: g, servers: g === "g" ? ["s1", "s2"] : ["s3", "s4"] });
      await apply("tenant_quota", { tenant: "acme", group: g, cpuCores: 10, storageGib: 1000 });
    }
  });
  afterEach(async () => {
    await host?.stop();
  });

  /** One failure on `property`: the engine's refusal, then the rulebook's note naming what still counted. */
  const assertRefused = (failures: { property: string; reason: string }[], property: string, refusal: string, counted: string) => {
    assert.equal(failures.length, 1, JSON.stringify(failures));
    assert.equal(failures[0].property, property);
    assert.ok(failures[0].reason.startsWith(refusal), failures[0].reason);
    assert.ok(failures[0].reason.includes(`Counted although this plan frees them: ${counted}`), failures[0].reason);
  };

  describe("no step is credited with what a parallel step frees", () => {
    const over = "quota exceeded for tenant acme in group g: cpuCores requested 6, used 8, limit 10";

    it("shrink a 8 -> 4 plus create b (6) under a limit of 10 fails at preview, in either order: a holds 8 while it runs", async () => {
      const a = await apply("virtual_machine", vm("a", 8));
      assert.deepEqual(await check("virtual_machine", { ...a.inputs, cpuCores: 4 }, a.inputs), [], "the shrink alone is fine");
      assertRefused(await check("virtual_machine", vm("b", 6)), "cpuCores", over, "virtual_machine acme/a (resized down)");
      // A fresh preview where b is checked first: a's old size is still in the ledger, so b fails.
      await host.stop();
      host = await HostProcess.start({ cwd: tempDir("pulumi-cwd-") });
      await host.configure(stackConfig(home));
      assert.deepEqual(await check("virtual_machine", vm("b", 6)), [{ property: "cpuCores", reason: over }], "nothing freed yet: no note");
      assert.deepEqual(await check("virtual_machine", { ...a.inputs, cpuCores: 4 }, a.inputs), []);
      // b of 2 fits next to a's held 8.
      assert.deepEqual(await check("virtual_machine", vm("c", 2)), []);
    });

    it("and `pulumi up` does fail so when b reserves while a's update is in flight (the engine's own verdict)", async () => {
      // The engine, as the host runs it, with a's controller call held open: b reserves meanwhile.
      const config = stackConfig(home);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const controllers = faultyControllers(openControllers(config["otterscale:controllerUrl"]), async (op, _kind, key) => {
        if (op === "apply" && key === "acme/a") await held;
      });
      await apply("virtual_machine", vm("a", 8));
      const engine = new Engine(await openLedger(config["otterscale:ledgerUrl"]), controllers, 60_000);
      try {
        const shrink = engine.update("virtual_machine", "acme/a", { name: "a", tenant: "acme", group: "g", cpu_cores: 4, memory_gib: 1, disk_gib: 1 });
        await waitUntil(async () => (await engine.ledger.read((tx) => tx.get("virtual_machine", "acme/a")))?.state === "updating", 5000, "a's update never reserved");
        const refused = await rejects(engine.create("virtual_machine", { name: "b", tenant: "acme", group: "g", cpu_cores: 6, memory_gib: 1, disk_gib: 1 }));
        assert.equal(refused.message, "quota exceeded for tenant acme in group g: cpu_cores requested 6, used 8, limit 10");
        release();
        await shrink;
      } finally {
        release();
        await engine.close();
      }
    });

    it("two updates: a shrink does not make room for another update's growth", async () => {
      const a = await apply("virtual_machine", vm("a", 8));
      const c = await apply("virtual_machine", vm("c", 2));
      assert.deepEqual(await check("virtual_machine", { ...a.inputs, cpuCores: 4 }, a.inputs), []);
      // c grows 2 -> 6: needs 4 more on top of a's held 8 (and its own 2).
      assertRefused(await check("virtual_machine", { ...c.inputs, cpuCores: 6 }, c.inputs), "cpuCores", "quota exceeded for tenant acme in group g: cpuCores requested 6 (+4), used 10, limit 10", "virtual_machine acme/a (resized down)");
    });

    it("a VM replaced into another group keeps counting in its old group for the other steps", async () => {
      const mover = await apply("virtual_machine", vm("mover", 8));
      const moved = { ...mover.inputs, group: "g2" };
      assert.deepEqual(await host.diff(mover.id, mover.outs, moved), { changes: "some", replaces: ["group"], deleteBeforeReplace: true });
      assert.deepEqual(await check("virtual_machine", moved, mover.inputs), [], "the replacement fits in g2");
      assert.deepEqual(await check("virtual_machine", vm("b", 6)), [{ property: "cpuCores", reason: over }], "the old mover may still run in g");
      // ... and the replacement counts in g2 too.
      assert.deepEqual(await check("virtual_machine", vm("d", 4, { group: "g2" })), [
        { property: "cpuCores", reason: "quota exceeded for tenant acme in group g2: cpuCores requested 4, used 8, limit 10" },
      ]);
    });

    it("a pool replaced in its own group counts at the larger of old and new for the other steps", async () => {
      const pool = await apply("block_pool", { name: "p", tenant: "acme", group: "g", sizeGib: 600, replicas: 1, deletionProtection: false });
      const smaller = { ...pool.inputs, sizeGib: 300, failureDomain: "rack" };
      assert.deepEqual(await host.diff(pool.id, pool.outs, smaller), { changes: "some", replaces: ["failureDomain"], deleteBeforeReplace: true });
      assert.deepEqual(await check("block_pool", smaller, pool.inputs), []);
      // Held: max(600, 300) = 600, not 300 (and not 600 + 300: old and new never run together).
      assert.deepEqual(await check("block_pool", { name: "q", tenant: "acme", group: "g", sizeGib: 500, replicas: 1 }), [
        { property: "sizeGib", reason: "quota exceeded for tenant acme in group g: storageGib requested 500, used 600, limit 1000" },
      ]);
      assert.deepEqual(await check("block_pool", { name: "r", tenant: "acme", group: "g", sizeGib: 400, replicas: 1 }), []);
    });
  });

  describe("what the known values decide is judged, whatever else is unknown", () => {
    it("placement: { server: <unknown>, spreadDomain: \"planet\" } fails on spreadDomain", async () => {
      const failures = await check("virtual_machine", vm("x", 1, { placement: { server: UNKNOWN, spreadDomain: "planet" } }));
      assert.deepEqual(failures, [{ property: "placement.spreadDomain", reason: 'must be one of "server", "rack", "zone" (got "planet")' }]);
    });

    it("an unknown name does not skip the quota check when tenant, group and sizes are known", async () => {
      assert.deepEqual(await check("virtual_machine", vm(UNKNOWN, 12)), [
        { property: "cpuCores", reason: "quota exceeded for tenant acme in group g: cpuCores requested 12, used 0, limit 10" },
      ]);
      // Within the quota it passes, and counts for the steps after it: two of 6 do not fit.
      assert.deepEqual(await check("virtual_machine", vm(UNKNOWN, 6)), []);
      assert.deepEqual(await check("virtual_machine", vm(UNKNOWN, 6)), [
        { property: "cpuCores", reason: "quota exceeded for tenant acme in group g: cpuCores requested 6, used 6, limit 10" },
      ]);
    });

    it("messages about the object say its name is not known yet, never the placeholder", async () => {
      // Placement is judged too (s3 is in g2, not g); the placeholder stands in for the name only.
      assert.deepEqual(await check("virtual_machine", vm(UNKNOWN, 1, { placement: { server: "s3" } })), [
        { property: "placement.server", reason: "cannot place virtual_machine acme/(name not known yet): pinned server s3 is not a member of group g" },
      ]);
    });

    it("what depends on an unknown value is left to apply: unknown sizes, a rule between a known and an unknown value", async () => {
      assert.deepEqual(await check("virtual_machine", vm("big", UNKNOWN as never)), [], "cpuCores unknown: no quota verdict yet");
      assert.deepEqual(await check("virtual_machine", vm("aa", 1, { placement: { antiAffinityGroup: UNKNOWN, spreadDomain: "rack" } })), []);
      // The same rule with both values known is judged.
      const known = await check("virtual_machine", vm("ab", 1, { placement: { spreadDomain: "rack" } }));
      assert.deepEqual(known, [{ property: "placement.spreadDomain", reason: "only applies together with placement.antiAffinityGroup" }]);
    });

    it("a value a default would fill in is not guessed: no dry run while it is unknown", async () => {
      // gpuCount defaults to 0; unknown, the dry run would charge 0 GPUs and could pass a quota the real value fails.
      assert.deepEqual(await check("virtual_machine", vm("gpu", 12, { gpuCount: UNKNOWN })), []);
    });
  });

  describe("adopt: true", () => {
    beforeEach(async () => {
      // An object the ledger has, that this stack does not: made through another host (another stack).
      await apply("virtual_machine", vm("legacy", 2));
    });

    it("adopting across a force-new attribute fails at preview, with apply's message", async () => {
      const failures = await check("virtual_machine", vm("legacy", 2, { group: "g2", adopt: true }));
      assert.deepEqual(failures, [
        {
          property: "group",
          reason: 'cannot adopt virtual_machine acme/legacy: group is "g" in the ledger but "g2" in the program, and it cannot change in place; declare it as the ledger has it to adopt it, or choose another name',
        },
      ]);
      // What `pulumi up` would say, had the preview let it through.
      assert.equal(await failureOf(host.create(withProvider("virtual_machine", vm("legacy", 2, { group: "g2", adopt: true })))), failures[0].reason);
    });

    it("an adoption apply accepts passes preview and is planned as the in-place update it is", async () => {
      assert.deepEqual(await check("virtual_machine", vm("legacy", 8, { adopt: true })), [], "2 -> 8 cores in place: fits 10");
      // It counts at its held size for the rest of the preview: 8 (not 2 + 8).
      assert.deepEqual(await check("virtual_machine", vm("b", 2)), []);
      assert.deepEqual(await check("virtual_machine", vm("c", 1)), [
        { property: "cpuCores", reason: "quota exceeded for tenant acme in group g: cpuCores requested 1, used 10, limit 10" },
      ]);
    });
  });
});
