/**
 * `ledger migrate`: an estate built through the engine on SQLite is copied to PostgreSQL with the
 * script a user runs; an engine opened on PostgreSQL then sees exactly the same state.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { openEngine } from "../../provider/src/api";
import type { Engine } from "../../provider/src/engine/engine";
import { compareTotals, copyLedger, type LedgerTotals } from "../../provider/src/ledger/migrate";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { rejects, seedEstate, tempHome, testEngine, vm } from "../support/estate";
import { sharedPostgres } from "../support/postgres";

/** The repository root (scripts/ live there), whether tests run from dist/ or another outDir. */
function repoRoot(): string {
  for (let d = __dirname; d !== path.dirname(d); d = path.dirname(d)) {
    const pkg = path.join(d, "package.json");
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, "utf8")).name === "otterscale-iac" && fs.existsSync(path.join(d, "scripts"))) return d;
  }
  return process.cwd();
}

/** Runs scripts/ledger-migrate.js against this build. */
function migrateScript(from: string, to: string) {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), "scripts", "ledger-migrate.js"), "--from", from, "--to", to], {
    encoding: "utf8",
    env: { ...process.env, OTTERSCALE_DIST: path.resolve(__dirname, "..", "..") },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Everything a user can see through the engine: every object's state, the data sources, the audit trail. */
async function visibleState(engine: Engine) {
  const records = await engine.ledger.read((tx) => tx.list());
  const objects: Record<string, unknown> = {};
  for (const r of records) objects[`${r.kind} ${r.key}`] = await engine.read(r.kind as ResourceKind, r.key);
  const usage: Record<string, unknown> = {};
  for (const r of records.filter((x) => x.kind === "tenant_quota")) usage[r.key] = await engine.readDataSource("tenant_usage", { tenant: r.tenant, group: r.grp });
  const capacity = await engine.readDataSource("group_capacity", { group: "g" });
  const raw = await engine.ledger.read(async (tx) => ({ records: await tx.list(), allocations: await tx.allocations(), inventory: await tx.inventoryGeneration() }));
  return { objects, usage, capacity, raw, audit: await engine.ledger.audit(0, 100_000) };
}

describe("ledger migrate (SQLite -> PostgreSQL)", function () {
  this.timeout(60_000);

  it("copies an engine-built estate; an engine on PostgreSQL sees the same state and continues from it", async () => {
    const home = tempHome();
    const { engine: lite, ledgerUrl: sqliteUrl } = await testEngine(home, "sqlite");
    await seedEstate(lite, { quota: { cpu_cores: 40, max_virtual_machines: 10 } });
    await lite.create("server", { name: "gpu1", cpu_cores: 32, memory_gib: 256, storage_gib: 2000, gpus: [{ model: "a100", count: 4 }] });
    await lite.update("baremetal_group", "g", { name: "g", servers: ["s1", "s2", "s3", "s4", "gpu1"] });
    await lite.create("tenant_quota", { tenant: "beta", group: "g", cpu_cores: 20, gpus: 2 });
    await lite.create("virtual_machine", vm("web-1", { cpu_cores: 4, placement: { anti_affinity_group: "web" } }));
    await lite.create("virtual_machine", vm("web-2", { cpu_cores: 4, placement: { anti_affinity_group: "web" } }));
    await lite.create("virtual_machine", vm("train", { tenant: "beta", cpu_cores: 8, gpu_model: "a100", gpu_count: 2 }));
    await lite.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 6, placement: { anti_affinity_group: "web" } }));
    await lite.create("vcluster", { name: "dev", tenant: "acme", group: "g", control_plane_replicas: 3 });
    await lite.create("block_pool", { name: "data", tenant: "acme", group: "g", size_gib: 100, replicas: 2, deletion_protection: false });
    await lite.create("virtual_machine", vm("tmp"));
    await lite.delete("virtual_machine", "acme/tmp");
    const before = await visibleState(lite);
    const ledgerId = lite.ledger.id;
    await lite.close();

    const pgUrl = await (await sharedPostgres()).createDatabase();
    const run = migrateScript(sqliteUrl, pgUrl);
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0);
    assert.match(run.stdout, new RegExp(`copied ${sqliteUrl} -> ${pgUrl}: 13 objects, 8 allocations, ${before.audit.length} audit events`));
    assert.match(run.stdout, /verified usage of 2 tenant\/group pairs and the load of 3 servers: identical/);

    const pg = await openEngine({ home, ledgerUrl: pgUrl, controllerUrl: `gitops://${path.join(home, "manifests")}` });
    const after = await visibleState(pg);
    assert.deepEqual(after, before);
    assert.equal(pg.ledger.id, ledgerId, "the same ledger, moved: Terraform state that remembers the id keeps working");
    assert.deepEqual((before.usage["beta/g"] as Record<string, unknown>).used_gpus, 2);

    // It continues where SQLite stopped: quotas, anti-affinity and the audit sequence.
    const web3 = await pg.create("virtual_machine", vm("web-3", { cpu_cores: 2, placement: { anti_affinity_group: "web" } }));
    assert.ok(![before.objects["virtual_machine acme/web-1"], before.objects["virtual_machine acme/web-2"]].some((s) => (s as { server: string }).server === web3.server));
    const err = await rejects(pg.create("virtual_machine", vm("huge", { cpu_cores: 30 })));
    assert.match(err.message, /cpu_cores requested 30, used 15, limit 40/); // web-1 6 + web-2 4 + vcluster 3 x 1 + web-3 2
    const audit = await pg.ledger.audit(0, 100_000);
    assert.equal(audit[before.audit.length].seq, before.audit[before.audit.length - 1].seq! + 1);
    await pg.close();

    // Migrating into a ledger that is not empty is refused, and writes nothing.
    const again = migrateScript(sqliteUrl, pgUrl);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /ledger migrate failed \(config\): ledger migrate: the target ledger .* is not empty \(14 objects/);
  });

  it("copies back from PostgreSQL into a new SQLite file with the same totals", async () => {
    const { engine, ledgerUrl: pgUrl, home: pgHome } = await testEngine(undefined, "postgres");
    await seedEstate(engine);
    await engine.create("virtual_machine", vm("a", { cpu_cores: 3 }));
    await engine.create("block_pool", { name: "p", tenant: "acme", group: "g", size_gib: 10, replicas: 2 });
    const before = await visibleState(engine);
    await engine.close();
    const home = tempHome();
    const back = await copyLedger(pgUrl, `sqlite://${path.join(home, "ledger.db")}`);
    assert.deepEqual([back.objects, back.allocations, back.audit, back.tenantGroups, back.servers], [8, 3, before.audit.length, 1, 2]);
    // Same controller (manifests) as before, new ledger.
    const lite = await openEngine({ home, ledgerUrl: `sqlite://${path.join(home, "ledger.db")}`, controllerUrl: `gitops://${path.join(pgHome, "manifests")}` });
    const { objects, raw } = await visibleState(lite);
    assert.deepEqual({ objects, raw }, { objects: before.objects, raw: before.raw });
    await lite.close();
  });

  it("names the first mismatch when totals differ", () => {
    const usage = (cpu: number) => ({ resources: { cpu, memory: 0, storage: 0, gpus: 0 }, virtualMachines: 1, vclusters: 0, blockPools: 0 });
    const totals = (cpu: number, load: number): LedgerTotals => ({
      objects: 3,
      allocations: 1,
      audit: 5,
      usage: new Map([["acme/g", usage(cpu)]]),
      load: new Map([["s1", { allocated: { cpu: load, memory: 0, storage: 0, gpus: 0 }, gpuModels: {} }]]),
    });
    assert.equal(compareTotals(totals(4000, 4000), totals(4000, 4000)), undefined);
    assert.equal(compareTotals(totals(4000, 4000), totals(3000, 3000)), "usage of tenant acme in group g: cpu 4000 in the source, 3000 in the target");
    assert.equal(compareTotals(totals(4000, 4000), totals(4000, 3000)), "load of server s1: cpu 4000 in the source, 3000 in the target");
    assert.equal(compareTotals(totals(1, 1), { ...totals(1, 1), audit: 4 }), "audit: 5 in the source, 4 in the target");
  });

  it("refuses to copy a ledger onto itself", async () => {
    const err = await rejects(copyLedger("postgres://u:pw@h/db", "postgres://u:pw@h/db"));
    assert.equal(err.code, "config");
    assert.equal(err.message, "ledger migrate: --from and --to are the same ledger (postgres://u:***@h/db)");
  });
});
