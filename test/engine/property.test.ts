/**
 * Property: random sequences of create / resize / delete never exceed a server's capacity or a
 * tenant's limit, and the ledger's totals always equal the sum of what the surviving VMs hold.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { BACKENDS, seedEstate, testEngine, vm } from "../support/estate";

type Op =
  | { op: "create"; tenant: "acme" | "beta"; name: number; cpu: number; mem: number; disk: number }
  | { op: "resize"; name: number; cpu: number; mem: number }
  | { op: "delete"; name: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("create" as const), tenant: fc.constantFrom("acme" as const, "beta" as const), name: fc.nat(11), cpu: fc.integer({ min: 1, max: 9 }), mem: fc.integer({ min: 1, max: 40 }), disk: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ op: fc.constant("resize" as const), name: fc.nat(11), cpu: fc.integer({ min: 1, max: 12 }), mem: fc.integer({ min: 1, max: 48 }) }),
  fc.record({ op: fc.constant("delete" as const), name: fc.nat(11) }),
);

const LIMITS = { acme: { cpu: 20, mem: 96 }, beta: { cpu: 30, mem: 120 } };

for (const backend of BACKENDS) describe(`property: quotas and capacities hold for any operation sequence (${backend})`, () => {
  it("never oversubscribes; ledger totals equal the sum of live VMs", async function () {
    this.timeout(300_000);
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 25 }), async (ops) => {
        const { engine } = await testEngine(undefined, backend);
        try {
          // 3 servers of 16 cores / 64 GiB / 1000 GiB; two tenants whose quotas together exceed them.
          await seedEstate(engine, { servers: 3, quota: { cpu_cores: LIMITS.acme.cpu, memory_gib: LIMITS.acme.mem, storage_gib: 2000 } });
          await engine.create("tenant_quota", { tenant: "beta", group: "g", cpu_cores: LIMITS.beta.cpu, memory_gib: LIMITS.beta.mem, storage_gib: 2000 });
          // The model: what each live VM holds, per name -> {tenant, cpu, mem, disk, server}
          const live = new Map<string, { tenant: string; cpu: number; mem: number; disk: number; server: string }>();
          for (const o of ops) {
            const id = (t: string) => `${t}/vm-${o.name}`;
            if (o.op === "create") {
              try {
                const s = await engine.create("virtual_machine", vm(`vm-${o.name}`, { tenant: o.tenant, cpu_cores: o.cpu, memory_gib: o.mem, disk_gib: o.disk }));
                live.set(id(o.tenant), { tenant: o.tenant, cpu: o.cpu, mem: o.mem, disk: o.disk, server: String(s.server) });
              } catch (e) {
                assert.ok(["quota_exceeded", "unplaceable", "already_exists"].includes((e as { code: string }).code), String(e));
              }
            } else {
              const key = [...live.keys()].find((k) => k.endsWith(`/vm-${o.name}`));
              if (!key) continue;
              const cur = live.get(key)!;
              if (o.op === "delete") {
                await engine.delete("virtual_machine", key);
                live.delete(key);
              } else {
                try {
                  await engine.update("virtual_machine", key, vm(`vm-${o.name}`, { tenant: cur.tenant, cpu_cores: o.cpu, memory_gib: o.mem, disk_gib: cur.disk }));
                  live.set(key, { ...cur, cpu: o.cpu, mem: o.mem });
                } catch (e) {
                  assert.ok(["quota_exceeded", "unplaceable"].includes((e as { code: string }).code), String(e));
                }
              }
            }
            // Invariants after every step, read through the public API.
            for (const t of ["acme", "beta"] as const) {
              const q = (await engine.read("tenant_quota", `${t}/g`))!;
              const mine = [...live.values()].filter((v) => v.tenant === t);
              assert.equal(q.used_cpu_cores, mine.reduce((n, v) => n + v.cpu, 0));
              assert.equal(q.used_memory_gib, mine.reduce((n, v) => n + v.mem, 0));
              assert.equal(q.used_virtual_machines, mine.length);
              assert.ok((q.used_cpu_cores as number) <= LIMITS[t].cpu);
              assert.ok((q.used_memory_gib as number) <= LIMITS[t].mem);
            }
            for (const s of ["s1", "s2", "s3"]) {
              const srv = (await engine.read("server", s))!;
              const here = [...live.values()].filter((v) => v.server === s);
              assert.equal(srv.allocated_cpu_cores, here.reduce((n, v) => n + v.cpu, 0));
              assert.equal(srv.allocated_storage_gib, here.reduce((n, v) => n + v.disk, 0));
              assert.ok((srv.allocated_cpu_cores as number) <= 16);
              assert.ok((srv.allocated_memory_gib as number) <= 64);
              assert.ok((srv.allocated_storage_gib as number) <= 1000);
            }
          }
        } finally {
          await engine.close();
        }
      }),
      { numRuns: 25, seed: 20261122 },
    );
  });
});
