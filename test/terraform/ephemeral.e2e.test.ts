/**
 * The ephemeral resource `otterscale_vcluster_kubeconfig` (Terraform 1.10) with the REAL
 * terraform binary and provider executable: opened during plan and apply (unknown while the
 * vCluster is only planned), fed to a child module's ephemeral variable/local/output, to a
 * `provider` block (our own provider stands in for `provider "kubernetes"`, which cannot be
 * downloaded here) and to a write-only argument, and never written to the state or plan file.
 */
import { vclusterNamespace } from "../../provider/src/controllers/render/vcluster";
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { TERRAFORM, tfSession, type TfSession } from "./tf-harness";
import * as k8s from "@kubernetes/client-node";
import { manifests } from "../support/estate";
import { startFakeKube, type FakeKubeApiServer } from "../support/fake-kube-apiserver";

async function ok(s: TfSession, args: string[]) {
  const r = await s.run([...args, "-no-color"]);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

const sha = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
const flat = (t: string) => t.replace(/\s+/g, " ");

const estate = (controllerUrl?: string, version = 1) => `
terraform {
  required_providers {
    otterscale = { source = "otterscale/otterscale" }
  }
}

provider "otterscale" {
  ${controllerUrl ? `controller_url = ${JSON.stringify(controllerUrl)}` : ""}
}

resource "otterscale_server" "s" {
  for_each    = toset(["s1", "s2"])
  name        = each.key
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}

resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [for s in otterscale_server.s : s.name]
}

resource "otterscale_tenant_quota" "q" {
  tenant      = "acme"
  group       = otterscale_baremetal_group.g.name
  cpu_cores   = 8
  memory_gib  = 32
  storage_gib = 200
}

resource "otterscale_vcluster" "dev" {
  name   = "dev"
  tenant = otterscale_tenant_quota.q.tenant
  group  = otterscale_tenant_quota.q.group
}

ephemeral "otterscale_vcluster_kubeconfig" "dev" {
  tenant = otterscale_vcluster.dev.tenant
  name   = otterscale_vcluster.dev.name
}

module "kube" {
  source     = "./kube"
  kubeconfig = ephemeral.otterscale_vcluster_kubeconfig.dev.kubeconfig
}

# The opened kubeconfig reaches the backend through a write-only argument (never stored).
resource "otterscale_virtual_machine" "probe" {
  name                 = "probe"
  tenant               = otterscale_tenant_quota.q.tenant
  group                = otterscale_tenant_quota.q.group
  cpu_cores            = 1
  memory_gib           = 1
  disk_gib             = 1
  user_data_wo         = ephemeral.otterscale_vcluster_kubeconfig.dev.kubeconfig
  user_data_wo_version = ${version}
}
`;

/** A provider block configured from the ephemeral value, used by a data source. */
const providerBlock = `
provider "otterscale" {
  alias = "vcluster"
  # Stands in for provider "kubernetes" { ... }: any provider block accepts ephemeral values.
  owner = "kube-\${substr(sha256(ephemeral.otterscale_vcluster_kubeconfig.dev.kubeconfig), 0, 8)}"
}

data "otterscale_group_capacity" "through_vcluster_provider" {
  provider = otterscale.vcluster
  group    = otterscale_baremetal_group.g.name
}
`;

const kubeModule = (expectedServer: string) => `
variable "kubeconfig" {
  type      = string
  ephemeral = true
}

locals {
  config = yamldecode(var.kubeconfig)
}

output "server" {
  value     = local.config.clusters[0].cluster.server
  ephemeral = true
  precondition {
    condition     = startswith(local.config.clusters[0].cluster.server, ${JSON.stringify(expectedServer)})
    error_message = "unexpected vCluster endpoint"
  }
}
`;

function setUp(s: TfSession, main: string, expectedServer = "https://dev.vc-dev-") {
  mkdirSync(path.join(s.dir, "kube"), { recursive: true });
  s.write("main.tf", main);
  s.write("kube/main.tf", kubeModule(expectedServer));
}

/** The plan file's entries, decompressed (a plan file is a zip). */
function planText(s: TfSession, file: string): string {
  const r = spawnSync("unzip", ["-p", path.join(s.dir, file)], { encoding: "latin1" });
  assert.equal(r.status, 0, `unzip failed: ${r.stderr}`);
  return r.stdout;
}

const stateJson = (s: TfSession) => JSON.parse(readFileSync(path.join(s.dir, "terraform.tfstate"), "utf8"));

describe("terraform ephemeral otterscale_vcluster_kubeconfig (real terraform 1.10+)", function () {
  this.timeout(300_000);
  before(() => assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`));

  describe("gitops (the default controller)", () => {
    let s: TfSession;
    let applied: string;
    before(async () => {
      s = await tfSession();
      setUp(s, estate());
      await ok(s, ["get"]);
      applied = (await ok(s, ["apply", "-auto-approve"])).stdout;
    });
    after(() => s.close());

    it("applies from empty: unknown while the vCluster is only planned, opened once it exists", () => {
      assert.match(applied, /otterscale_vcluster\.dev: Creation complete[\s\S]*ephemeral\.otterscale_vcluster_kubeconfig\.dev: Opening complete[\s\S]*otterscale_virtual_machine\.probe: Creation complete/);
      assert.match(applied, /ephemeral\.otterscale_vcluster_kubeconfig\.dev: Closing complete/);
    });

    it("hands the opened kubeconfig to a write-only argument; the state holds no ephemeral resource", () => {
      const st = stateJson(s);
      const vcluster = st.resources.find((r: { type: string }) => r.type === "otterscale_vcluster").instances[0].attributes;
      const vm = parse(readFileSync(path.join(s.home, "manifests", manifests(s.home, "virtual_machine")[0]), "utf8"));
      assert.equal(vm.metadata.annotations["otterscale.io/user-data-sha256"], sha(vcluster.kubeconfig), "the VM got exactly the opened kubeconfig");
      assert.ok(st.resources.every((r: { mode: string }) => r.mode !== "ephemeral"), "no ephemeral resource in state");
      const probe = st.resources.find((r: { type: string; name: string }) => r.name === "probe").instances[0].attributes;
      assert.equal(probe.user_data_wo, null);
      assert.equal(probe.user_data, null);
    });

    it("feeds a provider block and a module's ephemeral output at plan; nothing of it in the plan file", async () => {
      s.write("main.tf", estate() + providerBlock);
      const plan = await ok(s, ["plan", "-out=tfplan"]);
      assert.match(plan.stdout, /ephemeral\.otterscale_vcluster_kubeconfig\.dev: Opening complete/);
      assert.match(plan.stdout, /data\.otterscale_group_capacity\.through_vcluster_provider: Read complete/);
      const shown = JSON.parse((await ok(s, ["show", "-json", "tfplan"])).stdout);
      const addresses = [
        ...(shown.planned_values?.root_module?.resources ?? []),
        ...(shown.resource_changes ?? []),
        ...(shown.prior_state?.values?.root_module?.resources ?? []),
      ].map((r: { address: string; mode: string }) => `${r.mode} ${r.address}`);
      assert.ok(addresses.length > 5 && addresses.every((a) => !a.includes("ephemeral")), `no ephemeral resource among the plan's values: ${addresses.join(", ")}`);
      assert.ok(!planText(s, "tfplan").includes("credentials_secret"), "the ephemeral result is not in the plan file");
    });

    it("evaluates the opened value at plan (a failing precondition on it fails the plan)", async () => {
      setUp(s, estate(), "https://elsewhere.");
      const r = await s.run(["plan", "-no-color"]);
      assert.notEqual(r.code, 0);
      assert.match(flat(r.stdout + r.stderr), /unexpected vCluster endpoint/);
      setUp(s, estate());
    });

    it("names the vCluster when it does not exist and is not planned", async () => {
      s.write("main.tf", estate() + `\nephemeral "otterscale_vcluster_kubeconfig" "nope" {\n  tenant = "acme"\n  name   = "nope"\n}\n`);
      const r = await s.run(["plan", "-no-color"]);
      assert.notEqual(r.code, 0);
      assert.match(flat(r.stdout + r.stderr), /vcluster "acme\/nope" does not exist/);
      s.write("main.tf", estate());
    });
  });

  describe("kubernetes controller: the vCluster's own kubeconfig, credentials included", () => {
    const TOKEN = "token-ephemeral-9f3c2a";
    const own = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: dev",
      // vCluster's own kubeconfig names the service in the release namespace.
      `    cluster: { server: https://dev.${vclusterNamespace("acme", "dev")}.svc.cluster.local:443 }`,
      "users:",
      "  - name: dev",
      `    user: { token: ${TOKEN} }`,
      "contexts:",
      "  - name: dev",
      "    context: { cluster: dev, user: dev }",
      "current-context: dev",
      "",
    ].join("\n");
    let s: TfSession;
    let fake: FakeKubeApiServer;
    let url: string;
    before(async () => {
      s = await tfSession();
      fake = await startFakeKube();
      const kubeconfig = await fake.writeKubeconfig(s.home);
      url = `kubernetes://?kubeconfig=${kubeconfig}`;
      setUp(s, estate(url));
      await ok(s, ["get"]);
      await ok(s, ["apply", "-auto-approve"]);
      // What vCluster does once its control plane runs: write its kubeconfig to vc-<name>.
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfig);
      await k8s.KubernetesObjectApi.makeApiClient(kc).create({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "vc-dev", namespace: "acme" },
        data: { config: Buffer.from(own).toString("base64") },
      } as k8s.KubernetesObject);
    });
    after(async () => {
      await fake?.stop();
      await s?.close();
    });

    it("opens the Secret's kubeconfig, delivers it through a write-only argument, and stores it nowhere", async () => {
      s.write("main.tf", estate(url, 2) + providerBlock);
      const plan = await ok(s, ["plan", "-out=tfplan"]);
      assert.match(plan.stdout, /ephemeral\.otterscale_vcluster_kubeconfig\.dev: Opening complete/);
      assert.ok(!planText(s, "tfplan").includes(TOKEN), "the credential is not in the plan file");
      await ok(s, ["apply", "tfplan"]);
      const secret = fake.object("v1", "Secret", "acme", "probe-user-data") as { data?: Record<string, string> } | undefined;
      assert.equal(Buffer.from(secret?.data?.userdata ?? "", "base64").toString("utf8"), own, "the probe VM got the vCluster's own kubeconfig");
      const state = readFileSync(path.join(s.dir, "terraform.tfstate"), "utf8");
      assert.ok(state.length > 0 && !state.includes(TOKEN), "the credential is not in the state file");
      assert.ok(!readFileSync(path.join(s.dir, "terraform.tfstate.backup"), "utf8").includes(TOKEN));
    });
  });
});
