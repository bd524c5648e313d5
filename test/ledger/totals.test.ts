/**
 * The running totals (ledger/totals.ts) against the rows they sum, on both backends: random
 * inserts, charge and tenant changes, removals and allocation changes, after which every
 * tenant's usage and every server's load read through the ledger equal the sums computed here
 * from its rows. And a ledger from before the totals gets them filled from its rows on upgrade.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { openLedger } from "../../provider/src/ledger/open";
import { migrationsFor } from "../../provider/src/ledger/sql";
import type { Allocation, Ledger, LedgerRecord, LedgerTx, ServerLoad } from "../../provider/src/ledger/records";
import { sharedPostgres } from "../support/postgres";
import { tempHome } from "../support/estate";
import { auditEvent, ledgerRecord } from "../support/ledger";

type Op =
  | { readonly op: "put"; readonly key: number; readonly tenant: string | null; readonly grp: string; readonly cpu: number; readonly vms: number }
  | { readonly op: "remove"; readonly key: number }
  | { readonly op: "allocate"; readonly key: number; readonly servers: readonly { server: string; gpus: number; model: string | null }[] };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("put" as const), key: fc.nat(5), tenant: fc.constantFrom("acme", "beta", null), grp: fc.constantFrom("g", "h"), cpu: fc.nat(10_000), vms: fc.nat(2) }),
  fc.record({ op: fc.constant("remove" as const), key: fc.nat(5) }),
  fc.record({
    op: fc.constant("allocate" as const),
    key: fc.nat(5),
    servers: fc.array(fc.record({ server: fc.constantFrom("s1", "s2", "s3"), gpus: fc.nat(3000), model: fc.constantFrom("a100", "h100", null) }), { maxLength: 3 }),
  }),
);

async function apply(tx: LedgerTx, o: Op): Promise<void> {
  const key = `vm-${o.key}`;
  const existing = await tx.get("virtual_machine", key);
  if (o.op === "put") {
    const charge = { resources: { cpu: o.cpu, memory: 2 * o.cpu, storage: 0, gpus: 0 }, virtualMachines: o.vms, vclusters: 0, blockPools: 0 };
    const base = ledgerRecord(key, { tenant: o.tenant, grp: o.tenant === null ? null : o.grp, charge });
    await tx.put(existing ? { ...base, generation: existing.generation + 1 } : base);
  } else if (o.op === "remove") {
    if (existing) await tx.remove("virtual_machine", key);
  } else if (existing) {
    const allocations: Allocation[] = o.servers.map((s, replica) => ({ kind: "virtual_machine", key, replica, server: s.server, resources: { cpu: 1000, memory: 500, storage: 7, gpus: s.gpus }, gpuModel: s.model }));
    await tx.setAllocations("virtual_machine", key, allocations);
  }
  await tx.appendAudit(auditEvent(key));
}

/** What the totals must say, summed here from the rows. */
function expected(records: readonly LedgerRecord[], allocations: readonly Allocation[]) {
  const usage = new Map<string, { cpu: number; memory: number; vms: number }>();
  for (const r of records) {
    if (r.tenant === null || r.grp === null) continue;
    const u = usage.get(`${r.tenant}/${r.grp}`) ?? { cpu: 0, memory: 0, vms: 0 };
    u.cpu += r.charge.resources.cpu;
    u.memory += r.charge.resources.memory;
    u.vms += r.charge.virtualMachines;
    usage.set(`${r.tenant}/${r.grp}`, u);
  }
  const load = new Map<string, ServerLoad>();
  for (const a of allocations) {
    const l = load.get(a.server) ?? { allocated: { cpu: 0, memory: 0, storage: 0, gpus: 0 }, gpuModels: {} };
    for (const k of ["cpu", "memory", "storage", "gpus"] as const) l.allocated[k] += a.resources[k];
    if (a.gpuModel && a.resources.gpus > 0) l.gpuModels[a.gpuModel] = (l.gpuModels[a.gpuModel] ?? 0) + a.resources.gpus;
    load.set(a.server, l);
  }
  return { usage, load };
}

async function assertTotals(ledger: Ledger): Promise<void> {
  await ledger.read(async (tx) => {
    const want = expected(await tx.list(), await tx.allocations());
    for (const tenant of ["acme", "beta"]) {
      for (const grp of ["g", "h"]) {
        const u = await tx.usage(tenant, grp);
        const w = want.usage.get(`${tenant}/${grp}`) ?? { cpu: 0, memory: 0, vms: 0 };
        assert.deepEqual({ cpu: u.resources.cpu, memory: u.resources.memory, vms: u.virtualMachines }, w, `usage of ${tenant} in ${grp}`);
      }
    }
    assert.deepEqual(await tx.serverLoad(), want.load, "every server's load");
    assert.deepEqual(await tx.serverLoad(["s1", "s3"]), new Map([...want.load].filter(([s]) => s === "s1" || s === "s3")), "listed servers' loads");
  });
}

describe("running totals of usage and load", function () {
  this.timeout(120_000);

  for (const backend of ["sqlite", "postgres"] as const) {
    it(`equal the sums of the rows after random changes (${backend})`, async () => {
      const pg = backend === "postgres" ? await sharedPostgres() : undefined;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), async (transactions) => {
          const url = pg ? await pg.createDatabase("totals") : `sqlite://${path.join(tempHome(), "ledger.db")}`;
          const ledger = await openLedger(url, { create: true });
          try {
            for (const ops of transactions) {
              await ledger.transaction(async (tx) => {
                for (const o of ops) await apply(tx, o);
              });
            }
            await assertTotals(ledger);
          } finally {
            await ledger.close();
          }
        }),
        { numRuns: backend === "postgres" ? 25 : 60 },
      );
    });
  }

  it("a ledger from before the totals gets them from its rows on upgrade", async () => {
    const file = path.join(tempHome(), "v2.db");
    const db = new DatabaseSync(file);
    db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (2)");
    const [v1, v2] = migrationsFor("sqlite");
    db.exec(v1);
    db.exec(v2);
    db.exec("INSERT INTO meta (k, v) VALUES ('ledger_id', 'x')");
    const row = (key: string, tenant: string, cpu: number) =>
      `INSERT INTO objects (kind, key, tenant, grp, spec, secrets, computed, state, c_cpu, c_vms, generation, created_at, updated_at) VALUES ('virtual_machine', '${key}', '${tenant}', 'g', '{}', '{}', '{}', 'active', ${cpu}, 1, 1, 1, 1)`;
    db.exec(`${row("a", "acme", 1000)}; ${row("b", "acme", 3000)}; ${row("c", "beta", 500)}`);
    db.exec("INSERT INTO allocations VALUES ('virtual_machine', 'a', 0, 's1', 1000, 10, 0, 2000, 'a100'), ('virtual_machine', 'b', 0, 's1', 3000, 30, 0, 0, NULL)");
    db.close();
    const ledger = await openLedger(`sqlite://${file}`);
    try {
      await ledger.read(async (tx) => {
        assert.equal((await tx.usage("acme", "g")).resources.cpu, 4000);
        assert.equal((await tx.usage("beta", "g")).virtualMachines, 1);
        assert.deepEqual(await tx.serverLoad(["s1"]), new Map([["s1", { allocated: { cpu: 4000, memory: 40, storage: 0, gpus: 2000 }, gpuModels: { a100: 2000 } }]]));
      });
      await assertTotals(ledger);
    } finally {
      await ledger.close();
    }
  });
});
