/**
 * "No orphans", end to end: the REAL terraform binary starts the REAL provider executable, which
 * creates a VM on a (fake) Kubernetes cluster whose operator never reports it ready. Terraform is
 * then killed (SIGKILL, or the provider gets SIGTERM): the provider must not live on, and what it
 * reserved in the ledger must be released, not left pending for somebody else to clean up.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { openLedger } from "../../provider/src/ledger/open";
import { startFakeKube, type FakeKubeApiServer } from "../support/fake-kube-apiserver";
import { alive, childrenOf, commandLine, killAll, waitUntil } from "../support/processes";
import { providerMain, TERRAFORM, tfSession, withProvider, type TfSession } from "./tf-harness";

const CONFIG = withProvider(`
resource "otterscale_server" "s1" {
  name        = "s1"
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}

resource "otterscale_baremetal_group" "g" {
  name    = "g"
  servers = [otterscale_server.s1.name]
}

resource "otterscale_tenant_quota" "q" {
  tenant    = "acme"
  group     = otterscale_baremetal_group.g.name
  cpu_cores = 8
}

resource "otterscale_virtual_machine" "web" {
  name       = "web-1"
  tenant     = otterscale_tenant_quota.q.tenant
  group      = otterscale_tenant_quota.q.group
  cpu_cores  = 2
  memory_gib = 4
  disk_gib   = 10
}
`);

interface LedgerView {
  /** `kind key state` of rows not active (a reservation in progress or left behind). */
  readonly unsettled: string[];
  readonly vmsUsed: number;
}

async function ledgerView(s: TfSession): Promise<LedgerView> {
  const ledger = await openLedger(`sqlite://${path.join(s.home, "ledger.db")}`);
  try {
    return await ledger.read(async (tx) => ({
      unsettled: (await tx.list({ states: ["pending", "updating", "deleting"] })).map((r) => `${r.kind} ${r.key} ${r.state}`),
      vmsUsed: (await tx.usage("acme", "g")).virtualMachines,
    }));
  } finally {
    await ledger.close();
  }
}

describe("terraform end to end: no orphans when Terraform goes away", function () {
  this.timeout(120_000);
  let fake: FakeKubeApiServer | undefined;
  let s: TfSession | undefined;
  let terraform: ChildProcess | undefined;
  const started = new Set<number>();

  before(() => assert.ok(require("node:fs").existsSync(TERRAFORM), `terraform not found at ${TERRAFORM}`));
  afterEach(async () => {
    killAll([...(terraform?.pid ? [terraform.pid] : []), ...started]);
    started.clear();
    terraform = undefined;
    await fake?.stop();
    fake = undefined;
    await s?.close();
    s = undefined;
  });

  /**
   * Starts `terraform apply` and resolves once the provider is creating the VM on the cluster
   * (its reservation is in the ledger): with the PIDs of the provider processes.
   */
  async function applyUntilVmCreating(): Promise<{ providers: number[]; output: () => string }> {
    fake = await startFakeKube({ neverReady: new Set(["VirtualMachine"]) });
    const home = (s = await tfSession()).home;
    const kubeconfig = await fake.writeKubeconfig(home);
    s.write("main.tf", CONFIG);
    let output = "";
    terraform = spawn(TERRAFORM, ["apply", "-auto-approve", "-no-color"], { cwd: s.dir, env: { ...s.env, OTTERSCALE_CONTROLLER_URL: `kubernetes://?kubeconfig=${kubeconfig}` }, stdio: ["ignore", "pipe", "pipe"] });
    started.add(terraform.pid!);
    terraform.stdout!.on("data", (b: Buffer) => (output += b.toString()));
    terraform.stderr!.on("data", (b: Buffer) => (output += b.toString()));
    const tf = terraform;
    await waitUntil(
      () => {
        if (tf.exitCode !== null) throw new Error(`terraform exited ${tf.exitCode} before the VM was being created:\n${output}`);
        return fake!.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1") !== undefined;
      },
      60_000,
      `the VM never reached the cluster:\n${output}`,
    );
    const providers = childrenOf(tf.pid!).filter((pid) => commandLine(pid).includes(providerMain()));
    for (const pid of providers) started.add(pid);
    assert.equal(providers.length, 1, `one provider process under terraform: ${childrenOf(tf.pid!).map(commandLine).join(" | ")}`);
    return { providers, output: () => output };
  }

  it("terraform SIGKILLed mid-create: the provider exits within 5 s and its reservation is released", async () => {
    const { providers } = await applyUntilVmCreating();
    assert.deepEqual((await ledgerView(s!)).unsettled, ["virtual_machine acme/web-1 pending"], "the create is in flight");

    terraform!.kill("SIGKILL");
    await waitUntil(() => providers.every((pid) => !alive(pid)), 5000, `the provider (PID ${providers}) still runs 5 s after terraform was killed`);

    assert.deepEqual(await ledgerView(s!), { unsettled: [], vmsUsed: 0 });
    // The half-made VM was removed from the cluster too (the create undid itself before exiting).
    await waitUntil(() => fake!.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1") === undefined, 5000, "the VM was left on the cluster");
  });

  it("provider SIGTERMed mid-create: terraform reports the failure, the reservation is released", async () => {
    const { providers, output } = await applyUntilVmCreating();
    const tf = terraform!;
    const code = new Promise<number | null>((resolve) => tf.on("exit", (c) => resolve(c)));
    process.kill(providers[0], "SIGTERM");
    assert.notEqual(await code, 0, `terraform must fail:\n${output()}`);
    await waitUntil(() => !alive(providers[0]), 5000, "the provider still runs 5 s after SIGTERM");
    assert.deepEqual(await ledgerView(s!), { unsettled: [], vmsUsed: 0 });
    assert.match(output(), /otterscale_virtual_machine\.web/, `terraform names the resource it could not create:\n${output()}`);
  });
});
