/**
 * `otterscale reconcile` as an operator runs it after a crash and a hand edit: a reservation
 * left pending by a SIGKILLed process (the controller had already created the object), one left
 * pending with an expired lease by a process on another host (nothing created), and a VM whose
 * manifest was deleted by hand. The dry run lists all three and changes nothing; --apply settles
 * them; a second run finds nothing.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Engine } from "../../provider/src/engine/engine";
import { reserveCreate } from "../../provider/src/engine/reserve";
import { InventoryCache } from "../../provider/src/engine/inventory";
import { seedEstate, testEngine, vm } from "../support/estate";
import { cli, cliJson } from "./cli-harness";

/** Runs test/engine/crash-child.js (reserve, controller apply, hang) and SIGKILLs it when ready. */
function crashAfterApply(home: string, ledgerUrl: string): Promise<void> {
  const child = spawn(process.execPath, [path.resolve(__dirname, "..", "engine", "crash-child.js"), home, "after-apply", ledgerUrl], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && child.kill("SIGKILL"));
    // Liveness is by lease only: the row counts as abandoned once the child's 1 s lease expired.
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? setTimeout(resolve, 1_200) : reject(new Error(`crash child exited ${code}`))));
  });
}

/** Rows as `kind key state generation`: what a dry run must leave exactly as it was. */
async function ledgerRows(engine: Engine): Promise<string[]> {
  return engine.ledger.read(async (tx) => (await tx.list()).map((r) => `${r.kind} ${r.key} ${r.state} ${r.generation}`));
}

interface DecisionJson {
  finding: string;
  kind: string;
  id: string;
  state: string;
  action: string;
  reason: string;
  applied: boolean;
}

describe("otterscale reconcile: stale reservations, missing workloads and backend orphans", function () {
  this.timeout(120_000);
  let engine: Engine;
  let home: string;

  before(async () => {
    let ledgerUrl: string;
    ({ engine, home, ledgerUrl } = await testEngine());
    await seedEstate(engine);
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4 }));
    await engine.create("virtual_machine", vm("web-2", { cpu_cores: 4 }));
    // 1. A process killed between the controller's apply and the commit: pending, owner dead.
    await crashAfterApply(home, ledgerUrl);
    // 2. A process on another host that reserved and never came back: pending, lease expired.
    await engine.ledger.transaction(async (tx) => {
      const v = engine.validate("virtual_machine", vm("ghost", { cpu_cores: 2 }));
      await reserveCreate({ tx, inv: await new InventoryCache().load(tx) }, "virtual_machine", v, "build-host-7:4242:0b5e", Date.now() - 60_000, Date.now() - 1_000);
    });
    // 3. web-2's manifest deleted by hand.
    const manifest = path.join(home, "manifests", "acme", "virtual_machine", "web-2.yaml");
    assert.ok(existsSync(manifest));
    rmSync(manifest);
    // 4. A VM manifest made by hand (a copy of web-1's): on the backend, in no ledger row.
    const dir = path.join(home, "manifests", "acme", "virtual_machine");
    writeFileSync(path.join(dir, "handmade.yaml"), readFileSync(path.join(dir, "web-1.yaml"), "utf8").replaceAll("web-1", "handmade"));
  });
  after(() => engine.close());

  it("dry run lists every finding, exits 2 and changes nothing", async () => {
    const rows = await ledgerRows(engine);
    const audit = (await engine.ledger.audit()).length;
    const used = (await engine.readDataSource("tenant_usage", { tenant: "acme", group: "g" })).used_cpu_cores;
    assert.equal(used, 4 + 4 + 4 + 2, "web-1, web-2, crash and ghost all hold quota");

    const out = await cliJson<{ apply: boolean; decisions: DecisionJson[] }>(["reconcile"], { home }, 2);
    assert.equal(out.apply, false);
    assert.deepEqual(
      out.decisions.map((d) => [d.finding, d.kind, d.id, d.state, d.action, d.applied]),
      [
        ["stale", "virtual_machine", "acme/crash", "pending", "adopt", false],
        ["stale", "virtual_machine", "acme/ghost", "pending", "release", false],
        ["missing", "virtual_machine", "acme/web-2", "active", "release", false],
        ["orphan", "virtual_machine", "acme/handmade", "-", "remove", false],
      ],
    );
    assert.match(out.decisions[0].reason, /the controller has the object/);
    assert.match(out.decisions[2].reason, /holds quota in group g and capacity on s\d/);

    const table = await cli(["reconcile"], { home });
    assert.equal(table.code, 2);
    assert.match(table.stdout, /^FINDING +KIND +ID +STATE +ACTION +DONE +REASON$/m);
    assert.match(table.stdout, /^missing +virtual_machine +acme\/web-2 +active +release +no +the backend has no such object/m);
    assert.match(table.stdout, /^orphan +virtual_machine +acme\/handmade +- +remove +no +the backend has this object, but the ledger has no row/m);
    assert.match(table.stdout, /Dry run: nothing changed\. Run 'otterscale reconcile --apply' to carry out these 4 decisions\./);
    assert.match(table.stderr, /reconcile: 2 stale reservations; comparing the ledger with gitops:\/\//);
    assert.ok(existsSync(path.join(home, "manifests", "acme", "virtual_machine", "handmade.yaml")), "a dry run removes nothing");

    assert.deepEqual(await ledgerRows(engine), rows, "a dry run writes nothing");
    assert.equal((await engine.ledger.audit()).length, audit);
  });

  it("--apply settles each finding with an audit event; a second run finds nothing", async () => {
    const out = await cliJson<{ apply: boolean; decisions: DecisionJson[] }>(["reconcile", "--apply"], { home });
    assert.deepEqual(
      out.decisions.map((d) => [d.id, d.action, d.applied]),
      [
        ["acme/crash", "adopt", true],
        ["acme/ghost", "release", true],
        ["acme/web-2", "release", true],
        ["acme/handmade", "remove", true],
      ],
    );
    assert.ok(!existsSync(path.join(home, "manifests", "acme", "virtual_machine", "handmade.yaml")), "the hand-made orphan is removed");
    assert.ok(existsSync(path.join(home, "manifests", "acme", "virtual_machine", "web-1.yaml")), "web-1 is untouched");
    const states = await engine.ledger.read(async (tx) => (await tx.list({ kinds: ["virtual_machine"] })).map((r) => `${r.key} ${r.state}`));
    assert.deepEqual(states, ["acme/crash active", "acme/web-1 active"]);
    const usage = await cliJson<{ quotas: { used: Record<string, number> }[] }>(["usage", "--tenant", "acme"], { home });
    assert.equal(usage.quotas[0].used.cpu_cores, 8);
    assert.equal(usage.quotas[0].used.virtual_machines, 2);
    assert.equal((await engine.readDataSource("tenant_usage", { tenant: "acme", group: "g" })).used_cpu_cores, 8);
    const ops = (await engine.ledger.audit()).filter((e) => ["acme/crash", "acme/ghost", "acme/web-2", "acme/handmade"].includes(e.key)).map((e) => `${e.op} ${e.key}`);
    assert.deepEqual(ops.slice(-5), ["reconcile-adopt acme/crash", "reconcile-release acme/ghost", "release-missing acme/web-2", "remove-orphan-start acme/handmade", "remove-orphan acme/handmade"]);

    const again = await cli(["reconcile"], { home });
    assert.equal(again.code, 0, again.stdout);
    assert.equal(again.stdout, "Nothing to reconcile: no stale reservations, nothing missing or changed on the backend, no backend objects without a ledger row.\n");
    assert.deepEqual((await cliJson<{ decisions: unknown[] }>(["reconcile", "--apply"], { home })).decisions, []);
  });
});
