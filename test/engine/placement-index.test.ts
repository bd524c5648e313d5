/**
 * The engine's cached candidate indexes (engine/placement-indexes.ts) never decide differently
 * from the plain scan: pure checks of the patching against `place` over the same loads, and an
 * engine run against a second ledger driven through the plain scan, while another engine writes
 * the first ledger between reservations (as another process would).
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { openEngine } from "../../provider/src/api";
import type { ServerArgs } from "../../provider/src/catalog/types.gen";
import { candidateOf, loadMatches, NO_LOAD } from "../../provider/src/domain/inventory";
import type { Engine } from "../../provider/src/engine/engine";
import type { Inventory } from "../../provider/src/engine/inventory-view";
import { PlacementIndexes } from "../../provider/src/engine/placement-indexes";
import type { ServerLoad } from "../../provider/src/ledger/records";
import { place, type PlacementRequest } from "../../provider/src/placement";
import { ledgerUrlFor, tempHome, testEngine } from "../support/estate";
import { MODELS, requestArb } from "../placement/arbitraries";

const serverArb = (name: string): fc.Arbitrary<ServerArgs> =>
  fc.record({
    cpu_cores: fc.constantFrom(4, 8, 16),
    memory_gib: fc.constantFrom(16, 32, 64),
    storage_gib: fc.constantFrom(0, 100),
    gpus: fc.array(fc.record({ model: fc.constantFrom(...MODELS), count: fc.constantFrom(1, 2) }), { maxLength: 2 }),
    rack: fc.constantFrom("r0", "r1", "r2"),
    maintenance: fc.boolean(),
  }).map((s) => ({ name, ...s }) as ServerArgs);

/** A load in thousandths; GPUs of a model the server may or may not have (as the ledger can hold after a resize). */
const loadArb: fc.Arbitrary<ServerLoad> = fc
  .record({ cpu: fc.nat(8), memory: fc.nat(32), storage: fc.nat(50), models: fc.dictionary(fc.constantFrom(...MODELS), fc.nat(2), { maxKeys: 2 }) })
  .map(({ cpu, memory, storage, models }) => {
    const gpuModels: Record<string, number> = {};
    let gpus = 0;
    for (const [m, n] of Object.entries(models)) {
      gpuModels[m] = n * 1000;
      gpus += n * 1000;
    }
    return { allocated: { cpu: cpu * 1000, memory: memory * 1000, storage: storage * 1000, gpus }, gpuModels };
  });

function inventoryOf(servers: readonly ServerArgs[]): Inventory {
  const names = servers.map((s) => s.name);
  return { generation: 1, servers: new Map(servers.map((s) => [s.name, s])), groups: new Map(), members: () => names };
}

describe("engine placement through cached candidate indexes", () => {
  it("loadMatches says exactly when candidateOf would build an equal candidate", () => {
    fc.assert(
      fc.property(serverArb("s0"), loadArb, loadArb, fc.boolean(), (s, l1, l2, same) => {
        const later = same ? l1 : l2;
        assert.equal(loadMatches(candidateOf(s, l1), later), isDeepStrictEqual(candidateOf(s, l1), candidateOf(s, later)));
      }),
      { numRuns: 3000 },
    );
  });

  it("an index patched to each reservation's loads decides as the plain scan over those loads", () => {
    const servers = fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 30 }).chain((ids) => fc.tuple(...ids.map((i) => serverArb(`s${i}`))));
    fc.assert(
      fc.property(servers, fc.array(fc.tuple(requestArb, fc.array(fc.tuple(fc.nat(40), loadArb), { maxLength: 8 })), { minLength: 1, maxLength: 6 }), (list, steps) => {
        const inv = inventoryOf(list);
        const members = inv.members("g");
        const indexes = new PlacementIndexes();
        const load = new Map<string, ServerLoad>();
        for (const [req, changes] of steps) {
          for (const [at, l] of changes) load.set(members[at % members.length]!, l);
          const single: PlacementRequest = { ...req, replicas: 1, pinned: undefined };
          const plain = members.map((s) => candidateOf(inv.servers.get(s)!, load.get(s) ?? NO_LOAD));
          // Twice: the first use of a group answers undefined (no index yet), the second builds or patches.
          indexes.indexFor(inv, "g", members, load);
          const index = indexes.indexFor(inv, "g", members, load);
          assert.ok(index, "the second placement in a group has an index");
          assert.deepEqual(index.candidates, plain);
          assert.deepEqual(index.place(single), place(plain, single));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a new inventory (servers changed) gets a new index, never the old specs", () => {
    const a: ServerArgs = { name: "a", cpu_cores: 8, memory_gib: 32, storage_gib: 0 };
    const b: ServerArgs = { name: "b", cpu_cores: 8, memory_gib: 32, storage_gib: 0 };
    const req: PlacementRequest = { consumer: "virtual_machine t/v", demand: { cpu: 1000, memory: 1000, storage: 0, gpus: 0 }, replicas: 1, distinctDomain: "server", strategy: "binpack" };
    const indexes = new PlacementIndexes();
    const before = inventoryOf([a, b]);
    indexes.indexFor(before, "g", before.members("g"), new Map());
    assert.deepEqual(indexes.indexFor(before, "g", before.members("g"), new Map())!.place(req), { ok: true, servers: ["a"] });
    const after = inventoryOf([{ ...a, maintenance: true }, b]);
    indexes.indexFor(after, "g", after.members("g"), new Map());
    assert.deepEqual(indexes.indexFor(after, "g", after.members("g"), new Map())!.place(req), { ok: true, servers: ["b"] });
  });

  it("an engine places every VM where a plain-scan engine does, with another engine writing the same ledger", async function () {
    this.timeout(300_000);
    const indexed = await testEngine(undefined, "sqlite", "handoff");
    const other = await openEngine({ home: indexed.home, ledgerUrl: indexed.ledgerUrl, controllerUrl: "handoff://" });
    const plainHome = tempHome();
    const plainUrl = await ledgerUrlFor(plainHome);
    // A fresh engine per operation never reaches an index (it builds one on a group's second placement).
    const plainly = async <T>(op: (e: Engine) => Promise<T>): Promise<T> => {
      const e = await openEngine({ home: plainHome, ledgerUrl: plainUrl, controllerUrl: "handoff://" });
      try {
        return await op(e);
      } finally {
        await e.close();
      }
    };
    try {
      const strategies = ["binpack", "spread", "balanced"] as const;
      const setup = async (e: Engine) => {
        const names: string[] = [];
        for (let i = 0; i < 40; i++) {
          names.push(`s${String(i).padStart(2, "0")}`);
          await e.create("server", { name: names[i], rack: `r${i % 5}`, cpu_cores: [16, 32, 64][i % 3], memory_gib: [64, 128, 256][(i * 7) % 3], storage_gib: 2000, maintenance: i % 13 === 0 });
        }
        for (const s of strategies) {
          await e.create("baremetal_group", { name: s, servers: names, placement_strategy: s });
          await e.create("tenant_quota", { tenant: "acme", group: s });
        }
      };
      await setup(indexed.engine);
      await plainly(setup);
      let seed = 11;
      const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
      const live: string[] = [];
      for (let i = 0; i < 90; i++) {
        if (live.length > 10 && rand(4) === 0) {
          const id = live.splice(rand(live.length), 1)[0]!;
          await (rand(2) ? indexed.engine : other).delete("virtual_machine", id);
          await plainly((e) => e.delete("virtual_machine", id));
          continue;
        }
        const spec = { name: `vm-${i}`, tenant: "acme", group: strategies[rand(3)], cpu_cores: 1 + rand(8), memory_gib: 2 ** rand(6), disk_gib: 10 };
        // Mostly the indexed engine; every third VM from the other one, which the indexed engine must see.
        const by = i % 3 === 2 ? other : indexed.engine;
        const got = await by.create("virtual_machine", spec);
        const want = await plainly((e) => e.create("virtual_machine", spec));
        assert.equal(got.server, want.server, `vm-${i} (${spec.group}, ${spec.cpu_cores} cores, ${spec.memory_gib} GiB)`);
        live.push(`acme/vm-${i}`);
      }
    } finally {
      await other.close();
      await indexed.engine.close();
    }
  });
});
