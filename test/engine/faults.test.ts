import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { Engine } from "../../provider/src/engine/engine";
import { openControllers } from "../../provider/src/controllers/registry";
import { openLedger } from "../../provider/src/ledger/open";
import { BACKENDS, faultyControllers, ledgerUrlFor, manifests, rejects, seedEstate, tempHome, testEngine, vm } from "../support/estate";

async function engineWith(home: string, fault: Parameters<typeof faultyControllers>[1]) {
  const ledger = await openLedger(await ledgerUrlFor(home));
  return new Engine(ledger, faultyControllers(openControllers(`gitops://${path.join(home, "manifests")}`), fault), 60_000);
}

/** Runs crash-child.js until it reports `ready`, then SIGKILLs it. */
function crashChild(home: string, mode: string, ledgerUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "crash-child.js"), home, mode, ledgerUrl], { stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) child.kill("SIGKILL");
    });
    child.on("exit", (_code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`child was not killed (exit ${_code})`))));
  });
}

for (const backend of BACKENDS) describe(`faults (${backend})`, () => {
  it("a controller that throws: the reservation is released and nothing is half-written", async () => {
    const { engine: seed, home } = await testEngine(undefined, backend);
    await seedEstate(seed, { quota: { cpu_cores: 8 } });
    await seed.close();
    const engine = await engineWith(home, (op, kind) => {
      if (op === "apply" && kind === "virtual_machine") throw new Error("kubevirt webhook denied the request");
    });
    const err = await rejects(engine.create("virtual_machine", vm("web-1", { cpu_cores: 8 })));
    assert.equal(err.code, "controller_failed");
    assert.match(err.message, /kubevirt webhook denied the request/);
    assert.equal(await engine.read("virtual_machine", "acme/web-1"), undefined);
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 0);
    assert.equal((await engine.read("server", "s1"))!.allocated_cpu_cores, 0);
    assert.deepEqual(await engine.ledger.read((tx) => tx.list({ states: ["pending", "updating", "deleting"] })), []);
    assert.equal(manifests(home).some((m) => m.includes("web-1")), false);
    const ops = (await engine.ledger.audit()).filter((e) => e.key === "acme/web-1").map((e) => e.op);
    assert.deepEqual(ops, ["reserve", "release"]);
    await engine.close();
  });

  it("a controller failing an update rolls the ledger back to the old size", async () => {
    const { engine: seed, home } = await testEngine(undefined, backend);
    await seedEstate(seed, { quota: { cpu_cores: 8 } });
    await seed.create("virtual_machine", vm("web-1", { cpu_cores: 2 }));
    await seed.close();
    const engine = await engineWith(home, (op, kind) => {
      if (op === "apply" && kind === "virtual_machine") throw new Error("boom");
    });
    await rejects(engine.update("virtual_machine", "acme/web-1", vm("web-1", { cpu_cores: 6 })));
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 2);
    assert.equal((await engine.read("virtual_machine", "acme/web-1"))!.cpu_cores, 2);
    await engine.close();
  });

  it("a controller that hangs past the timeout: timeout error; the late object is undone, then the reservation released", async () => {
    const { engine: seed, home } = await testEngine(undefined, backend);
    await seedEstate(seed);
    await seed.close();
    let slow = true;
    const engine = await engineWith(home, (op, kind) => (op === "apply" && kind === "virtual_machine" && slow ? new Promise((r) => setTimeout(r, 1500)) : undefined));
    const err = await rejects(engine.create("virtual_machine", vm("slow"), { timeoutMs: 100 }));
    assert.equal(err.code, "timeout");
    // The backend call still runs: its reservation stays held and a retry is told to wait,
    // so a late controller answer can never destroy a retried object.
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_virtual_machines, 1);
    slow = false;
    // A retry with a short deadline gives up waiting (bounded retry, never past its deadline).
    const busy = await rejects(engine.create("virtual_machine", vm("slow"), { timeoutMs: 200 }));
    assert.equal(busy.code, "conflict");
    assert.match(busy.message, /being changed by another operation \(pending, lease until/);
    // A retry without one waits until the late call has ended (the gitops adapter gives up
    // writing once the deadline has passed) and the reservation is released; then it goes
    // through, and its object stays.
    await engine.create("virtual_machine", vm("slow"));
    assert.equal(manifests(home).filter((m) => m.includes("slow")).length, 1);
    assert.equal((await engine.read("virtual_machine", "acme/slow"))!.status, "Running");
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_virtual_machines, 1);
    const ops = (await engine.ledger.audit()).filter((e) => e.key === "acme/slow").map((e) => e.op);
    assert.deepEqual(ops, ["reserve", "release", "reserve", "commit"]);
    await engine.close();
  });

  it("a shrinking update holds the old size until the controller answers, so a failed update never oversubscribes", async () => {
    const { engine: seed, home } = await testEngine(undefined, backend);
    await seedEstate(seed, { servers: 1, server: { cpu_cores: 8 }, quota: { cpu_cores: 8 } });
    await seed.create("virtual_machine", vm("a", { cpu_cores: 6 }));
    await seed.close();
    let release!: (fail: boolean) => void;
    const gate = new Promise<boolean>((r) => (release = r));
    const engine = await engineWith(home, async (op, kind, key) => {
      if (op === "apply" && kind === "virtual_machine" && key === "acme/a" && (await gate)) throw new Error("kubevirt is down");
    });
    const shrinking = engine.update("virtual_machine", "acme/a", vm("a", { cpu_cores: 2 }));
    await new Promise((r) => setTimeout(r, 50)); // the update is reserved and waits for its controller
    // While in flight the old 6 cores stay held: b does not fit yet (quota 8 = 6 held + 6 asked > 8).
    const err = await rejects(engine.create("virtual_machine", vm("b", { cpu_cores: 6 })));
    assert.equal(err.code, "quota_exceeded");
    assert.match(err.message, /cpu_cores requested 6, used 6, limit 8/);
    release(true); // the controller fails: roll back to 6 cores
    await rejects(shrinking);
    const q = (await engine.read("tenant_quota", "acme/g"))!;
    const s1 = (await engine.read("server", "s1"))!;
    assert.deepEqual([q.used_cpu_cores, s1.allocated_cpu_cores], [6, 6], "never past the limit of 8");
    // A committed shrink frees the room.
    const ok = await engineWith(home, () => undefined);
    await ok.update("virtual_machine", "acme/a", vm("a", { cpu_cores: 2 }));
    await ok.create("virtual_machine", vm("b", { cpu_cores: 6 }));
    assert.equal((await ok.read("tenant_quota", "acme/g"))!.used_cpu_cores, 8);
    await ok.close();
    await engine.close();
  });

  it("the lease of a reservation is renewed while a slow controller call runs", async () => {
    const { engine: seed, home, ledgerUrl } = await testEngine(undefined, backend);
    await seedEstate(seed);
    await seed.close();
    const ledger = await openLedger(ledgerUrl);
    const engine = new Engine(ledger, faultyControllers(openControllers(`gitops://${path.join(home, "manifests")}`), (op, kind) =>
      op === "apply" && kind === "virtual_machine" ? new Promise((r) => setTimeout(r, 2600)) : undefined,
    ), 3_000);
    const creating = engine.create("virtual_machine", vm("slow"));
    await new Promise((r) => setTimeout(r, 300));
    const lease = async () => (await engine.ledger.read((tx) => tx.get("virtual_machine", "acme/slow")))!.leaseExpires!;
    const first = await lease();
    await new Promise((r) => setTimeout(r, 1800));
    const later = await lease();
    assert.ok(later > first, `lease renewed: ${first} -> ${later}`);
    assert.equal((await creating).status, "Running");
    await engine.close();
  });

  it("a stop request (Terraform StopProvider) aborts a hanging create and releases its reservation", async () => {
    const { engine: seed, home } = await testEngine(undefined, backend);
    await seedEstate(seed);
    await seed.close();
    const engine = await engineWith(home, (op, kind) => (op === "apply" && kind === "virtual_machine" ? new Promise((r) => setTimeout(r, 600)) : undefined));
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const err = await rejects(engine.create("virtual_machine", vm("stopped"), { signal: stop.signal }));
    assert.equal(err.code, "timeout");
    assert.match(err.message, /stopped on request/);
    await engine.close(); // waits until the late apply has landed and been undone
    const { engine: after } = await testEngine(home, backend);
    assert.equal((await after.read("tenant_quota", "acme/g"))!.used_virtual_machines, 0);
    assert.deepEqual(await after.ledger.read((tx) => tx.list({ states: ["pending", "deleting"] })), []);
    assert.equal(manifests(home).some((m) => m.includes("stopped")), false);
    await after.close();
  });

  for (const [mode, expectVm] of [
    ["before-apply", false],
    ["after-apply", true],
  ] as const) {
    it(`SIGKILL between reserve and commit (${mode}): the next run reconciles to a consistent ledger`, async function () {
      this.timeout(60_000);
      const home = tempHome();
      const { engine: seed, ledgerUrl } = await testEngine(home, backend);
      await seedEstate(seed, { quota: { cpu_cores: 8 } });
      await seed.close();
      await crashChild(home, mode, ledgerUrl);
      // The killed process left a pending row; nothing renews its 1 s lease any more.
      const ledger = await openLedger(ledgerUrl);
      const pending = await ledger.read((tx) => tx.list({ states: ["pending"] }));
      assert.deepEqual(pending.map((r) => r.key), ["acme/crash"]);
      await ledger.close();

      const { engine } = await testEngine(home, backend);
      // Opening and reading write nothing: the row stays until a mutation settles it.
      await engine.read("virtual_machine", "acme/crash");
      assert.deepEqual((await engine.ledger.read((tx) => tx.list({ states: ["pending"] }))).map((r) => r.key), ["acme/crash"]);
      await new Promise((r) => setTimeout(r, 1_200)); // the lease expires
      await engine.create("virtual_machine", vm("next", { cpu_cores: 1 })); // the next run's first mutation settles it
      assert.deepEqual(await engine.ledger.read((tx) => tx.list({ states: ["pending", "updating", "deleting"] })), []);
      const state = await engine.read("virtual_machine", "acme/crash");
      const q = await engine.read("tenant_quota", "acme/g");
      if (expectVm) {
        assert.equal(state?.status, "Running");
        assert.equal(q!.used_cpu_cores, 4 + 1);
      } else {
        assert.equal(state, undefined);
        assert.equal(q!.used_cpu_cores, 1);
      }
      const ops = (await engine.ledger.audit()).filter((e) => e.key === "acme/crash").map((e) => e.op);
      assert.deepEqual(ops, ["reserve", expectVm ? "reconcile-adopt" : "reconcile-release"]);
      await engine.close();
    });
  }
});

describe("truthful errors after the backend was written", () => {
  it("a ledger that fails at the commit says the backend was changed and the reservation is held, not 'nothing was written'", async () => {
    const { engine: seed, home, ledgerUrl } = await testEngine();
    await seedEstate(seed);
    await seed.close();
    const inner = await openLedger(ledgerUrl);
    let failCommit = false;
    const { OtterscaleError } = await import("../../provider/src/domain/errors");
    // The ledger drops its connection exactly when the commit runs (after the controller wrote).
    const ledger = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop !== "transaction") return Reflect.get(target, prop, receiver);
        return (fn: Parameters<typeof inner.transaction>[0], opts?: Parameters<typeof inner.transaction>[1]) => {
          if (failCommit) throw new OtterscaleError("unavailable", "the connection to the PostgreSQL ledger was lost; this transaction was rolled back", [], { phase: "statement" });
          return inner.transaction(fn, opts);
        };
      },
    });
    const engine = new Engine(ledger, faultyControllers(openControllers(`gitops://${path.join(home, "manifests")}`), (op) => {
      if (op === "apply") failCommit = true; // everything after the backend write fails
    }), 60_000);
    const err = await rejects(engine.create("virtual_machine", vm("web-1")));
    assert.equal(err.code, "unavailable");
    assert.doesNotMatch(err.message, /nothing was written/);
    assert.match(err.message, /create virtual_machine acme\/web-1: the backend was already changed, but the ledger could not record the outcome .*The reservation stays held/);
    failCommit = false;
    // And it is true: the manifest exists and the reservation is held, for the next run to settle.
    assert.equal(manifests(home).filter((m) => m.includes("web-1")).length, 1);
    assert.equal((await inner.read((tx) => tx.get("virtual_machine", "acme/web-1")))?.state, "pending");
    await engine.close();
  });
});
