/**
 * Write-only arguments (Terraform 1.11) with the REAL terraform binary and provider executable:
 * `user_data_wo` / `bmc.password_wo` reach the backend (the manifest's digest, the Kubernetes
 * Secret) but never the state or a plan file; `*_wo_version` is what plans an update; both forms
 * at once is an error naming both.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { TERRAFORM, tfSession, type TfSession } from "./tf-harness";
import { manifests } from "../support/estate";
import { startFakeKube, type FakeKubeApiServer } from "../support/fake-kube-apiserver";

const SECRET = "#cloud-config\npassword: wo-secret-4711\n";
const SECRET2 = "#cloud-config\npassword: wo-secret-0815\n";
const BMC_SECRET = "bmc-wo-secret-2024";
const sha = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

async function ok(s: TfSession, args: string[]) {
  const r = await s.run([...args, "-no-color"]);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

const config = (vm: string, controllerUrl?: string) => `
terraform {
  required_providers {
    otterscale = { source = "otterscale/otterscale" }
  }
}

provider "otterscale" {
  ${controllerUrl ? `controller_url = ${JSON.stringify(controllerUrl)}` : ""}
}

variable "user_data" {
  type      = string
  ephemeral = true
}

resource "otterscale_server" "s" {
  name        = "s1"
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
  bmc = {
    address             = "10.0.0.1"
    username            = "admin"
    password_wo         = "${BMC_SECRET}"
    password_wo_version = 1
  }
}

resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [otterscale_server.s.name]
}

resource "otterscale_tenant_quota" "q" {
  tenant      = "acme"
  group       = otterscale_baremetal_group.g.name
  cpu_cores   = 8
  memory_gib  = 32
  storage_gib = 200
}

resource "otterscale_virtual_machine" "web" {
  name       = "web"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 10
  ${vm}
}
`;

/** Every file terraform keeps for the workspace (state, backup, plan), as text. */
const stateText = (s: TfSession, ...extra: string[]) =>
  ["terraform.tfstate", "terraform.tfstate.backup", ...extra].map((f) => path.join(s.dir, f)).filter(existsSync).map((f) => readFileSync(f, "latin1")).join("\n");

const vmManifest = (s: TfSession) => parse(readFileSync(path.join(s.home, "manifests", manifests(s.home, "virtual_machine")[0]), "utf8"));

describe("terraform write-only arguments (real terraform 1.11)", function () {
  this.timeout(300_000);
  before(() => assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`));

  describe("gitops (the default controller)", () => {
    let s: TfSession;
    const vm = (version: number) => `user_data_wo = var.user_data\n  user_data_wo_version = ${version}`;
    before(async () => {
      s = await tfSession();
      s.write("main.tf", config(vm(1)));
      await ok(s, ["apply", "-auto-approve", "-var", `user_data=${SECRET}`]);
    });
    after(() => s.close());

    it("sends user_data_wo to the backend but never stores it in state", () => {
      const state = stateText(s);
      assert.ok(state.length > 0, "a state file was written");
      assert.ok(!state.includes("wo-secret-4711"), "the write-only user data is not in the state file");
      assert.ok(!state.includes(BMC_SECRET), "the write-only BMC password is not in the state file");
      const st = JSON.parse(readFileSync(path.join(s.dir, "terraform.tfstate"), "utf8"));
      const web = st.resources.find((r: { type: string }) => r.type === "otterscale_virtual_machine").instances[0].attributes;
      assert.equal(web.user_data_wo, null);
      assert.equal(web.user_data_wo_version, 1);
      assert.equal(web.user_data, null);
      // The manifest references the Secret and carries the digest of exactly this value.
      const m = vmManifest(s);
      assert.equal(m.metadata.annotations["otterscale.io/user-data-sha256"], sha(SECRET));
      assert.ok(JSON.stringify(m.spec.template.spec.volumes).includes("web-user-data"));
    });

    it("plans nothing while the version is unchanged, even when the value changes; never in a plan file", async () => {
      const r = await s.run(["plan", "-detailed-exitcode", "-no-color", "-out=tfplan", "-var", `user_data=${SECRET2}`]);
      assert.equal(r.code, 0, `expected no changes:\n${r.stdout}\n${r.stderr}`);
      assert.ok(!stateText(s, "tfplan").includes("wo-secret"), "no write-only value in the plan file");
    });

    it("a new version plans an in-place update that sends the new value", async () => {
      s.write("main.tf", config(vm(2)));
      const plan = await s.run(["plan", "-detailed-exitcode", "-no-color", "-out=tfplan", "-var", `user_data=${SECRET2}`]);
      assert.equal(plan.code, 2, `expected changes:\n${plan.stdout}\n${plan.stderr}`);
      assert.match(plan.stdout, /~ user_data_wo_version\s+= 1 -> 2/);
      assert.match(plan.stdout, /1 to change, 0 to destroy/);
      assert.ok(!stateText(s, "tfplan").includes("wo-secret"), "no write-only value in the plan file");
      await ok(s, ["apply", "-var", `user_data=${SECRET2}`, "tfplan"]);
      assert.equal(vmManifest(s).metadata.annotations["otterscale.io/user-data-sha256"], sha(SECRET2));
      assert.ok(!stateText(s).includes("wo-secret"), "still not in state after the update");
      const again = await s.run(["plan", "-detailed-exitcode", "-no-color", "-var", `user_data=${SECRET2}`]);
      assert.equal(again.code, 0, `converged:\n${again.stdout}\n${again.stderr}`);
    });

    it("refuses user_data together with user_data_wo, naming both", async () => {
      s.write("main.tf", config(`user_data = "x"\n  ${vm(2)}`));
      const r = await s.run(["validate", "-no-color"]);
      assert.notEqual(r.code, 0);
      const text = (r.stdout + r.stderr).replace(/\s+/g, " ");
      assert.match(text, /user_data and user_data_wo cannot both be set/);
      assert.ok(!text.includes("wo-secret"), "never quotes the value");
    });

    it("refuses a version without its write-only value", async () => {
      s.write("main.tf", config(`user_data_wo_version = 3`));
      const r = await s.run(["validate", "-no-color"]);
      assert.notEqual(r.code, 0);
      assert.match((r.stdout + r.stderr).replace(/\s+/g, " "), /user_data_wo_version is set but user_data_wo is not/);
    });

    it("validates a write-only value like the attribute it supplies, under its own name", async () => {
      s.write("main.tf", config(`user_data_wo = "${"x".repeat(65537)}"`));
      const r = await s.run(["validate", "-no-color"]);
      assert.notEqual(r.code, 0);
      assert.match((r.stdout + r.stderr).replace(/\s+/g, " "), /user_data_wo must NOT have more than 65536 characters/);
    });
  });

  describe("kubernetes controller: the Secret gets the value", () => {
    let s: TfSession;
    let fake: FakeKubeApiServer;
    before(async () => {
      s = await tfSession();
      fake = await startFakeKube();
      const url = `kubernetes://?kubeconfig=${await fake.writeKubeconfig(s.home)}`;
      s.write("main.tf", config(`user_data_wo = var.user_data\n  user_data_wo_version = 1`, url));
      await ok(s, ["apply", "-auto-approve", "-var", `user_data=${SECRET}`]);
    });
    after(async () => {
      await fake?.stop();
      await s?.close();
    });

    it("writes user_data_wo to <vm>-user-data and bmc.password_wo to the BMC Secret; the state holds neither", () => {
      const secret = fake.object("v1", "Secret", "acme", "web-user-data");
      assert.ok(secret, "the user-data Secret exists");
      const data = (secret as { stringData?: Record<string, string>; data?: Record<string, string> });
      const userdata = data.stringData?.userdata ?? Buffer.from(data.data?.userdata ?? "", "base64").toString("utf8");
      assert.equal(userdata, SECRET);
      const bmc = fake.objects("v1", "Secret").find((o) => (o as { metadata: { name: string } }).metadata.name.startsWith("s1-bmc"));
      assert.ok(bmc, "the BMC Secret exists");
      const b = bmc as { stringData?: Record<string, string>; data?: Record<string, string> };
      assert.equal(b.stringData?.password ?? Buffer.from(b.data?.password ?? "", "base64").toString("utf8"), BMC_SECRET);
      const state = stateText(s);
      assert.ok(!state.includes("wo-secret-4711") && !state.includes(BMC_SECRET), "no write-only value in the state file");
    });
  });
});
