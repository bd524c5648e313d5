/**
 * End-to-end with the REAL terraform binary driving the REAL provider executable
 * (bin/terraform-provider-otterscale over gRPC/mTLS) and the real engine on the embedded default
 * (SQLite ledger + gitops manifests), each test in its own directory and OTTERSCALE_HOME.
 */
import { strict as assert } from "node:assert";
import { existsSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { openLedger } from "../../provider/src/ledger/open";
import { repoRoot, TERRAFORM, tfSession, withProvider, type TfSession } from "./tf-harness";
import { manifests } from "../support/estate";

/** Every object row in the session's ledger, as `kind key`. */
async function ledgerObjects(s: TfSession): Promise<string[]> {
  const file = path.join(s.home, "ledger.db");
  if (!existsSync(file)) return [];
  const ledger = await openLedger(`sqlite://${file}`);
  try {
    return (await ledger.read((tx) => tx.list())).map((r) => `${r.kind} ${r.key}`);
  } finally {
    await ledger.close();
  }
}

async function quotaUse(s: TfSession, id: string): Promise<{ cpu: number; vms: number }> {
  const ledger = await openLedger(`sqlite://${path.join(s.home, "ledger.db")}`);
  try {
    const [tenant, grp] = id.split("/");
    const u = await ledger.read((tx) => tx.usage(tenant, grp));
    return { cpu: u.resources.cpu / 1000, vms: u.virtualMachines };
  } finally {
    await ledger.close();
  }
}

const manifestsOf = (s: TfSession, kind: string): string[] => manifests(s.home, kind);

/** Terraform wraps long messages: compare on whitespace-normalized text. */
const flat = (text: string) => text.replace(/\s+/g, " ");

/** The files' documents: the object first, then what is attached to it (an EC pool's metadata pool and StorageClass). */
const documents = (s: TfSession, rel: string) => parseAllDocuments(readFileSync(path.join(s.home, "manifests", rel), "utf8")).map((d) => d.toJS());
const manifest = (s: TfSession, rel: string) => documents(s, rel)[0];

async function ok(s: TfSession, args: string[], timeoutMs?: number) {
  const r = await s.run([...args, "-no-color"], timeoutMs);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function outputs(s: TfSession): Promise<Record<string, unknown>> {
  const r = await ok(s, ["output", "-json"]);
  return Object.fromEntries(Object.entries(JSON.parse(r.stdout) as Record<string, { value: unknown }>).map(([k, v]) => [k, v.value]));
}

const base = (quota: string, servers: number | string[] = 4) => `
resource "otterscale_server" "s" {
  for_each    = toset(${JSON.stringify(Array.isArray(servers) ? servers : Array.from({ length: servers }, (_, i) => `s${i + 1}`))})
  name        = each.key
  rack        = tonumber(substr(each.key, 1, 2)) % 2 == 1 ? "r1" : "r2"
  labels      = { pool = "general" }
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}

resource "otterscale_baremetal_group" "g" {
  name       = "g"
  selector   = { labels = { pool = "general" } }
  depends_on = [otterscale_server.s]
}

resource "otterscale_tenant_quota" "q" {
  tenant = "acme"
  group  = otterscale_baremetal_group.g.name
  ${quota}
}
`;

const vmHcl = (name: string, body: string, count?: number) => `
resource "otterscale_virtual_machine" "${name}" {
  ${count ? `count = ${count}\n  name = "${name}-\${count.index}"` : `name = "${name}"`}
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  ${body}
}
`;

describe("terraform end to end: real binary, real provider, real engine", function () {
  this.timeout(300_000);
  before(() => assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`));

  describe("the example estate (examples/terraform)", () => {
    let s: TfSession;
    before(async () => {
      s = await tfSession();
      s.write("main.tf", readFileSync(path.join(repoRoot(), "examples", "terraform", "main.tf"), "utf8"));
      await ok(s, ["apply", "-auto-approve"]);
    });
    after(() => s.close());

    it("places every workload as the rules say and reports computed fields", async () => {
      const o = await outputs(s);
      const web = o.web_servers as string[];
      assert.equal(new Set(web).size, 3, `anti-affinity: web VMs on distinct servers, got ${web}`);
      assert.equal((o.vcluster_servers as string[]).length, 3);
      assert.equal(new Set(o.vcluster_servers as string[]).size, 3, "vCluster replicas on distinct servers");
      assert.equal(o.acme_cpu_used, 3 * 4 + 16);
      // 6 servers: (64 - 4) * 2 = 120 cores each = 720; used 28 (acme) + 3 x 1 (vcluster control plane)
      assert.equal(o.prod_free_cpu, 720 - 28 - 3);
      const state = JSON.parse((await ok(s, ["show", "-json"])).stdout).values.root_module.resources as { address: string; values: Record<string, unknown> }[];
      const byAddr = new Map(state.map((r) => [r.address, r.values]));
      const trainer = byAddr.get("otterscale_virtual_machine.trainer")!;
      assert.ok(["node-5", "node-6"].includes(String(trainer.server)), "the GPU VM lands on a GPU server");
      assert.equal(trainer.status, "Running");
      for (const pool of ["db", "archive"]) {
        const v = byAddr.get(`otterscale_block_pool.${pool}`)!;
        assert.equal(new Set(v.servers as string[]).size, 3, `${pool}: replicas/chunks on 3 distinct servers`);
      }
      assert.equal(byAddr.get("otterscale_block_pool.db")!.raw_gib, 1500); // 3 x 500
      assert.equal(byAddr.get("otterscale_block_pool.archive")!.raw_gib, 1503); // (2+1) x (1000/2 + its 1 GiB metadata pool x 3 replicas / 3 chunks)
      assert.deepEqual(byAddr.get("otterscale_baremetal_group.prod")!.member_servers, ["node-1", "node-2", "node-3", "node-4", "node-5", "node-6"]);
    });

    it("writes the real manifests", async () => {
      assert.equal(manifestsOf(s, "virtual_machine").length, 4);
      const web1 = manifest(s, manifestsOf(s, "virtual_machine").find((m) => m.endsWith("web-1.yaml"))!);
      assert.equal(web1.apiVersion, "kubevirt.io/v1");
      assert.match(web1.spec.template.spec.nodeSelector["kubernetes.io/hostname"], /^node-\d$/, "the short node name, not the FQDN");
      const db = manifest(s, manifestsOf(s, "block_pool").find((m) => m.endsWith("db.yaml"))!);
      assert.equal(db.kind, "CephBlockPool");
      assert.equal(db.spec.replicated.size, 3);
      const archive = manifest(s, manifestsOf(s, "block_pool").find((m) => m.endsWith("archive.yaml"))!);
      assert.deepEqual(archive.spec.erasureCoded, { dataChunks: 2, codingChunks: 1 });
      const [, metadataPool, storageClass] = documents(s, manifestsOf(s, "block_pool").find((m) => m.endsWith("archive.yaml"))!);
      assert.deepEqual([metadataPool.metadata.name, metadataPool.spec.replicated.size], ["acme-archive-metadata", 3]);
      assert.deepEqual([storageClass.kind, storageClass.parameters.pool, storageClass.parameters.dataPool], ["StorageClass", "acme-archive-metadata", "acme-archive"]);
      const dev = manifest(s, manifestsOf(s, "vcluster")[0]);
      assert.equal(dev.kind, "HelmRelease");
      assert.equal(dev.spec.values.controlPlane.distro.k8s.version, "v1.31.4");
      assert.equal(manifestsOf(s, "tenant_quota").length, 2);
      assert.equal(manifestsOf(s, "server").length, 6);
    });

    it("re-plans with no changes", async () => {
      const r = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });
  });

  describe("review-time quota errors", () => {
    let s: TfSession;
    beforeEach(async () => {
      s = await tfSession();
    });
    afterEach(() => s.close());

    it("a VM over the quota fails at plan, naming tenant, group, dimension, requested, used and limit", async () => {
      s.write("main.tf", withProvider(base("cpu_cores = 8") + vmHcl("big", "cpu_cores = 10\n  memory_gib = 4\n  disk_gib = 10")));
      const r = await s.run(["plan", "-no-color"]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Tenant quota exceeded/);
      assert.match(flat(r.stderr), /tenant acme in group g: cpu_cores requested 10, used 0, limit 8/);
      assert.match(r.stderr, /cpu_cores = 10/, "points at the attribute");
      assert.deepEqual(await ledgerObjects(s), [], "plan wrote nothing");
    });

    it("5 VMs that each fit but together exceed the quota fail at plan time", async () => {
      s.write("main.tf", withProvider(base("cpu_cores = 16") + vmHcl("web", "cpu_cores = 4\n  memory_gib = 4\n  disk_gib = 10", 5)));
      const r = await s.run(["plan", "-no-color"]);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(flat(r.stderr), /cpu_cores requested 4, used 16, limit 16/);
      assert.equal((r.stderr.match(/Tenant quota exceeded/g) ?? []).length, 1, "exactly the VM that crosses the limit is blamed");
    });

    it("quotas that add up to more than the group's capacity: one warning, on the quota", async () => {
      s.write("main.tf", withProvider(base("cpu_cores = 1000") + vmHcl("web", "cpu_cores = 1\n  memory_gib = 1\n  disk_gib = 1", 3)));
      const r = await ok(s, ["plan"]);
      const text = flat(r.stdout + r.stderr);
      assert.equal((text.match(/Warning: Quotas exceed group capacity/g) ?? []).length, 1, text);
      assert.match(text, /with otterscale_tenant_quota\.q, .*add up to 1000 cpu_cores, more than its capacity of 64/);
    });

    it("a required value computed by another resource does not fail the plan", async () => {
      s.write(
        "main.tf",
        withProvider(
          base("cpu_cores = 8") +
            `
resource "terraform_data" "n" {
  input = "late"
}
resource "otterscale_virtual_machine" "late" {
  name       = terraform_data.n.output
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 1
  memory_gib = 1
  disk_gib   = 1
}
`,
        ),
      );
      await ok(s, ["plan", "-out", "p.tfplan"]);
      await ok(s, ["apply", "p.tfplan"]);
      assert.ok((await ledgerObjects(s)).includes("virtual_machine acme/late"));
    });

    it("bad values fail at plan with the attribute named", async () => {
      s.write(
        "main.tf",
        withProvider(`
resource "otterscale_virtual_machine" "bad" {
  name       = "Bad_Name"
  tenant     = "acme"
  group      = "g"
  cpu_cores  = -2
  memory_gib = 4
  disk_gib   = 10
}
resource "otterscale_baremetal_group" "g" {
  name               = "g"
  placement_strategy = "random"
}
`),
      );
      const r = await s.run(["plan", "-no-color"]);
      assert.notEqual(r.code, 0);
      const text = flat(r.stderr);
      assert.match(text, /cpu_cores = -2 cpu_cores must be >= 1/, "points at the cpu_cores line");
      assert.match(text, /name = "Bad_Name" name "Bad_Name" does not match/, "points at the name line");
      assert.match(text, /placement_strategy = "random" placement_strategy must be one of "binpack", "spread", "balanced"/);
      assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, "no stack trace");
    });
  });

  it("sensitive inputs survive refresh (no perpetual diff) and never reach the ledger or manifests", async () => {
    const s = await tfSession();
    try {
      s.write(
        "main.tf",
        withProvider(
          base("cpu_cores = 8") +
            vmHcl("app", 'cpu_cores = 1\n  memory_gib = 1\n  disk_gib = 1\n  user_data = "#cloud-config\\npassword: s3cret-user-data"') +
            `
resource "otterscale_server" "bm" {
  name        = "bm"
  cpu_cores   = 4
  memory_gib  = 8
  storage_gib = 100
  bmc = { address = "10.0.0.9", username = "admin", password = "s3cret-bmc" }
}
`,
        ),
      );
      await ok(s, ["apply", "-auto-approve"]);
      const r = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(r.code, 0, `expected no changes after refresh:\n${r.stdout}`);
      const ledger = readFileSync(path.join(s.home, "ledger.db")).toString("latin1") + (existsSync(path.join(s.home, "ledger.db-wal")) ? readFileSync(path.join(s.home, "ledger.db-wal")).toString("latin1") : "");
      assert.ok(!ledger.includes("s3cret"), "no secret in the ledger");
      for (const kind of ["virtual_machine", "server"]) {
        for (const m of manifestsOf(s, kind)) assert.ok(!readFileSync(path.join(s.home, "manifests", m), "utf8").includes("s3cret"), m);
      }
    } finally {
      await s.close();
    }
  });

  it("apply -parallelism=20 of 40 VMs against a quota for 30: exactly 30 exist, 10 errors", async () => {
    const s = await tfSession({ env: { OTTERSCALE_REVIEW_CHECKS: "resource" } });
    try {
      s.write("main.tf", withProvider(base("cpu_cores = 30", 4) + vmHcl("vm", "cpu_cores = 1\n  memory_gib = 1\n  disk_gib = 1", 40)));
      const r = await s.run(["apply", "-auto-approve", "-parallelism=20", "-no-color"], 300_000);
      assert.notEqual(r.code, 0);
      // Each of the 10 fails on its own: at its re-plan during apply or at its reservation.
      assert.equal((r.stderr.match(/Error: Tenant quota exceeded/g) ?? []).length, 10, r.stderr.slice(0, 3000));
      const inState = (await s.run(["state", "list"])).stdout.split("\n").filter((l) => l.startsWith("otterscale_virtual_machine."));
      assert.equal(inState.length, 30);
      assert.equal((await ledgerObjects(s)).filter((o) => o.startsWith("virtual_machine ")).length, 30);
      assert.equal(manifestsOf(s, "virtual_machine").length, 30);
      assert.deepEqual(await quotaUse(s, "acme/g"), { cpu: 30, vms: 30 });
    } finally {
      await s.close();
    }
  });

  describe("day-2 operations", () => {
    let s: TfSession;
    const config = (cpu: number, tenant = "acme", servers: string[] = ["s1", "s2", "s3", "s4"]) =>
      withProvider(
        base("cpu_cores = 32", servers) +
          `
resource "otterscale_tenant_quota" "other" {
  tenant = "other"
  group  = otterscale_baremetal_group.g.name
}
resource "otterscale_virtual_machine" "app" {
  name       = "app"
  tenant     = ${tenant === "acme" ? "otterscale_tenant_quota.q.tenant" : "otterscale_tenant_quota.other.tenant"}
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = ${cpu}
  memory_gib = 4
  disk_gib   = 10
}
`,
      );
    before(async () => {
      s = await tfSession();
      s.write("main.tf", config(2));
      await ok(s, ["apply", "-auto-approve"]);
    });
    after(() => s.close());

    it("resizes in place", async () => {
      s.write("main.tf", config(6));
      const plan = await ok(s, ["plan"]);
      assert.match(plan.stdout, /otterscale_virtual_machine\.app will be updated in-place/);
      await ok(s, ["apply", "-auto-approve"]);
      const m = manifest(s, manifestsOf(s, "virtual_machine")[0]);
      assert.equal(m.spec.template.spec.domain.cpu.cores, 6);
      assert.equal((await quotaUse(s, "acme/g")).cpu, 6);
    });

    it("shows a force-replacement change as replace", async () => {
      s.write("main.tf", config(6, "other"));
      const plan = await ok(s, ["plan"]);
      assert.match(plan.stdout, /otterscale_virtual_machine\.app must be replaced/);
      assert.match(plan.stdout, /tenant\s+= "acme" -> "other" # forces replacement/);
      s.write("main.tf", config(6));
    });

    it("imports by ID, then plans no changes", async () => {
      await ok(s, ["state", "rm", "otterscale_virtual_machine.app"]);
      await ok(s, ["import", "otterscale_virtual_machine.app", "acme/app"]);
      const r = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });

    it("a manifest deleted by hand: refresh drops it and plan re-creates it", async () => {
      rmSync(path.join(s.home, "manifests", manifestsOf(s, "virtual_machine")[0]));
      const plan = await ok(s, ["plan"]);
      assert.match(plan.stdout, /otterscale_virtual_machine\.app will be created/);
      await ok(s, ["apply", "-auto-approve"]);
      assert.equal(manifestsOf(s, "virtual_machine").length, 1);
      assert.equal((await quotaUse(s, "acme/g")).cpu, 6, "re-created, counted once");
    });

    it("deleting a server that holds VMs fails with the VM names", async () => {
      const app = (await ok(s, ["state", "show", "otterscale_virtual_machine.app"])).stdout;
      const host = /server\s+= "(s\d)"/.exec(app)![1];
      // The server leaves the configuration; the selector-based group does not name it directly.
      const rest = ["s1", "s2", "s3", "s4"].filter((n) => n !== host);
      s.write("main.tf", config(6, "acme", rest));
      const r = await s.run(["apply", "-auto-approve", "-no-color"]);
      assert.notEqual(r.code, 0);
      assert.match(flat(r.stderr), new RegExp(`cannot delete server ${host}: it holds allocations of virtual_machine acme/app`));
      assert.ok((await ledgerObjects(s)).includes(`server ${host}`), "the server is still in the ledger");
      s.write("main.tf", config(6));
    });

    it("destroy leaves the ledger and the manifest directory empty", async () => {
      await ok(s, ["destroy", "-auto-approve"]);
      assert.deepEqual(await ledgerObjects(s), []);
      for (const kind of ["virtual_machine", "tenant_quota", "server", "baremetal_group"]) assert.deepEqual(manifestsOf(s, kind), [], kind);
    });
  });
});
