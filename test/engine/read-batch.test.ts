/**
 * Coalesced reads (engine/read-batch.ts): the concurrent reads of a refresh share one ledger read
 * transaction, every read still answers its own object (or its own error), and no read is
 * answered from data older than its call (a write before a read is seen by it, even while an
 * earlier batch is still running).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { Engine } from "../../provider/src/engine/engine";
import type { Answer, KindController, ObservedObject } from "../../provider/src/controllers/types";
import type { Ledger } from "../../provider/src/ledger/records";
import { fileOf } from "../../provider/src/controllers/gitops/paths";
import { BACKENDS, seedEstate, testEngine, vm } from "../support/estate";
import * as path from "node:path";

/** Counts the ledger's read transactions (Ledger.read) from now on. */
function countReads(engine: Engine): { readonly count: number } {
  const ledger = engine.ledger as Ledger & { read: Ledger["read"] };
  const orig = ledger.read.bind(ledger);
  const counter = { count: 0 };
  ledger.read = (fn) => {
    counter.count++;
    return orig(fn);
  };
  return counter;
}

/**
 * Runs `before(keys)` ahead of every backend read of the VM controller (get, and the batch
 * getMany), then `after` on each answer.
 */
function aroundReads(engine: Engine, before: (keys: readonly string[]) => Promise<void> | void, after: (key: string, a: Answer<ObservedObject | undefined>) => Answer<ObservedObject | undefined> = (_, a) => a): void {
  const c = engine.controllers.forKind("virtual_machine") as KindController;
  const get = c.get.bind(c);
  c.get = async (key, ctx) => {
    await before([key]);
    const a = after(key, await get(key, ctx).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })));
    if (!a.ok) throw a.error;
    return a.value;
  };
  const many = c.getMany?.bind(c);
  if (many)
    c.getMany = async (keys, expected, ctx) => {
      await before(keys);
      return (await many(keys, expected, ctx)).map((a, i) => after(keys[i], a));
    };
}

const VMS = 12;
/** Each VM's own size, so an answer for the wrong object shows. */
const cpuOf = (i: number) => (i % 3) + 1;

for (const backend of BACKENDS) {
  describe(`engine: coalesced reads (${backend})`, () => {
    let engine: Engine;
    let home: string;

    beforeEach(async () => {
      ({ engine, home } = await testEngine(undefined, backend));
      await seedEstate(engine);
      for (let i = 1; i <= VMS; i++) await engine.create("virtual_machine", vm(`web-${i}`, { cpu_cores: cpuOf(i) }));
    });
    afterEach(async () => engine.close());

    it("a refresh of many resources reads the ledger once per batch and answers each with its own state", async () => {
      const keys = Array.from({ length: VMS }, (_, i) => `acme/web-${i + 1}`);
      // One at a time: the answers the batch must equal (each a batch of one).
      const alone = [];
      for (const k of keys) alone.push(await engine.read("virtual_machine", k));
      const reads = countReads(engine);
      const [batched, s1, g, q, none] = await Promise.all([
        Promise.all(keys.map((k) => engine.read("virtual_machine", k))),
        engine.read("server", "s1"),
        engine.read("baremetal_group", "g"),
        engine.read("tenant_quota", "acme/g"),
        engine.read("virtual_machine", "acme/no-such-vm"),
      ]);
      assert.equal(reads.count, 1, "one ledger read transaction for the whole refresh");
      assert.deepEqual(batched, alone);
      batched.forEach((s, i) => {
        assert.equal(s?.id, keys[i]);
        assert.equal(s?.cpu_cores, cpuOf(i + 1));
        assert.equal(s?.status, "Running");
      });
      assert.equal(s1?.id, "s1");
      assert.ok(Number(s1?.allocated_cpu_cores) > 0, "a server's allocation comes from the same snapshot");
      assert.deepEqual(g?.member_servers, ["s1", "s2", "s3", "s4"]);
      assert.equal(q?.used_virtual_machines, VMS);
      assert.equal(none, undefined);
    });

    it("a failing or missing object fails or vanishes alone; the rest of the batch answers", async () => {
      await engine.read("virtual_machine", "acme/web-1"); // the location check passes once
      fs.rmSync(fileOf(path.join(home, "manifests"), "virtual_machine", "acme/web-2"));
      aroundReads(
        engine,
        () => undefined,
        (key, a) => (key === "acme/web-3" ? { ok: false, error: new Error("backend unreachable for web-3") } : a),
      );
      const reads = countReads(engine);
      const answers = await Promise.allSettled([1, 2, 3, 4].map((i) => engine.read("virtual_machine", `acme/web-${i}`)));
      assert.equal(reads.count, 1);
      assert.deepEqual(
        answers.map((a) => a.status),
        ["fulfilled", "fulfilled", "rejected", "fulfilled"],
      );
      assert.equal((answers[0] as PromiseFulfilledResult<unknown>).value && ((answers[0] as PromiseFulfilledResult<Record<string, unknown>>).value.id), "acme/web-1");
      assert.equal((answers[1] as PromiseFulfilledResult<unknown>).value, undefined, "a VM missing on the backend reads as gone");
      assert.match(String((answers[2] as PromiseRejectedResult).reason), /web-3/);
      assert.equal((answers[3] as PromiseFulfilledResult<Record<string, unknown>>).value.cpu_cores, cpuOf(4));
    });

    it("a write between two reads is seen by the second, even while the first batch still runs", async () => {
      const key = "acme/web-1";
      assert.equal((await engine.read("virtual_machine", key))?.memory_gib, 4);
      await engine.update("virtual_machine", key, vm("web-1", { cpu_cores: cpuOf(1), memory_gib: 6 }));
      assert.equal((await engine.read("virtual_machine", key))?.memory_gib, 6, "sequential: the second read sees the write");

      // The first batch is held inside its backend read until the write has committed and the
      // second read has been asked: the second must not join the running batch.
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      let held = false;
      aroundReads(engine, async () => {
        if (!held) {
          held = true;
          entered();
          await gate;
        }
      });
      const reads = countReads(engine);
      const first = engine.read("virtual_machine", key);
      await inside;
      await engine.update("virtual_machine", key, vm("web-1", { cpu_cores: cpuOf(1), memory_gib: 8 }));
      const second = engine.read("virtual_machine", key);
      open();
      const [a, b] = await Promise.all([first, second]);
      // The first read began before the write: either value is true of some moment of its call
      // (its ledger row is older, the manifest it then reads is newer).
      assert.ok([6, 8].includes(Number(a?.memory_gib)), `first read: ${String(a?.memory_gib)}`);
      assert.equal(b?.memory_gib, 8, "the read asked after the write sees it");
      assert.equal(reads.count, 2, "two batches: the second read did not join the running one");
    });
  });
}
