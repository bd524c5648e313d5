/**
 * An operator's session after the backend lost things, with the real CLI (a subprocess):
 * - a VM manifest deleted by hand: `otterscale allocations` marks it `active (missing)` (JSON
 *   `backend: "missing"`) and still charges it, `otterscale reconcile` reports it, nothing changes;
 * - the whole manifests directory lost (an empty directory at controller_url): reconcile refuses
 *   the location, allocations still answers (backend presence unknown, and why);
 *   `otterscale controller claim` marks it as the ledger's, after which every workload reads as
 *   missing, a plan proceeds with a `missing` warning per VM, and a create re-makes each in place;
 * - a location of another ledger cannot be claimed.
 */
import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { openEngine } from "../../provider/src/api";
import type { Engine } from "../../provider/src/engine/engine";
import type { PlannedChange } from "../../provider/src/api";
import { seedEstate, tempHome, testEngine, vm } from "../support/estate";
import { sqliteRows } from "../support/ledger-snapshot";
import { cli, cliJson, rowsOf } from "./cli-harness";

interface AllocationJson {
  kind: string;
  id: string;
  name: string;
  state: string;
  servers: string[];
  backend: "present" | "missing" | "unknown";
}
interface DecisionJson {
  finding: string;
  kind: string;
  id: string;
  state: string;
  action: string;
  applied: boolean;
}

describe("otterscale CLI: workloads missing on the backend, and claiming a lost location", function () {
  this.timeout(120_000);
  let home: string;
  let ledgerUrl: string;
  let ledgerId: string;
  /** Where each VM was placed when it was created. */
  let placed: Record<string, string[]>;
  const dirs: string[] = [];
  const ledgerFile = () => path.join(home, "ledger.db");
  const vmManifest = (root: string, name: string) => path.join(root, "acme", "virtual_machine", `${name}.yaml`);

  before(async () => {
    let engine: Engine;
    ({ engine, home, ledgerUrl } = await testEngine());
    dirs.push(home);
    try {
      await seedEstate(engine, { quota: { cpu_cores: 32, memory_gib: 128, storage_gib: 1000 } });
      await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
      await engine.create("virtual_machine", vm("web-2", { cpu_cores: 4 }));
      ledgerId = engine.ledgerId;
    } finally {
      await engine.close();
    }
    const out = await cliJson<{ allocations: AllocationJson[] }>(["allocations"], { home });
    placed = Object.fromEntries(out.allocations.map((a) => [a.id, a.servers]));
    rmSync(vmManifest(path.join(home, "manifests"), "web-2"));
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("allocations marks the VM whose manifest was deleted as missing, in JSON and in the table, and still charges it", async () => {
    const rows = sqliteRows(ledgerFile());
    const out = await cliJson<{ allocations: AllocationJson[] }>(["allocations"], { home });
    assert.deepEqual(
      out.allocations.map((a) => [a.id, a.state, a.backend, a.servers]),
      [
        ["acme/web-1", "active", "present", placed["acme/web-1"]],
        ["acme/web-2", "active", "missing", placed["acme/web-2"]],
      ],
    );
    const table = await cli(["allocations"], { home });
    assert.equal(table.code, 0, table.stderr);
    const [header, ...body] = rowsOf(table.stdout);
    const state = header.indexOf("STATE");
    const name = header.indexOf("NAME");
    assert.deepEqual(body.map((r) => [r[name], r[state]]), [["web-1", "active"], ["web-2", "active (missing)"]]);
    const usage = await cliJson<{ quotas: { tenant: string; used: Record<string, number> }[] }>(["usage", "--tenant", "acme"], { home });
    assert.deepEqual([usage.quotas[0].used.cpu_cores, usage.quotas[0].used.virtual_machines], [8, 2], "the missing VM still holds its quota");
    assert.deepEqual(sqliteRows(ledgerFile()), rows, "read commands write nothing");
  });

  it("reconcile (dry run) reports it as missing, exits 2 and changes nothing", async () => {
    const rows = sqliteRows(ledgerFile());
    const out = await cliJson<{ apply: boolean; decisions: DecisionJson[] }>(["reconcile"], { home }, 2);
    assert.deepEqual(out.decisions.map((d) => [d.finding, d.kind, d.id, d.state, d.action, d.applied]), [["missing", "virtual_machine", "acme/web-2", "active", "release", false]]);
    const table = await cli(["reconcile"], { home });
    assert.equal(table.code, 2);
    assert.match(table.stdout, /^missing +virtual_machine +acme\/web-2 +active +release +no +/m);
    assert.deepEqual(sqliteRows(ledgerFile()), rows);
    assert.ok(!existsSync(vmManifest(path.join(home, "manifests"), "web-2")), "a dry run re-creates nothing");
  });

  describe("the whole manifests directory lost", () => {
    let empty: string;
    const at = (dir: string) => ({ home, env: { OTTERSCALE_CONTROLLER_URL: `gitops://${dir}` } });

    before(() => {
      empty = tempHome("otterscale-test-empty-manifests-");
      dirs.push(empty);
    });

    it("reconcile refuses the empty location, naming it and `otterscale controller claim` (exit 1); nothing is written there", async () => {
      const rows = sqliteRows(ledgerFile());
      const r = await cli(["reconcile"], at(empty));
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(r.stderr.includes(`controller location gitops://${empty} holds nothing of ledger ${ledgerId}`), r.stderr);
      assert.match(r.stderr, /otterscale controller claim/);
      assert.deepEqual(readdirSync(empty), []);
      assert.deepEqual(sqliteRows(ledgerFile()), rows);
    });

    it("allocations still answers from the ledger: backend presence unknown, and it says why", async () => {
      const r = await cli(["-o", "json", "allocations"], at(empty));
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { allocations: AllocationJson[] };
      assert.deepEqual(out.allocations.map((a) => [a.id, a.backend]), [["acme/web-1", "unknown"], ["acme/web-2", "unknown"]]);
      assert.match(r.stderr, /could not compare with the backend \(controller location .* holds nothing of ledger/);
      assert.deepEqual(readdirSync(empty), []);
    });

    it("`controller claim` marks it as this ledger's; reconcile then finds every workload missing", async () => {
      const claimed = await cli(["controller", "claim"], at(empty));
      assert.equal(claimed.code, 0, claimed.stderr);
      assert.match(claimed.stdout, /claimed the controller location for this ledger/);
      assert.deepEqual(readdirSync(empty), [".otterscale-ledger"], "only the marker is written");
      assert.equal(JSON.parse(readFileSync(path.join(empty, ".otterscale-ledger"), "utf8")).ledger_id, ledgerId);
      // Claiming again is harmless.
      assert.deepEqual(await cliJson(["controller", "claim"], at(empty)), { claimed: true });

      const rows = sqliteRows(ledgerFile());
      const out = await cliJson<{ decisions: DecisionJson[] }>(["reconcile"], at(empty), 2);
      const workloads = out.decisions.filter((d) => d.kind === "virtual_machine");
      assert.deepEqual(workloads.map((d) => [d.finding, d.id, d.action, d.applied]), [
        ["missing", "acme/web-1", "release", false],
        ["missing", "acme/web-2", "release", false],
      ]);
      // The servers', group's and quota's records are lost too: reported, to be re-rendered (the
      // ledger keeps them, their consumers depend on them).
      const records = out.decisions.filter((d) => d.kind !== "virtual_machine");
      assert.ok(records.length > 0 && records.every((d) => d.finding === "missing" && d.action === "re-apply" && !d.applied), JSON.stringify(records));
      assert.ok(records.some((d) => d.kind === "tenant_quota") && records.some((d) => d.kind === "baremetal_group") && records.some((d) => d.kind === "server"));
      const alloc = await cliJson<{ allocations: AllocationJson[] }>(["allocations"], at(empty));
      assert.deepEqual(alloc.allocations.map((a) => [a.id, a.backend]), [["acme/web-1", "missing"], ["acme/web-2", "missing"]]);
      assert.deepEqual(sqliteRows(ledgerFile()), rows);
    });

    it("after the claim a plan proceeds: each VM reads as gone and is planned with a `missing` warning; a create re-makes it in place", async () => {
      const engine = await openEngine({ home, ledgerUrl, controllerUrl: `gitops://${empty}` });
      try {
        const rows = sqliteRows(ledgerFile());
        // A refresh, as Terraform does first: the VMs are gone, the servers still read (their records are lost too).
        assert.equal(await engine.read("virtual_machine", "acme/web-1"), undefined);
        assert.equal(await engine.read("virtual_machine", "acme/web-2"), undefined);
        assert.equal((await engine.read("server", "s1"))?.status, "Missing");
        const changes: PlannedChange[] = ["web-1", "web-2"].map((n) => ({ action: "create", kind: "virtual_machine", args: vm(n, { cpu_cores: 4 }), address: `vm.${n}` }));
        const planned = await engine.plan(changes);
        assert.deepEqual(planned.diagnostics.filter((d) => d.severity === "error"), [], JSON.stringify(planned.diagnostics));
        assert.deepEqual(planned.diagnostics.filter((d) => d.code === "missing").map((d) => [d.address, d.severity]), [["vm.web-1", "warning"], ["vm.web-2", "warning"]]);
        assert.deepEqual(sqliteRows(ledgerFile()), rows, "reads and the plan wrote nothing");
        assert.deepEqual(readdirSync(empty), [".otterscale-ledger"]);

        const made = await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
        assert.deepEqual([made.server], placed["acme/web-1"], "same server");
        assert.ok(existsSync(vmManifest(empty, "web-1")));
        const usage = await engine.readDataSource("tenant_usage", { tenant: "acme", group: "g" });
        assert.deepEqual([usage.used_cpu_cores, usage.used_virtual_machines], [8, 2], "charged once");
      } finally {
        await engine.close();
      }
    });

    it("a location that belongs to another ledger cannot be claimed", async () => {
      const foreign = tempHome("otterscale-test-foreign-manifests-");
      dirs.push(foreign);
      const marker = path.join(foreign, ".otterscale-ledger");
      writeFileSync(marker, JSON.stringify({ ledger_id: "ledger-of-another-estate" }));
      const r = await cli(["controller", "claim"], at(foreign));
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(r.stderr.includes(`controller location gitops://${foreign} belongs to ledger ledger-of-another-estate; refusing to hand it to ledger ${ledgerId}`), r.stderr);
      assert.equal(JSON.parse(readFileSync(marker, "utf8")).ledger_id, "ledger-of-another-estate");
    });
  });
});
