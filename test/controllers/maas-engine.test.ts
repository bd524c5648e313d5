/**
 * The engine through the maas adapter against the fake MAAS: what `terraform apply` does with
 * `controller_url = "maas://..."` for otterscale_server resources.
 */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Engine } from "../../provider/src/engine/engine";
import { openEngine } from "../../provider/src/api";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { FakeMaas, startFakeMaas, type FakeMaasOptions } from "../support/fake-maas";
import { testTempDir } from "../support/temp";

const PASSWORD = "bmc-Pa55word-never-logged";
const server = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  cpu_cores: 16,
  memory_gib: 64,
  storage_gib: 1000,
  labels: { "otterscale.io/mac": "52-54-00-00-00-0" + name.slice(-1) },
  bmc: { address: `10.0.0.1${name.slice(-1)}`, username: "admin", password: PASSWORD },
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<OtterscaleError> {
  try {
    await p;
  } catch (e) {
    assert.ok(OtterscaleError.isInstance(e), `expected an OtterscaleError, got ${String(e)}`);
    return e;
  }
  throw new Error("expected the operation to fail");
}

describe("engine through the maas adapter", function () {
  this.timeout(60_000);
  let home: string;
  let fake: FakeMaas;
  let engine: Engine;

  async function start(options: FakeMaasOptions = {}): Promise<void> {
    fake = await startFakeMaas(options);
    process.env.OTTERSCALE_MAAS_API_KEY = fake.apiKey; // the documented way to pass the key
    engine = await openEngine({ home, ledgerUrl: `sqlite://${path.join(home, "ledger.db")}`, controllerUrl: fake.url });
  }

  const unsettled = () => engine.ledger.read((tx) => tx.list({ states: ["pending", "updating", "deleting"] }));
  const inLedger = (name: string) => engine.ledger.read((tx) => tx.get("server", name));

  beforeEach(async () => {
    home = testTempDir("maas-engine-");
  });
  afterEach(async () => {
    delete process.env.OTTERSCALE_MAAS_API_KEY;
    await engine?.close().catch(() => undefined);
    await fake?.stop();
    await fs.rm(home, { recursive: true, force: true });
  });

  it("create / read / update / delete a server: enlisted, commissioned, released, deleted in MAAS", async () => {
    await start();
    const created = await engine.create("server", server("s1"), { timeoutMs: 10_000 });
    assert.equal(created.status, "Ready");
    assert.equal(created.cpu_cores, 16);
    assert.equal(fake.byHostname("s1")!.status_name, "Ready");
    assert.equal(fake.byHostname("s1")!.power_parameters.power_pass, PASSWORD);
    assert.equal((await engine.read("server", "s1"))!.status, "Ready");

    const updated = await engine.update("server", "s1", server("s1", { bmc: { address: "10.0.0.99", power_type: "redfish", username: "admin", password: PASSWORD } }), { timeoutMs: 10_000 });
    assert.equal(updated.status, "Ready");
    assert.deepEqual([fake.byHostname("s1")!.power_type, fake.byHostname("s1")!.power_parameters.power_address], ["redfish", "10.0.0.99"]);

    fake.setStatus("s1", "Deployed"); // someone deployed it from MAAS
    assert.equal((await engine.read("server", "s1"))!.status, "Deployed");
    await engine.delete("server", "s1", { timeoutMs: 10_000 });
    assert.equal(fake.byHostname("s1"), undefined);
    assert.equal(await inLedger("s1"), undefined);
    assert.deepEqual(await unsettled(), []);
  });

  it("drift: a machine broken or deleted in MAAS shows in state", async () => {
    await start();
    await engine.create("server", server("s1"), { timeoutMs: 10_000 });
    fake.setStatus("s1", "Broken", "PSU failure");
    assert.equal((await engine.read("server", "s1"))!.status, "Broken");
    fake.machines.delete(fake.byHostname("s1")!.system_id);
    // Servers are inventory, not workloads: the engine keeps the record and reports it missing.
    assert.equal((await engine.read("server", "s1"))!.status, "Missing");
  });

  it("MAAS down: a clear error, no leaked reservation, no password in the message", async () => {
    await start();
    await fake.stop();
    const err = await failure(engine.create("server", server("s1"), { timeoutMs: 10_000 }));
    assert.equal(err.code, "controller_failed");
    assert.match(err.message, /^create server s1: the backend controller failed \(find MAAS machine s1: cannot reach MAAS at http:\/\/127\.0\.0\.1:\d+\/MAAS\/api\/2\.0\/ \(ECONNREFUSED\).*\); the reservation was released$/);
    assert.ok(!err.message.includes(PASSWORD) && !err.message.includes(fake.options.key.secret));
    assert.equal(await inLedger("s1"), undefined);
    assert.deepEqual(await unsettled(), []);
  });

  it("commissioning never finishes: timeout, reservation released, the enlisted machine removed", async () => {
    await start({ neverReady: true });
    const err = await failure(engine.create("server", server("s1"), { timeoutMs: 600 }));
    assert.equal(err.code, "timeout");
    assert.equal(err.message, "timed out waiting for MAAS machine s1 to finish commissioning (last status: Commissioning); the reservation was released");
    // The release runs once the backend call has ended, in its own transaction; reads do not
    // queue behind it, so wait (briefly) for it to commit.
    for (const until = Date.now() + 5_000; (await inLedger("s1")) !== undefined && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await inLedger("s1"), undefined);
    assert.deepEqual(await unsettled(), []);
    assert.equal(fake.byHostname("s1"), undefined);
    const ops = (await engine.ledger.audit()).filter((e) => e.key === "s1").map((e) => e.op);
    assert.deepEqual(ops, ["reserve", "release"]);
  });

  it("503 once is retried and the create succeeds", async () => {
    await start();
    fake.failNext(1, 503);
    assert.equal((await engine.create("server", server("s1"), { timeoutMs: 10_000 })).status, "Ready");
    assert.deepEqual(fake.requests.slice(0, 2).map((r) => r.status), [503, 200]);
  });

  it("a kind MAAS does not serve: config error before anything is reserved", async () => {
    await start();
    await engine.create("server", server("s1"), { timeoutMs: 10_000 });
    const err = await failure(engine.create("baremetal_group", { name: "g", servers: ["s1"] }));
    assert.equal(err.code, "config");
    assert.match(err.message, /the maas controller serves only otterscale_server/);
    assert.equal(await engine.ledger.read((tx) => tx.get("baremetal_group", "g")), undefined);
    assert.deepEqual(await unsettled(), []);
  });
});
