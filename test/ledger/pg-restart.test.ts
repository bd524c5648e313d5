/**
 * Fault: the PostgreSQL server restarts (`pg_ctl restart -m fast`) in the middle of a batch of
 * creates and deletes. Operations caught by it fail with a clear error (no stack trace); retrying
 * them succeeds; afterwards the ledger's usage, its rows, the server allocations, the audit trail
 * and the manifests on disk all agree: nothing lost, nothing counted twice. Uses its own server
 * so the restart cannot disturb other suites.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { openEngine } from "../../provider/src/api";
import { OtterscaleError } from "../../provider/src/domain/errors";
import type { Engine } from "../../provider/src/engine/engine";
import { manifests, seedEstate, tempHome, vm } from "../support/estate";
import { startPostgres, type PgServer } from "../support/postgres";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("PostgreSQL restarted in the middle of a batch", function () {
  this.timeout(120_000);
  let pg: PgServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg?.stop());

  it("failed operations report clear errors, retries succeed, no allocation is lost or duplicated", async () => {
    const home = tempHome();
    const engine: Engine = await openEngine({ home, ledgerUrl: await pg.createDatabase(), controllerUrl: `gitops://${path.join(home, "manifests")}` });
    await seedEstate(engine, { servers: 8, quota: { cpu_cores: 1000 } });
    const small = (i: number) => vm(`vm-${i}`, { cpu_cores: 1, memory_gib: 1, disk_gib: 1 });
    for (let i = 0; i < 20; i++) await engine.create("virtual_machine", small(i));

    // The batch: create vm-20..vm-99 and delete vm-0..vm-19, 8 at a time, like terraform -parallelism=8.
    const ops: { name: string; run: () => Promise<unknown> }[] = [];
    for (let i = 20; i < 100; i++) {
      ops.push({ name: `create vm-${i}`, run: () => engine.create("virtual_machine", small(i)) });
      if (i % 4 === 0) {
        const d = (i - 20) / 4;
        ops.push({ name: `delete vm-${d}`, run: () => engine.delete("virtual_machine", `acme/vm-${d}`) });
      }
    }
    const failures: { op: string; code: string; message: string }[] = [];
    let restarted: Promise<void> | undefined;
    let done = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ops.length) {
          const op = ops[next++];
          for (let attempt = 1; ; attempt++) {
            try {
              await op.run();
              break;
            } catch (e) {
              assert.ok(OtterscaleError.isInstance(e), `${op.name}: not a domain error: ${String((e as Error)?.stack ?? e)}`);
              failures.push({ op: op.name, code: e.code, message: e.message });
              assert.ok(attempt < 100, `${op.name} kept failing: ${e.message}`);
              await sleep(100); // the caller's retry (terraform apply run again)
            }
          }
          // Restart once a third of the batch is through, while the rest is in flight.
          if (++done === Math.floor(ops.length / 3)) restarted = pg.restart();
        }
      }),
    );
    await restarted;

    assert.ok(failures.length > 0, "the restart hit operations in flight");
    for (const f of failures) {
      assert.ok(["unavailable", "conflict", "config"].includes(f.code), `${f.op}: ${f.code} ${f.message}`);
      assert.match(f.message, /PostgreSQL ledger at postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+/, f.message);
      assert.ok(!/\n\s+at /.test(f.message), `no stack trace: ${f.message}`);
    }

    // Everything agrees: 80 live VMs (vm-20..vm-99), one core each.
    const expected = Array.from({ length: 80 }, (_, i) => `acme/vm-${i + 20}`).sort();
    const rows = await engine.ledger.read((tx) => tx.list({ kinds: ["virtual_machine"] }));
    assert.deepEqual(rows.map((r) => r.key).sort(), expected);
    assert.ok(rows.every((r) => r.state === "active"), "no row left pending or deleting");
    const q = (await engine.read("tenant_quota", "acme/g"))!;
    assert.deepEqual([q.used_cpu_cores, q.used_memory_gib, q.used_storage_gib, q.used_virtual_machines], [80, 80, 80, 80]);
    const allocs = await engine.ledger.read((tx) => tx.allocations());
    assert.deepEqual(allocs.map((a) => a.key).sort(), expected, "exactly one allocation per live VM");
    const load = await engine.ledger.read(async (tx) => [...(await tx.serverLoad()).values()].reduce((n, l) => n + l.allocated.cpu, 0));
    assert.equal(load, 80_000);
    const files = manifests(home).filter((m) => m.includes("virtual_machine"));
    assert.deepEqual(files.map((f) => `acme/${path.basename(f, ".yaml")}`).sort(), expected);
    // The audit trail adds up to the same: every reserve is matched by exactly one release/delete or a live VM.
    let cpu = 0;
    for (const e of await engine.ledger.audit(0, 100_000)) if (e.kind === "virtual_machine") cpu += Number(e.delta.cpu_cores ?? 0);
    assert.equal(cpu, 80);
    console.log(`      (${failures.length} operations failed during the restart and succeeded on retry; e.g. "${failures[0].message}")`);
    await engine.close();
  });
});
