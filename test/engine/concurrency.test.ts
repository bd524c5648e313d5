import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { manifests, seedEstate, testEngine, vm } from "../support/estate";

/** Runs N copies of worker-create.js and collects their JSON results. */
function workers(n: number, home: string, count: number): Promise<{ ok: number; quota: number; unplaceable: number; other: string[] }[]> {
  const script = path.join(__dirname, "worker-create.js");
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<{ ok: number; quota: number; unplaceable: number; other: string[] }>((resolve, reject) => {
        const child = spawn(process.execPath, [script, home, `p${i}`, String(count)], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${i} exited ${code}`))));
      }),
    ),
  );
}

describe("atomic quota under concurrency", () => {
  it("200 concurrent VM creates in one process against a quota for 50: exactly 50 succeed", async () => {
    const { engine, home } = await testEngine();
    await seedEstate(engine, { quota: { cpu_cores: 50 } });
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => engine.create("virtual_machine", vm(`vm-${i}`, { cpu_cores: 1, memory_gib: 1, disk_gib: 1 }))));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code: string }).code] : []));
    assert.equal(ok, 50);
    assert.deepEqual([...new Set(codes)], ["quota_exceeded"]);
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 50);
    assert.equal(manifests(home).filter((m) => m.includes("virtual_machine")).length, 50);
    await engine.close();
  });

  it("4 OS processes sharing one SQLite file never oversubscribe a quota", async function () {
    this.timeout(120_000);
    const { engine, home } = await testEngine();
    await seedEstate(engine, { quota: { cpu_cores: 50 } });
    const res = await workers(4, home, 30);
    assert.deepEqual(res.flatMap((r) => r.other), []);
    assert.equal(res.reduce((n, r) => n + r.ok, 0), 50);
    assert.equal(res.reduce((n, r) => n + r.quota, 0), 70);
    assert.equal((await engine.read("tenant_quota", "acme/g"))!.used_cpu_cores, 50);
    await engine.close();
  });

  it("4 OS processes never push a server past its capacity", async function () {
    this.timeout(120_000);
    const { engine, home } = await testEngine();
    // 4 servers x 16 cores = 64 cores of room; the quota is not the limit here.
    await seedEstate(engine, { quota: { cpu_cores: 1000 } });
    const res = await workers(4, home, 30);
    assert.deepEqual(res.flatMap((r) => r.other), []);
    assert.equal(res.reduce((n, r) => n + r.ok, 0), 64);
    for (const s of ["s1", "s2", "s3", "s4"]) assert.equal((await engine.read("server", s))!.allocated_cpu_cores, 16);
    await engine.close();
  });
});
