/**
 * "The ledger is the truth", as a Terraform user meets it: the REAL terraform binary driving the
 * REAL provider executable and engine (SQLite ledger + gitops manifests), each session in its own
 * directory and OTTERSCALE_HOME.
 *
 * - A plan never writes: pointed at a nonexistent, emptied or foreign controller location it
 *   refuses with a message naming the location, and the ledger (the operator's CLI view and every
 *   SQLite row) is identical before and after, and no directory appears.
 * - A manifest deleted by hand: the plan re-creates the VM and warns "Missing on the backend"
 *   without touching the ledger; the apply re-makes it on the same server, charged once.
 * - A nodeSelector edited by hand: the plan shows the drift and names the value without touching
 *   the ledger; the apply re-applies the rendered placement, and the ledger keeps its own.
 * - State from ledger A used against ledger B is refused naming both ids.
 */
import { strict as assert } from "node:assert";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { openLedger } from "../../provider/src/ledger/open";
import { cli } from "../cli/cli-harness";
import { cliSnapshot, sqliteRows, type CliSnapshot } from "../support/ledger-snapshot";
import { TERRAFORM, tfSession, type RunResult, type TfSession } from "./tf-harness";

/** Terraform wraps long messages: compare on whitespace-normalized text. */
const flat = (text: string) => text.replace(/\s+/g, " ");

async function ok(s: TfSession, args: string[], timeoutMs?: number): Promise<RunResult> {
  const r = await s.run([...args, "-no-color"], timeoutMs);
  assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

interface PlanDiagnostic {
  readonly severity: string;
  readonly summary: string;
  readonly detail: string;
  readonly address?: string;
}

/** The diagnostics of `terraform plan -json`, each with the address of its resource. */
async function planJson(s: TfSession, args: string[] = []): Promise<PlanDiagnostic[]> {
  const r = await s.run(["plan", "-json", ...args]);
  assert.equal(r.code, 0, `terraform plan -json failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { type: string; diagnostic?: PlanDiagnostic & { address?: string } })
    .filter((m) => m.type === "diagnostic" && m.diagnostic)
    .map((m) => m.diagnostic!);
}

/** The id of the ledger at `url` (it must exist). */
async function ledgerIdOf(url: string): Promise<string> {
  const ledger = await openLedger(url);
  try {
    return ledger.id;
  } finally {
    await ledger.close();
  }
}

/** Creates an empty ledger at `url` (as `otterscale ledger init` does) and returns its id. */
async function initLedger(url: string): Promise<string> {
  const ledger = await openLedger(url, { create: true });
  try {
    return ledger.id;
  } finally {
    await ledger.close();
  }
}

/**
 * Three servers, a group, acme's quota and two VMs. `ledger_url` and `controller_url` are
 * variables (null = the provider's default under OTTERSCALE_HOME), so a test re-points the
 * provider with `-var` and nothing else changes.
 */
const ESTATE = `
terraform {
  required_providers {
    otterscale = { source = "otterscale/otterscale" }
  }
}

variable "ledger_url" {
  type    = string
  default = null
}

variable "controller_url" {
  type    = string
  default = null
}

variable "vm_cpu_cores" {
  type    = number
  default = 2
}

provider "otterscale" {
  ledger_url     = var.ledger_url
  controller_url = var.controller_url
}

resource "otterscale_server" "s" {
  for_each    = toset(["s1", "s2", "s3"])
  name        = each.key
  labels      = { pool = "general" }
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
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 500
}

resource "otterscale_virtual_machine" "vm" {
  for_each   = toset(["a", "b"])
  name       = "web-\${each.key}"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = var.vm_cpu_cores
  memory_gib = 4
  disk_gib   = 10
}
`;

/** 3 servers + group + quota + 2 VMs. */
const OBJECTS = 7;

/** The ledger as the operator sees it and as SQLite stores it. */
interface Snapshot {
  readonly cli: CliSnapshot;
  readonly rows: Record<string, string[]>;
}

async function snapshot(home: string, ledgerFile: string, env: NodeJS.ProcessEnv = {}): Promise<Snapshot> {
  return { rows: sqliteRows(ledgerFile), cli: await cliSnapshot(home, env) };
}

function assertUnchanged(before: Snapshot, after: Snapshot, what: string): void {
  assert.deepEqual(after.cli.usage, before.cli.usage, `${what}: otterscale usage changed`);
  assert.deepEqual(after.cli.allocations, before.cli.allocations, `${what}: otterscale allocations changed`);
  assert.equal(after.cli.audit.events.length, before.cli.audit.events.length, `${what}: the audit trail grew`);
  assert.deepEqual(after.cli.audit, before.cli.audit, `${what}: otterscale audit changed`);
  assert.deepEqual(after.rows, before.rows, `${what}: a ledger row changed`);
}

/** Every file under `dir`, relative, sorted (to prove a directory was left exactly as it was). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe("terraform: the ledger is the truth (real binary, real provider, real engine)", function () {
  this.timeout(300_000);
  before(() => assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`));

  describe("a plan against a controller location that holds nothing of the ledger", () => {
    let s: TfSession;
    let ledgerFile: string;
    let manifestsDir: string;
    let id: string;
    let applied: Snapshot;
    let appliedFiles: string[];

    before(async () => {
      s = await tfSession();
      s.write("main.tf", ESTATE);
      await ok(s, ["apply", "-auto-approve"]);
      ledgerFile = path.join(s.home, "ledger.db");
      manifestsDir = path.join(s.home, "manifests");
      appliedFiles = filesUnder(manifestsDir);
      id = await ledgerIdOf(`sqlite://${ledgerFile}`);
      applied = await snapshot(s.home, ledgerFile);
      assert.equal(applied.cli.allocations.allocations.length, 2);
      assert.ok(applied.cli.allocations.allocations.every((a) => a.backend === "present"), JSON.stringify(applied.cli.allocations));
    });
    after(() => s?.close());

    it("a nonexistent controller path (a typo): plan refuses naming the location, writes nothing, creates no directory", async () => {
      const nowhere = path.join(path.dirname(s.home), "typo", "manifests");
      const r = await s.run(["plan", "-no-color", "-var", `controller_url=gitops://${nowhere}`]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const text = flat(r.stderr);
      assert.match(text, /Error: Invalid provider configuration/);
      assert.ok(text.includes(`controller location gitops://${nowhere} holds nothing of ledger ${id}`), text);
      assert.ok(text.includes(`which records ${OBJECTS} objects`), text);
      assert.match(text, /check controller_url for a typo/);
      assert.match(text, /otterscale controller claim/);
      assert.doesNotMatch(r.stdout, /will be created|Plan: /, "no plan was made");
      assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, "no stack trace");
      assert.ok(!existsSync(path.dirname(nowhere)), "the plan created no directory at the controller path");
      assertUnchanged(applied, await snapshot(s.home, ledgerFile), "plan against a nonexistent location");
    });

    it("an emptied manifests directory (a checkout in progress): plan refuses, leaves the directory empty; once restored, no changes", async () => {
      const away = `${manifestsDir}.checkout`;
      renameSync(manifestsDir, away);
      mkdirSync(manifestsDir);
      try {
        const r = await s.run(["plan", "-no-color"]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const text = flat(r.stderr);
        assert.ok(text.includes(`controller location gitops://${manifestsDir} holds nothing of ledger ${id}`), text);
        assert.doesNotMatch(r.stdout, /will be created/);
        assert.deepEqual(readdirSync(manifestsDir), [], "not even an ownership marker was written");
        // The operator's read commands answer too, and see the same ledger.
        assertUnchanged(applied, await snapshot(s.home, ledgerFile, { OTTERSCALE_CONTROLLER_URL: `gitops://${away}` }), "plan against an emptied location");
        assert.deepEqual(readdirSync(manifestsDir), []);
      } finally {
        rmSync(manifestsDir, { recursive: true, force: true });
        renameSync(away, manifestsDir);
      }
      const again = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(again.code, 0, `the restored checkout plans no changes:\n${again.stdout}\n${again.stderr}`);
      assertUnchanged(applied, await snapshot(s.home, ledgerFile), "plan after the restore");
    });

    it("a location that belongs to another ledger: plan refuses naming both ledgers, and the location keeps its owner", async () => {
      const foreign = path.join(path.dirname(s.home), "foreign-manifests");
      cpSync(manifestsDir, foreign, { recursive: true });
      const marker = path.join(foreign, ".otterscale-ledger");
      assert.ok(existsSync(marker), "the first apply marked the directory as its ledger's");
      assert.equal(JSON.parse(readFileSync(marker, "utf8")).ledger_id, id);
      writeFileSync(marker, JSON.stringify({ ledger_id: "ledger-of-another-estate" }));
      const files = filesUnder(foreign);
      try {
        const r = await s.run(["plan", "-no-color", "-var", `controller_url=gitops://${foreign}`]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const text = flat(r.stderr);
        assert.ok(text.includes(`controller location gitops://${foreign} belongs to ledger ledger-of-another-estate, but ledger_url sqlite://${ledgerFile} is ledger ${id}`), text);
        assert.deepEqual(filesUnder(foreign), files);
        assert.equal(JSON.parse(readFileSync(marker, "utf8")).ledger_id, "ledger-of-another-estate");
        assertUnchanged(applied, await snapshot(s.home, ledgerFile), "plan against a foreign location");
      } finally {
        rmSync(foreign, { recursive: true, force: true });
      }
    });

    it("after a real loss, `otterscale controller claim` lets the plan proceed: the VMs show as missing and are re-created in place", async () => {
      const lost = `${manifestsDir}.lost`;
      renameSync(manifestsDir, lost);
      mkdirSync(manifestsDir);
      try {
        const claim = await cli(["controller", "claim"], { home: s.home, wrapper: true });
        assert.equal(claim.code, 0, claim.stdout + claim.stderr);
        assert.equal(JSON.parse(readFileSync(path.join(manifestsDir, ".otterscale-ledger"), "utf8")).ledger_id, id);
        const before = await snapshot(s.home, ledgerFile);
        assert.deepEqual(before.cli.allocations.allocations.map((a) => [a.id, a.backend]), [["acme/web-a", "missing"], ["acme/web-b", "missing"]]);
        const plan = await ok(s, ["plan"]);
        const text = flat(plan.stdout + plan.stderr);
        assert.match(plan.stdout, /otterscale_virtual_machine\.vm\["a"\] will be created/);
        assert.match(plan.stdout, /otterscale_virtual_machine\.vm\["b"\] will be created/);
        // The three servers' inventory records were lost too: each is re-rendered by an in-place
        // update (its status is known after apply), with the BMC secrets only the config has.
        assert.match(plan.stdout, /otterscale_server\.s\["s1"\] will be updated in-place/);
        assert.match(plan.stdout, /Plan: 2 to add, 3 to change, 0 to destroy/);
        assert.match(text, /Warning: Missing on the backend/);
        // Terraform folds similar warnings in its text; the JSON view lists each one.
        const warned = (await planJson(s)).filter((d) => d.summary === "Missing on the backend").map((d) => d.address);
        assert.deepEqual(warned.sort(), ['otterscale_virtual_machine.vm["a"]', 'otterscale_virtual_machine.vm["b"]']);
        assertUnchanged(before, await snapshot(s.home, ledgerFile), "plan after the claim");
        await ok(s, ["apply", "-auto-approve"]);
        const after = await snapshot(s.home, ledgerFile);
        assert.deepEqual(after.cli.usage, applied.cli.usage, "re-created under the same reservations: charged once");
        assert.deepEqual(
          after.cli.allocations.allocations.map((a) => [a.id, a.servers, a.backend]),
          applied.cli.allocations.allocations.map((a) => [a.id, a.servers, "present"]),
          "on the same servers",
        );
      } finally {
        rmSync(lost, { recursive: true, force: true });
      }
    });

    // The claim test above re-created the VMs and re-rendered the servers; the group's and the
    // quota's manifests may still be lost. Such a loss must not stay silent: after the apply, each
    // lost manifest is back, or a plan shows a change for it, or `otterscale reconcile` reports it
    // (and `--apply` re-renders it).
    it("after the claim and the apply, no lost manifest (servers, group, tenant ResourceQuota) goes unnoticed", async () => {
      const gone = appliedFiles.filter((f) => !filesUnder(manifestsDir).includes(f));
      if (!gone.length) return;
      const plan = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      const reconcile = await cli(["-o", "json", "reconcile"], { home: s.home, wrapper: true });
      const reported = (JSON.parse(reconcile.stdout) as { decisions: { kind: string; id: string }[] }).decisions.map((d) => `${d.kind} ${d.id}`);
      assert.ok(
        plan.code === 2 || reported.length > 0,
        `lost on the backend and unnoticed: ${gone.join(", ")}; plan exit ${plan.code} (no changes), reconcile reports ${JSON.stringify(reported)}`,
      );
      const fixed = await cli(["-o", "json", "reconcile", "--apply"], { home: s.home, wrapper: true });
      assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
      assert.deepEqual(appliedFiles.filter((f) => !filesUnder(manifestsDir).includes(f)), [], "reconcile --apply re-rendered every lost record");
      assert.equal((await s.run(["plan", "-detailed-exitcode", "-no-color"])).code, 0, "and the next plan has no changes");
    });
  });

  describe("a VM manifest deleted by hand", () => {
    let s: TfSession;
    let ledgerFile: string;
    let applied: Snapshot;
    const manifestOf = (name: string) => path.join(s.home, "manifests", "acme", "virtual_machine", `${name}.yaml`);

    before(async () => {
      s = await tfSession();
      s.write("main.tf", ESTATE);
      await ok(s, ["apply", "-auto-approve"]);
      ledgerFile = path.join(s.home, "ledger.db");
      applied = await snapshot(s.home, ledgerFile);
    });
    after(() => s?.close());

    it("plan shows the re-create and warns `Missing on the backend`; the ledger is unchanged; apply re-makes it on the same server, charged once", async () => {
      const webB = applied.cli.allocations.allocations.find((a) => a.id === "acme/web-b")!;
      const hostname = parse(readFileSync(manifestOf("web-b"), "utf8")).spec.template.spec.nodeSelector["kubernetes.io/hostname"];
      rmSync(manifestOf("web-b"));

      const before = await snapshot(s.home, ledgerFile);
      const missing = before.cli.allocations.allocations.find((a) => a.id === "acme/web-b")!;
      assert.deepEqual([missing.state, missing.backend, missing.servers], ["active", "missing", webB.servers], "allocations shows it missing, still held");
      assert.equal(before.cli.allocations.allocations.find((a) => a.id === "acme/web-a")!.backend, "present");
      assert.deepEqual(before.cli.usage, applied.cli.usage, "still charged");
      const table = await cli(["allocations"], { home: s.home, wrapper: true });
      assert.match(table.stdout, /web-b .*active \(missing\)/);

      const plan = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(plan.code, 2, plan.stdout + plan.stderr);
      assert.match(plan.stdout, /otterscale_virtual_machine\.vm\["b"\] will be created/);
      assert.match(plan.stdout, /Plan: 1 to add, 0 to change, 0 to destroy/);
      const text = flat(plan.stdout + plan.stderr);
      assert.equal((text.match(/Warning: Missing on the backend/g) ?? []).length, 1, text);
      assert.ok(text.includes(`virtual_machine acme/web-b is missing on the backend, but the ledger still holds its allocation on ${webB.servers.join(", ")}`), text);
      assert.match(text, /re-creates it in place, on the same reservation and server/);
      assert.match(text, /with otterscale_virtual_machine\.vm\["b"\]/, "the warning points at the resource");
      assertUnchanged(before, await snapshot(s.home, ledgerFile), "plan of a missing VM");
      assert.ok(!existsSync(manifestOf("web-b")), "the plan wrote no manifest");

      await ok(s, ["apply", "-auto-approve"]);
      assert.ok(existsSync(manifestOf("web-b")));
      assert.equal(parse(readFileSync(manifestOf("web-b"), "utf8")).spec.template.spec.nodeSelector["kubernetes.io/hostname"], hostname, "pinned to the same node");
      const after = await snapshot(s.home, ledgerFile);
      const back = after.cli.allocations.allocations.find((a) => a.id === "acme/web-b")!;
      assert.deepEqual([back.state, back.backend, back.servers], ["active", "present", webB.servers], "same server");
      assert.deepEqual(after.cli.usage, applied.cli.usage, "charged once");
      assert.equal((await ok(s, ["state", "show", 'otterscale_virtual_machine.vm["b"]'])).stdout.match(/server\s+= "(s\d)"/)![1], webB.servers[0]);
      const again = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
    });
  });

  describe("a VM manifest's nodeSelector edited by hand", () => {
    let s: TfSession;
    let ledgerFile: string;
    const manifestOf = (name: string) => path.join(s.home, "manifests", "acme", "virtual_machine", `${name}.yaml`);
    const hostOf = (name: string) => parse(readFileSync(manifestOf(name), "utf8")).spec.template.spec.nodeSelector["kubernetes.io/hostname"];

    before(async () => {
      s = await tfSession();
      s.write("main.tf", ESTATE);
      await ok(s, ["apply", "-auto-approve"]);
      ledgerFile = path.join(s.home, "ledger.db");
    });
    after(() => s?.close());

    it("plan shows the drift (and names the value) without touching the ledger; apply re-applies the rendered placement; the ledger keeps its placement", async () => {
      const placed = hostOf("web-a");
      const elsewhere = ["s1", "s2", "s3"].find((h) => h !== placed)!;
      // Moving it by hand, e.g. onto another anti-affinity peer's host.
      const text0 = readFileSync(manifestOf("web-a"), "utf8");
      const edited = text0.replace(`kubernetes.io/hostname: ${placed}`, `kubernetes.io/hostname: ${elsewhere}`);
      assert.notEqual(edited, text0, "the edit applied");
      writeFileSync(manifestOf("web-a"), edited);
      const before = await snapshot(s.home, ledgerFile);

      const plan = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(plan.code, 2, `a drifted manifest is a change to make:\n${plan.stdout}\n${plan.stderr}`);
      assert.match(plan.stdout, /otterscale_virtual_machine\.vm\["a"\] will be updated in-place/);
      assert.match(plan.stdout, /status\s+= "Drifted" -> \(known after apply\)/);
      assert.match(plan.stdout, /Plan: 0 to add, 1 to change, 0 to destroy/);
      const text = flat(plan.stdout + plan.stderr);
      assert.match(text, /Warning: Changed outside of otterscale/);
      assert.ok(text.includes(`spec.template.spec.nodeSelector["kubernetes.io/hostname"]: rendered "${placed}", found "${elsewhere}"`), text);
      assertUnchanged(before, await snapshot(s.home, ledgerFile), "plan of a drifted VM");
      assert.equal(hostOf("web-a"), elsewhere, "the plan re-applied nothing");

      await ok(s, ["apply", "-auto-approve"]);
      assert.equal(hostOf("web-a"), placed, "apply put the rendered placement back");
      const after = await snapshot(s.home, ledgerFile);
      assert.deepEqual(after.cli.allocations.allocations.map((a) => [a.id, a.servers]), before.cli.allocations.allocations.map((a) => [a.id, a.servers]), "the ledger's placement did not move");
      assert.deepEqual(after.cli.usage, before.cli.usage, "charged the same");
      assert.equal((await ok(s, ["state", "show", 'otterscale_virtual_machine.vm["a"]'])).stdout.match(/status\s+= "(\w+)"/)![1], "Running");
      const again = await s.run(["plan", "-detailed-exitcode", "-no-color"]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
    });
  });

  describe("state from one ledger used against another", () => {
    let s: TfSession;
    let urlA: string;
    let urlB: string;
    let idA: string;
    let idB: string;
    let stateFile: string;
    let appliedA: Snapshot;

    before(async () => {
      s = await tfSession();
      const root = path.dirname(s.home);
      urlA = `sqlite://${path.join(root, "ledgers", "a.db")}`;
      urlB = `sqlite://${path.join(root, "ledgers", "b.db")}`;
      idA = await initLedger(urlA);
      idB = await initLedger(urlB);
      s.write("main.tf", ESTATE);
      await ok(s, ["apply", "-auto-approve", "-var", `ledger_url=${urlA}`]);
      stateFile = path.join(s.dir, "terraform.tfstate");
      appliedA = await snapshot(s.home, urlA.slice("sqlite://".length), { OTTERSCALE_LEDGER_URL: urlA });
    });
    after(() => s?.close());

    /** Ledger B as it was created: no object, no audit event. */
    async function assertBUntouched(): Promise<void> {
      const b = await snapshot(s.home, urlB.slice("sqlite://".length), { OTTERSCALE_LEDGER_URL: urlB, OTTERSCALE_CONTROLLER_URL: `gitops://${path.join(path.dirname(s.home), "b-manifests")}` });
      assert.deepEqual(b.cli.allocations.allocations, []);
      assert.deepEqual(b.cli.audit.events, []);
      assert.deepEqual(b.rows.objects ?? [], []);
    }

    it("the state remembers ledger A in its private data", () => {
      const state = JSON.parse(readFileSync(stateFile, "utf8")) as { resources: { instances: { private?: string }[] }[] };
      const privates = state.resources.flatMap((r) => r.instances.map((i) => JSON.parse(Buffer.from(i.private ?? "", "base64").toString("utf8"))));
      assert.equal(privates.length, OBJECTS);
      for (const p of privates) assert.equal(p.ledger_id, idA);
    });

    // Needs real ledger ids (two ledgers must differ): fails while every ledger is "unset".
    it("ledger_url re-pointed at ledger B (same manifests): plan refuses naming both ids; neither ledger changes", async () => {
      assert.notEqual(idA, idB, "two ledgers have different ids");
      const r = await s.run(["plan", "-no-color", "-var", `ledger_url=${urlB}`]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const text = flat(r.stderr);
      assert.ok(text.includes(idA) && text.includes(idB), text);
      assert.doesNotMatch(r.stdout, /will be created|will be destroyed/);
      assertUnchanged(appliedA, await snapshot(s.home, urlA.slice("sqlite://".length), { OTTERSCALE_LEDGER_URL: urlA }), "plan against ledger B");
      await assertBUntouched();
    });

    // Needs real ledger ids, as above.
    it("ledger_url and controller_url both re-pointed at B's estate: the state check refuses, naming both ids; B's location stays untouched", async () => {
      assert.notEqual(idA, idB, "two ledgers have different ids");
      const bManifests = path.join(path.dirname(s.home), "b-manifests");
      const r = await s.run(["plan", "-no-color", "-var", `ledger_url=${urlB}`, "-var", `controller_url=gitops://${bManifests}`]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const text = flat(r.stderr);
      assert.ok(text.includes(`was written against ledger ${idA}, but the configured ledger ${urlB} is ledger ${idB}`), text);
      assert.match(text, /Point the ledger setting \(Terraform `ledger_url`, Pulumi `otterscale:ledgerUrl`, or OTTERSCALE_LEDGER_URL\) back at the ledger this state belongs to/);
      assert.doesNotMatch(r.stdout, /will be created|will be destroyed/);
      assert.ok(!existsSync(bManifests), "nothing was written to B's location");
      await assertBUntouched();
    });

    it("state whose private data names another ledger is refused by the refresh, naming both ids; restored, it plans no changes", async () => {
      const original = readFileSync(stateFile, "utf8");
      const state = JSON.parse(original) as { resources: { instances: { private?: string }[] }[] };
      const foreign = Buffer.from(JSON.stringify({ ledger_id: "ledger-of-another-estate" })).toString("base64");
      for (const r of state.resources) for (const i of r.instances) i.private = foreign;
      writeFileSync(stateFile, JSON.stringify(state, null, 2));
      try {
        const r = await s.run(["plan", "-no-color", "-var", `ledger_url=${urlA}`]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const text = flat(r.stderr);
        assert.ok(text.includes(`was written against ledger ledger-of-another-estate, but the configured ledger ${urlA} is ledger ${idA}`), text);
        assert.doesNotMatch(r.stdout, /will be created|will be destroyed/);
        assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, "no stack trace");
        assertUnchanged(appliedA, await snapshot(s.home, urlA.slice("sqlite://".length), { OTTERSCALE_LEDGER_URL: urlA }), "refused refresh");
      } finally {
        writeFileSync(stateFile, original);
      }
      const again = await s.run(["plan", "-detailed-exitcode", "-no-color", "-var", `ledger_url=${urlA}`]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
    });

    it("an update that fails at apply keeps the ledger id in the state (the guard is not lost with it)", async () => {
      await ok(s, ["plan", "-out", "resize.tfplan", "-var", `ledger_url=${urlA}`, "-var", "vm_cpu_cores=4"]);
      // Between plan and apply the backend starts failing writes for both VMs: each manifest's
      // path is taken by a directory (a rename onto it fails, even for root).
      for (const n of ["web-a", "web-b"]) {
        const file = path.join(s.home, "manifests", "acme", "virtual_machine", `${n}.yaml`);
        rmSync(file);
        mkdirSync(path.join(file, "blocker"), { recursive: true });
      }
      const r = await s.run(["apply", "-no-color", "resize.tfplan"]);
      assert.notEqual(r.code, 0, r.stdout);
      assert.equal((r.stderr.match(/Error: Backend controller failed/g) ?? []).length, 2, r.stderr);
      const state = JSON.parse(readFileSync(stateFile, "utf8")) as { resources: { type: string; instances: { index_key?: string; private?: string; attributes: { cpu_cores: number } }[] }[] };
      const vms = state.resources.filter((x) => x.type === "otterscale_virtual_machine").flatMap((x) => x.instances);
      assert.equal(vms.length, 2);
      for (const i of vms) {
        assert.equal(i.attributes.cpu_cores, 2, "the prior state is kept");
        assert.ok(i.private, `the state of vm["${i.index_key}"] lost its private data`);
        assert.equal(JSON.parse(Buffer.from(i.private, "base64").toString("utf8")).ledger_id, idA, `vm["${i.index_key}"]`);
      }
    });
  });
});
