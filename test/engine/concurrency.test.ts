import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Engine } from "../../provider/src/engine/engine";
import { BACKENDS, filesBesidesLedger, manifests, seedEstate, testEngine, vm, type ControllerKind } from "../support/estate";

interface WorkerResult {
  ok: number;
  quota: number;
  unplaceable: number;
  deleted: number;
  other: string[];
}

/** Runs N copies of worker-create.js on one ledger and collects their JSON results. */
function workers(n: number, home: string, ledgerUrl: string, count: number, mode = "create", controller: ControllerKind = "gitops"): Promise<WorkerResult[]> {
  const script = path.join(__dirname, "worker-create.js");
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<WorkerResult>((resolve, reject) => {
        const child = spawn(process.execPath, [script, home, `p${i}`, String(count), ledgerUrl, mode, controller], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${i} exited ${code}`))));
      }),
    ),
  );
}

const sum = (res: WorkerResult[], k: "ok" | "quota" | "deleted") => res.reduce((n, r) => n + r[k], 0);

/**
 * Replays the audit trail (in commit order) and returns the highest cpu_cores the tenant ever
 * had charged: proves the quota held at every moment, not only at the end.
 */
async function peakCpu(engine: Engine): Promise<{ peak: number; final: number }> {
  let cur = 0;
  let peak = 0;
  for (const e of await engine.ledger.audit(0, 1_000_000)) {
    if (e.kind !== "virtual_machine") continue;
    cur += Number(e.delta.cpu_cores ?? 0);
    peak = Math.max(peak, cur);
  }
  return { peak, final: cur };
}

/**
 * The VMs the backend holds: gitops files, or with hand-off (which writes nothing, anywhere) the
 * VMs whose `manifests` the engine returns, each one KubeVirt object pinned to a node.
 */
async function placedVms(engine: Engine, home: string, controller: ControllerKind): Promise<number> {
  if (controller === "gitops") return manifests(home).filter((m) => m.includes("virtual_machine")).length;
  assert.deepEqual(filesBesidesLedger(home), [], "hand-off writes nothing to disk");
  const rows = await engine.ledger.read((tx) => tx.list({ kinds: ["virtual_machine"] }));
  let n = 0;
  for (const r of rows) {
    const objects = ((await engine.read("virtual_machine", r.key))!.manifests as string[]).map((m) => JSON.parse(m));
    assert.equal(objects.length, 1);
    assert.equal(objects[0].kind, "VirtualMachine");
    assert.ok(objects[0].spec.template.spec.nodeSelector["kubernetes.io/hostname"]);
    n++;
  }
  return n;
}

const CONTROLLERS: readonly ControllerKind[] = ["gitops", "handoff"];

for (const backend of BACKENDS) for (const controller of CONTROLLERS) {
  describe(`atomic quota under concurrency (${backend}, ${controller})`, () => {
    it("200 concurrent VM creates in one process against a quota for 50: exactly 50 succeed", async () => {
      const { engine, home } = await testEngine(undefined, backend, controller);
      await seedEstate(engine, { quota: { cpu_cores: 50 } });
      const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => engine.create("virtual_machine", vm(`vm-${i}`, { cpu_cores: 1, memory_gib: 1, disk_gib: 1 }))));
      const ok = results.filter((r) => r.status === "fulfilled").length;
      const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code: string }).code] : []));
      assert.equal(ok, 50);
      assert.deepEqual([...new Set(codes)], ["quota_exceeded"]);
      assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 50);
      assert.equal(await placedVms(engine, home, controller), 50);
      await engine.close();
    });

    it(`4 OS processes sharing one ${backend} ledger never oversubscribe a quota`, async function () {
      this.timeout(120_000);
      const { engine, home, ledgerUrl } = await testEngine(undefined, backend, controller);
      await seedEstate(engine, { quota: { cpu_cores: 50 } });
      const res = await workers(4, home, ledgerUrl, 30, "create", controller);
      assert.deepEqual(res.flatMap((r) => r.other), []);
      assert.equal(sum(res, "ok"), 50);
      assert.equal(sum(res, "quota"), 70);
      assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 50);
      assert.equal(await placedVms(engine, home, controller), 50);
      await engine.close();
    });

    it("4 OS processes never push a server past its capacity", async function () {
      this.timeout(120_000);
      const { engine, home, ledgerUrl } = await testEngine(undefined, backend, controller);
      // 4 servers x 16 cores = 64 cores of room; the quota is not the limit here.
      await seedEstate(engine, { quota: { cpu_cores: 1000 } });
      const res = await workers(4, home, ledgerUrl, 30, "create", controller);
      assert.deepEqual(res.flatMap((r) => r.other), []);
      assert.equal(sum(res, "ok"), 64);
      for (const s of ["s1", "s2", "s3", "s4"]) assert.equal((await engine.read("server", s))!.allocated_cpu_cores, 16);
      await engine.close();
    });

    it("8 OS processes x 50 VM creates against a quota for 200: exactly 200 succeed", async function () {
      this.timeout(180_000);
      const { engine, home, ledgerUrl } = await testEngine(undefined, backend, controller);
      // 16 servers x 16 cores = 256 cores: the quota (200) is the limit.
      await seedEstate(engine, { servers: 16, quota: { cpu_cores: 200 } });
      const res = await workers(8, home, ledgerUrl, 50, "create", controller);
      assert.deepEqual(res.flatMap((r) => r.other), []);
      assert.equal(sum(res, "ok"), 200);
      assert.equal(sum(res, "quota"), 200);
      const q = (await engine.read("tenant_quota", "acme/g"))!;
      assert.deepEqual([q.used_cpu_cores, q.used_virtual_machines], [200, 200]);
      assert.equal(await placedVms(engine, home, controller), 200);
      assert.deepEqual(await peakCpu(engine), { peak: 200, final: 200 });
      await engine.close();
    });

    it("8 OS processes mixing creates and deletes keep the totals exact", async function () {
      this.timeout(180_000);
      const { engine, home, ledgerUrl } = await testEngine(undefined, backend, controller);
      await seedEstate(engine, { servers: 16, quota: { cpu_cores: 120 } });
      const res = await workers(8, home, ledgerUrl, 40, "mixed", controller);
      assert.deepEqual(res.flatMap((r) => r.other), []);
      const live = sum(res, "ok") - sum(res, "deleted");
      assert.ok(sum(res, "quota") > 0, "the quota was contended");
      const vms = await engine.ledger.read((tx) => tx.list({ kinds: ["virtual_machine"] }));
      assert.equal(vms.length, live);
      assert.ok(vms.every((r) => r.state === "active"));
      const q = (await engine.read("tenant_quota", "acme/g"))!;
      assert.deepEqual([q.used_cpu_cores, q.used_virtual_machines], [live, live]);
      const allocated = await engine.ledger.read(async (tx) => [...(await tx.serverLoad()).values()].reduce((n, l) => n + l.allocated.cpu, 0));
      assert.equal(allocated, live * 1000); // thousandths of a core
      assert.equal(await placedVms(engine, home, controller), live);
      const { peak, final } = await peakCpu(engine);
      assert.ok(peak <= 120, `peak charged cpu ${peak} <= 120`);
      assert.equal(final, live);
      await engine.close();
    });
  });
}
