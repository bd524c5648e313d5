import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { openControllers } from "../../provider/src/controllers/registry";
import { carriedFields, driftOf } from "../../provider/src/controllers/render";
import type { Controllers, DesiredObject } from "../../provider/src/controllers/types";
import { OtterscaleError } from "../../provider/src/domain/errors";
import * as b from "./builders";
import { testTempDir } from "../support/temp";

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out.sort();
}

const isCode = (code: string, pattern?: RegExp) => (e: unknown) =>
  OtterscaleError.isInstance(e) && e.code === code && (!pattern || pattern.test(e.message));

describe("controllers/gitops", () => {
  let dir: string;
  let controllers: Controllers;
  const vmc = () => controllers.forKind("virtual_machine");

  beforeEach(async () => {
    dir = testTempDir("gitops-");
    controllers = openControllers(`gitops://${dir}`);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function applyAll(objs: DesiredObject[]): Promise<void> {
    for (const o of objs) await controllers.forKind(o.kind).apply(o);
  }

  it("writes one YAML file per object at <dir>/<tenant|_inventory>/<kind>/<name>.yaml", async () => {
    await applyAll(b.oneOfEach());
    const files = (await walk(dir)).map((f) => path.relative(dir, f));
    assert.deepEqual(files, [
      "_inventory/baremetal_group/general.yaml",
      "_inventory/server/node-a.yaml",
      "acme/block_pool/data.yaml",
      "acme/tenant_quota/general.yaml",
      "acme/vcluster/dev.yaml",
      "acme/virtual_machine/web-1.yaml",
    ]);
    for (const f of await walk(dir)) {
      const m = parseYaml(await fs.readFile(f, "utf8")) as { apiVersion: string; kind: string };
      assert.ok(m.apiVersion && m.kind, `${f} is not a manifest`);
    }
  });

  it("never writes user_data or BMC credentials to disk", async () => {
    await applyAll(b.oneOfEach());
    const secrets = [b.USER_DATA, "Tr0ub4dor", b.BMC_PASSWORD, b.BMC_USERNAME];
    for (const f of await walk(dir)) {
      const text = await fs.readFile(f, "utf8");
      for (const s of secrets) assert.ok(!text.includes(s), `${path.relative(dir, f)} contains a secret`);
    }
    const vmText = await fs.readFile(path.join(dir, "acme/virtual_machine/web-1.yaml"), "utf8");
    assert.match(vmText, /otterscale\.io\/user-data-sha256: [0-9a-f]{64}/);
    assert.match(vmText, /name: web-1-user-data/);
  });

  it("apply / get / list / delete round trip for every kind", async () => {
    const objs = b.oneOfEach();
    for (const o of objs) {
      const c = controllers.forKind(o.kind);
      const applied = await c.apply(o);
      const got = await c.get(o.key);
      assert.ok(got, `${o.kind} ${o.key} not found after apply`);
      assert.deepEqual(got, applied);
      assert.deepEqual(got.fields, carriedFields(o.kind, o.spec));
      assert.deepEqual(await c.list(), [o.key]);
    }
    for (const o of objs) {
      const c = controllers.forKind(o.kind);
      await c.delete(o.key);
      assert.equal(await c.get(o.key), undefined);
      assert.deepEqual(await c.list(), []);
      await c.delete(o.key); // deleting a missing object succeeds
    }
  });

  it("apply is idempotent and an update replaces the file", async () => {
    await vmc().apply(b.vm());
    await vmc().apply(b.vm());
    const updated = await vmc().apply(b.vm({ cpu_cores: 16, run_strategy: "Halted" }));
    assert.equal(updated.status, "Stopped");
    const got = await vmc().get("acme/web-1");
    assert.equal(got?.fields.cpu_cores, 16);
    assert.equal(got?.status, "Stopped");
    assert.deepEqual(await vmc().list(), ["acme/web-1"]);
  });

  it("keys of list: name for inventory, tenant/group for quotas, tenant/name for workloads", async () => {
    await applyAll([
      b.server({ name: "s2" }),
      b.server({ name: "s1" }),
      b.tenantQuota({ tenant: "beta", group: "g1" }),
      b.tenantQuota({ tenant: "acme", group: "g2" }),
      b.vm({ tenant: "beta", name: "x" }),
      b.vm({ tenant: "acme", name: "y" }),
    ]);
    assert.deepEqual(await controllers.forKind("server").list(), ["s1", "s2"]);
    assert.deepEqual(await controllers.forKind("tenant_quota").list(), ["acme/g2", "beta/g1"]);
    assert.deepEqual(await vmc().list(), ["acme/y", "beta/x"]);
    assert.deepEqual(await controllers.forKind("vcluster").list(), []);
  });

  it("a hand-deleted file reads as gone", async () => {
    await vmc().apply(b.vm());
    await fs.rm(path.join(dir, "acme/virtual_machine/web-1.yaml"));
    assert.equal(await vmc().get("acme/web-1"), undefined);
    assert.deepEqual(await vmc().list(), []);
  });

  it("a hand-edited field shows up in fields and as drift", async () => {
    const obj = b.vm({ image: "img:1" });
    await vmc().apply(obj);
    const file = path.join(dir, "acme/virtual_machine/web-1.yaml");
    const text = await fs.readFile(file, "utf8");
    await fs.writeFile(file, text.replace("cores: 4", "cores: 6").replace("storage: 40Gi", "storage: 80Gi"));
    const got = await vmc().get("acme/web-1");
    assert.equal(got?.fields.cpu_cores, 6);
    assert.equal(got?.fields.disk_gib, 80);
    assert.deepEqual(driftOf(obj.kind, obj.spec, got!), [
      { path: "cpu_cores", expected: 4, actual: 6 },
      { path: "disk_gib", expected: 40, actual: 80 },
    ]);
  });

  it("a hand-edited pool size and vcluster replicas read back", async () => {
    await applyAll([b.blockPool(), b.vcluster({ control_plane_replicas: 1 })]);
    const pool = path.join(dir, "acme/block_pool/data.yaml");
    await fs.writeFile(pool, (await fs.readFile(pool, "utf8")).replace("maxSize: 500Gi", "maxSize: 1Ti"));
    assert.equal((await controllers.forKind("block_pool").get("acme/data"))?.fields.size_gib, 1024);
    const vc = path.join(dir, "acme/vcluster/dev.yaml");
    await fs.writeFile(vc, (await fs.readFile(vc, "utf8")).replace(/(highAvailability:\s*\n\s*replicas:) 1/, "$1 0"));
    const got = await controllers.forKind("vcluster").get("acme/dev");
    assert.equal(got?.status, "Paused");
    assert.equal(got?.fields.paused, true);
  });

  it("a file that is not YAML, or another kind, is a controller failure naming the file", async () => {
    await vmc().apply(b.vm());
    const file = path.join(dir, "acme/virtual_machine/web-1.yaml");
    await fs.writeFile(file, "apiVersion: [unclosed\n");
    await assert.rejects(vmc().get("acme/web-1"), isCode("controller_failed", /web-1\.yaml: not valid YAML/));
    await fs.writeFile(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-1\n");
    await assert.rejects(vmc().get("acme/web-1"), isCode("controller_failed", /found v1 ConfigMap/));
    await fs.writeFile(file, "");
    await assert.rejects(vmc().get("acme/web-1"), isCode("controller_failed", /found an empty document/));
  });

  it("rejects keys that are not name / tenant/name (no path escapes)", async () => {
    await assert.rejects(vmc().get("../../etc/passwd"), isCode("invalid_input", /expected tenant\/name/));
    await assert.rejects(vmc().delete("acme"), isCode("invalid_input"));
    await assert.rejects(controllers.forKind("server").get("acme/x"), isCode("invalid_input", /expected name/));
  });

  it("ignores stray and temp files when listing", async () => {
    await vmc().apply(b.vm());
    const d = path.join(dir, "acme/virtual_machine");
    await fs.writeFile(path.join(d, ".web-2.yaml.123.1.abcd.tmp"), "partial");
    await fs.writeFile(path.join(d, "README.md"), "notes");
    await fs.writeFile(path.join(d, "Bad_Name.yaml"), "x: 1");
    assert.deepEqual(await vmc().list(), ["acme/web-1"]);
  });

  it("a cancelled call writes nothing", async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(vmc().apply(b.vm(), { signal: ac.signal }), isCode("timeout"));
    await assert.rejects(vmc().apply(b.vm(), { deadline: Date.now() - 1 }), isCode("timeout"));
    assert.deepEqual(await walk(dir), []);
  });

  it("50 concurrent applies of distinct objects all land, no temp files left", async () => {
    const objs = Array.from({ length: 50 }, (_, i) => b.vm({ tenant: `t${i % 5}`, name: `vm-${i}`, cpu_cores: i + 1 }));
    await Promise.all(objs.map((o) => vmc().apply(o)));
    const keys = await vmc().list();
    assert.equal(keys.length, 50);
    assert.deepEqual(keys, objs.map((o) => o.key).sort());
    for (const o of objs) assert.equal((await vmc().get(o.key))?.fields.cpu_cores, o.spec.cpu_cores);
    assert.equal((await walk(dir)).filter((f) => f.endsWith(".tmp")).length, 0);
  });

  it("concurrent applies of one object: last writer wins, never a torn file", async () => {
    const versions = Array.from({ length: 30 }, (_, i) => b.vm({ cpu_cores: i + 1, image: `img:${"x".repeat(16 * i)}` }));
    await Promise.all(versions.map((o) => vmc().apply(o)));
    const got = await vmc().get("acme/web-1");
    assert.ok(got);
    const cores = got.fields.cpu_cores as number;
    assert.ok(cores >= 1 && cores <= 30);
    assert.equal(got.fields.image, `img:${"x".repeat(16 * (cores - 1))}`);
  });

  it("several OS processes writing the same object while another reads: every read is whole", async function () {
    this.timeout(120000);
    const registry = path.resolve(__dirname, "../../provider/src/controllers/registry.js");
    const script = path.join(dir, "..", `${path.basename(dir)}-writer.js`);
    const writes = 40;
    await fs.writeFile(
      script,
      `const { openControllers } = require(${JSON.stringify(registry)});
const [url, writer, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
(async () => {
  const c = openControllers(url).forKind("virtual_machine");
  for (let i = 0; i < n; i++) {
    const cores = writer * 100 + i;
    await c.apply({ kind: "virtual_machine", key: "acme/shared", placement: [{ name: "s" + writer, hostname: "s" + writer, nodeName: "s" + writer }],
      spec: { name: "shared", tenant: "acme", group: "g", cpu_cores: cores, memory_gib: 1, disk_gib: 1, image: "img:" + "y".repeat(cores * 50) } });
  }
})().catch((e) => { console.error(e); process.exit(1); });
`,
    );
    const url = `gitops://${dir}`;
    const children = [1, 2, 3].map(
      (w) =>
        new Promise<number>((resolve, reject) => {
          const p = spawn(process.execPath, [script, url, String(w), String(writes)], { stdio: ["ignore", "ignore", "inherit"] });
          p.on("error", reject);
          p.on("exit", (code) => resolve(code ?? -1));
        }),
    );
    let done = false;
    const all = Promise.all(children).finally(() => (done = true));
    let reads = 0;
    try {
      while (!done) {
        const got = await vmc().get("acme/shared");
        if (got) {
          reads++;
          const cores = got.fields.cpu_cores as number;
          assert.equal(got.fields.image, `img:${"y".repeat(cores * 50)}`, "torn or mixed file");
          assert.deepEqual(got.servers, [`s${Math.floor(cores / 100)}`]);
        }
        await new Promise((r) => setImmediate(r));
      }
      assert.deepEqual(await all, [0, 0, 0]);
    } finally {
      await all.catch(() => undefined); // let the writers finish before afterEach removes the directory
      await fs.rm(script, { force: true });
    }
    const final = (await vmc().get("acme/shared"))?.fields.cpu_cores;
    // The last rename overall is some writer's last write.
    assert.ok([100, 200, 300].map((w) => w + writes - 1).includes(final as number), `final ${String(final)}`);
    assert.ok(reads > 0, "the reader never saw the file");
    assert.equal((await walk(dir)).filter((f) => f.endsWith(".tmp")).length, 0);
  });
});
