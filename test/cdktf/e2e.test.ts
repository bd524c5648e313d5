/**
 * End to end, as a CDKTF user deploys offline: synth the example app, build a filesystem mirror
 * with scripts/tf-mirror.js, `terraform init -plugin-dir=<mirror>` (no registry, no dev_overrides)
 * and `terraform apply` in the synthesized stack directory with the REAL terraform binary, which
 * starts the real provider executable on the embedded default (SQLite ledger + gitops manifests)
 * under its own OTTERSCALE_HOME. Then check the ledger and manifests, and destroy.
 */
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { openLedger } from "../../provider/src/ledger/open";
import { ok, repoRoot, stackDir, synthExample, synthVariant, tempDir, terraformEnv, TERRAFORM, type TerraformEnv } from "./cdktf-harness";
import { manifests } from "../support/estate";

interface MirrorScript {
  buildMirror(dir: string): string;
}

const manifestsOf = manifests;

/** The files' documents: the object first, then what is attached to it (an EC pool's metadata pool and StorageClass). */
const documents = (home: string, rel: string) => parseAllDocuments(readFileSync(path.join(home, "manifests", rel), "utf8")).map((d) => d.toJS());
const manifest = (home: string, rel: string) => documents(home, rel)[0];

async function withLedger<T>(home: string, fn: (l: Awaited<ReturnType<typeof openLedger>>) => Promise<T>): Promise<T> {
  const ledger = await openLedger(`sqlite://${path.join(home, "ledger.db")}`);
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

describe("cdktf end to end: synth, terraform init from a filesystem mirror, apply, destroy", function () {
  this.timeout(300_000);
  let tmp: { dir: string; close(): void };
  let te: TerraformEnv;
  let outdir: string;
  let dir: string;

  before(async () => {
    assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`);
    tmp = tempDir("cdktf-e2e-");
    te = terraformEnv(tmp.dir);
    outdir = path.join(tmp.dir, "cdktf.out");
    dir = stackDir(outdir);
  });
  after(() => tmp.close());

  it("synthesizes the example and installs the provider from the mirror, offline", async () => {
    await synthExample(tmp.dir, outdir);
    const { buildMirror } = require(path.join(repoRoot(), "scripts", "tf-mirror.js")) as MirrorScript;
    const mirror = path.join(tmp.dir, "mirror");
    buildMirror(mirror);
    const r = ok(await te.tf(dir, ["init", `-plugin-dir=${mirror}`]), "terraform init");
    assert.match(r.stdout, /Installing otterscale\/otterscale v0\.1\.0/);
    assert.ok(existsSync(path.join(dir, ".terraform.lock.hcl")));
  });

  it("applies the estate: everything placed as the rules say", async () => {
    const r = ok(await te.tf(dir, ["apply", "-auto-approve"]), "terraform apply");
    assert.match(r.stdout, /Apply complete! Resources: 16 added, 0 changed, 0 destroyed\./);
    const out = JSON.parse(ok(await te.tf(dir, ["output", "-json"]), "terraform output").stdout) as Record<string, { value: unknown }>;
    const web = out.web_servers.value as string[];
    assert.equal(new Set(web).size, 3, `anti-affinity: web VMs on distinct servers, got ${web}`);
    assert.equal(new Set(out.vcluster_servers.value as string[]).size, 3, "vCluster replicas on distinct servers");
    assert.equal(out.acme_cpu_used.value, 3 * 4 + 16);
    // 6 servers x (64 - 4) x 2 = 720 cores; used 28 (acme VMs) + 3 x 1 (vCluster control plane)
    assert.equal(out.prod_free_cpu.value, 720 - 28 - 3);
  });

  it("the ledger holds the estate and acme's usage", async () => {
    const { objects, acme, globex, web } = await withLedger(te.home, async (l) =>
      l.read(async (tx) => ({
        objects: (await tx.list()).map((o) => `${o.kind} ${o.key} ${o.state}`).sort(),
        acme: await tx.usage("acme", "prod"),
        globex: await tx.usage("globex", "prod"),
        web: await tx.allocations({ antiAffinity: { tenant: "acme", grp: "prod", group: "web" } }),
      })),
    );
    assert.deepEqual(objects, [
      "baremetal_group prod active",
      "block_pool acme/archive active",
      "block_pool acme/db active",
      ...[1, 2, 3, 4, 5, 6].map((i) => `server node-${i} active`),
      "tenant_quota acme/prod active",
      "tenant_quota globex/prod active",
      "vcluster globex/dev active",
      "virtual_machine acme/trainer active",
      ...[1, 2, 3].map((i) => `virtual_machine acme/web-${i} active`),
    ]);
    assert.deepEqual([acme.resources.cpu / 1000, acme.resources.gpus / 1000, acme.virtualMachines, acme.blockPools], [28, 2, 4, 2]);
    assert.equal(acme.resources.storage / 1000, 3 * 50 + 500 + 500 + 1000 + 1, "disks + pools (+ the EC pool's 1 GiB metadata pool)");
    assert.equal(globex.vclusters, 1);
    assert.equal(new Set(web.map((a) => a.server)).size, 3, "the web anti-affinity group spans 3 servers");
  });

  it("writes the gitops manifests", () => {
    const counts = Object.fromEntries(
      ["server", "baremetal_group", "tenant_quota", "virtual_machine", "vcluster", "block_pool"].map((k) => [k, manifestsOf(te.home, k).length]),
    );
    assert.deepEqual(counts, { server: 6, baremetal_group: 1, tenant_quota: 2, virtual_machine: 4, vcluster: 1, block_pool: 2 });
    const web1 = manifest(te.home, "acme/virtual_machine/web-1.yaml");
    assert.equal(web1.apiVersion, "kubevirt.io/v1");
    assert.match(web1.spec.template.spec.nodeSelector["kubernetes.io/hostname"], /^node-\d$/, "the short node name, not the FQDN");
    assert.deepEqual(manifest(te.home, "acme/block_pool/archive.yaml").spec.erasureCoded, { dataChunks: 2, codingChunks: 1 });
    assert.deepEqual(documents(te.home, "acme/block_pool/archive.yaml").map((d) => `${d.kind} ${d.metadata.name}`), ["CephBlockPool acme-archive", "CephBlockPool acme-archive-metadata", "StorageClass acme-archive"]);
    assert.equal(manifest(te.home, "acme/block_pool/db.yaml").spec.replicated.size, 3);
    const dev = manifest(te.home, "globex/vcluster/dev.yaml");
    assert.equal(dev.kind, "HelmRelease");
    assert.equal(dev.spec.values.controlPlane.distro.k8s.version, "v1.31.4");
  });

  it("re-plans with no changes", async () => {
    const r = await te.tf(dir, ["plan", "-detailed-exitcode"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it("unprotects the db pool by re-synthesizing and applying (one in-place update)", async () => {
    const json = await synthVariant(tmp.dir, outdir, { protectDbPool: false });
    assert.equal(Object.values(json.resource.otterscale_block_pool).find((p) => p.name === "db")!.deletion_protection, false);
    const r = ok(await te.tf(dir, ["apply", "-auto-approve"]), "terraform apply (variant)");
    assert.match(r.stdout, /Apply complete! Resources: 0 added, 1 changed, 0 destroyed\./);
  });

  it("destroys everything: the ledger and the manifests are empty", async () => {
    const r = ok(await te.tf(dir, ["destroy", "-auto-approve"]), "terraform destroy");
    assert.match(r.stdout, /Destroy complete! Resources: 16 destroyed\./);
    const left = await withLedger(te.home, (l) => l.read(async (tx) => ({ objects: await tx.list(), allocations: await tx.allocations() })));
    assert.deepEqual(left, { objects: [], allocations: [] });
    for (const k of ["server", "virtual_machine", "vcluster", "block_pool", "tenant_quota", "baremetal_group"]) assert.deepEqual(manifestsOf(te.home, k), [], k);
  });
});
