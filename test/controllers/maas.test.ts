import assert from "node:assert/strict";
import { openControllers } from "../../provider/src/controllers/registry";
import { enlistForm, oauthHeader, parseMaasUrl, percentEncode, statusFromMaas } from "../../provider/src/controllers/maas";
import { backoffDelay, pollUntil, retrying, waitDeadline } from "../../provider/src/controllers/retry";
import type { Controllers } from "../../provider/src/controllers/types";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { validateInput } from "../../provider/src/catalog/validate";
import type { ServerArgs } from "../../provider/src/catalog/types.gen";
import { FakeMaas, parseOAuth, startFakeMaas, type FakeMaasOptions } from "../support/fake-maas";
import * as b from "./builders";

const MAC = "52-54-00-12-34-56";
const spec = (over: Record<string, unknown> = {}) =>
  validateInput<ServerArgs>("server", { name: "node-a", cpu_cores: 16, memory_gib: 64, storage_gib: 1000, labels: { "otterscale.io/mac": MAC }, bmc: { address: "10.0.0.11", username: b.BMC_USERNAME, password: b.BMC_PASSWORD }, ...over });
const desired = (over: Record<string, unknown> = {}) => ({ kind: "server" as const, key: String(over.name ?? "node-a"), spec: spec(over) as unknown as Record<string, unknown>, placement: [] });

async function rejection(p: Promise<unknown>): Promise<OtterscaleError> {
  try {
    await p;
  } catch (e) {
    assert.ok(OtterscaleError.isInstance(e), `expected an OtterscaleError, got ${String(e)}`);
    return e;
  }
  throw new Error("expected a failure");
}

describe("controllers/maas", function () {
  this.timeout(30_000);
  let fake: FakeMaas;
  let controllers: Controllers;
  const servers = () => controllers.forKind("server");
  const soon = () => ({ deadline: Date.now() + 5_000 });

  async function setup(options: FakeMaasOptions = {}): Promise<void> {
    fake = await startFakeMaas(options);
    controllers = openControllers(`${fake.url}?key=${fake.apiKey}`);
  }
  afterEach(() => fake?.stop());

  describe("lifecycle against the fake MAAS", () => {
    beforeEach(() => setup());

    it("apply enlists with power parameters, commissions, waits New -> Commissioning -> Ready", async () => {
      const t0 = Date.now();
      const observed = await servers().apply(desired(), soon());
      assert.deepEqual(observed, { kind: "server", key: "node-a", status: "Ready", fields: { name: "node-a" } });
      assert.ok(Date.now() - t0 >= 60, "returned before commissioning finished");
      const m = fake.byHostname("node-a")!;
      assert.equal(m.architecture, "amd64/generic");
      assert.deepEqual(m.mac_addresses, ["52:54:00:12:34:56"]);
      assert.equal(m.power_type, "ipmi");
      assert.deepEqual(m.power_parameters, { power_address: "10.0.0.11", power_user: b.BMC_USERNAME, power_pass: b.BMC_PASSWORD });
      const calls = fake.requests.map((r) => `${r.method} ${r.path.replace(m.system_id, "ID")}${r.query.op ? `?op=${r.query.op}` : ""} ${r.status}`);
      assert.deepEqual(calls.slice(0, 3), ["GET /MAAS/api/2.0/machines/ 200", "POST /MAAS/api/2.0/machines/ 200", "POST /MAAS/api/2.0/machines/ID/?op=commission 200"]);
      assert.ok(calls.slice(3).every((c) => c === "GET /MAAS/api/2.0/machines/ID/ 200"));
      // the password travels only in request bodies: never in a URL
      assert.ok(fake.requests.every((r) => !JSON.stringify(r.query).includes(b.BMC_PASSWORD) && !r.path.includes(b.BMC_PASSWORD)));
    });

    it("apply again is idempotent: finds the machine by hostname, refreshes power parameters, no re-commission", async () => {
      await servers().apply(desired(), soon());
      fake.requests.length = 0;
      const again = await servers().apply(desired({ bmc: { address: "10.0.0.12", power_type: "redfish", username: "u", password: "new-pass-1" } }), soon());
      assert.equal(again.status, "Ready");
      assert.deepEqual(fake.requests.map((r) => `${r.method} ${r.query.op ?? ""}`), ["GET ", "PUT "]);
      assert.deepEqual(fake.byHostname("node-a")!.power_parameters, { power_address: "10.0.0.12", power_user: "u", power_pass: "new-pass-1" });
      assert.equal(fake.byHostname("node-a")!.power_type, "redfish");
    });

    it("a lost answer to enlist or commission is not retried blindly: the machine is re-read and apply goes on", async () => {
      fake.loseAnswerNext(2, "POST"); // enlist and commission both happen, but the client sees 502
      const observed = await servers().apply(desired(), soon());
      assert.equal(observed.status, "Ready");
      assert.equal([...fake.requests].filter((r) => r.method === "POST" && !r.query.op).length, 1, "enlisted exactly once");
      assert.equal([...fake.requests].filter((r) => r.query.op === "commission").length, 1, "commissioned exactly once");
      assert.equal(fake.byHostname("node-a")!.status_name, "Ready");
    });

    it("get maps MAAS status names; undefined when MAAS has no such machine", async () => {
      await servers().apply(desired(), soon());
      for (const [maas, ours] of [["Deployed", "Deployed"], ["Allocated", "Allocated"], ["Failed commissioning", "Failed"], ["Broken", "Broken"], ["Rescue mode", "Maintenance"]]) {
        fake.setStatus("node-a", maas);
        assert.equal((await servers().get("node-a"))!.status, ours, maas);
      }
      assert.equal(await servers().get("nope"), undefined);
      assert.deepEqual(await servers().list(), ["node-a"]);
    });

    it("delete releases a deployed machine, waits for Ready, then deletes it", async () => {
      await servers().apply(desired(), soon());
      fake.setStatus("node-a", "Deployed");
      await servers().delete("node-a", soon());
      assert.equal(fake.byHostname("node-a"), undefined);
      const ops = fake.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.query.op ?? ""} ${r.status}`);
      assert.deepEqual(ops.slice(-2), ["POST release 200", "DELETE  204"]);
      await servers().delete("node-a", soon()); // already gone: fine
    });

    it("commissioning failure: an error naming the machine and MAAS's message; the enlisted machine is removed", async () => {
      await fake.stop();
      await setup({ failCommissioning: true });
      const err = await rejection(servers().apply(desired(), soon()));
      assert.equal(err.code, "controller_failed");
      assert.equal(err.message, "MAAS machine node-a: Failed commissioning (commissioning script 50-maas-01-commissioning failed); see its commissioning log in MAAS");
      assert.equal(fake.byHostname("node-a"), undefined);
    });

    it("commissioning that never ends: timeout error with the last status", async () => {
      await fake.stop();
      await setup({ neverReady: true });
      const err = await rejection(servers().apply(desired(), { deadline: Date.now() + 300 }));
      assert.equal(err.code, "timeout");
      assert.equal(err.message, "timed out waiting for MAAS machine node-a to finish commissioning (last status: Commissioning)");
    });

    it("MAAS 400: the field errors, naming the machine; no MAC label: a clear input error before any request", async () => {
      const err = await rejection(servers().apply(desired({ labels: { "otterscale.io/mac": MAC, "otterscale.io/architecture": "sparc" } }), soon()));
      assert.equal(err.message, "enlist MAAS machine node-a: MAAS refused it (HTTP 400): architecture: Select a valid choice. sparc/generic is not one of the available choices.");
      fake.requests.length = 0;
      const noMac = await rejection(servers().apply(desired({ labels: {} }), soon()));
      assert.equal(noMac.code, "invalid_input");
      assert.match(noMac.message, /MAAS needs the machine's boot MAC address/);
      assert.deepEqual(fake.requests.map((r) => r.method), ["GET"]);
    });

    it("503 is retried; a wrong key gets 401 and a clear message without the key", async () => {
      fake.failNext(2, 503);
      assert.equal((await servers().apply(desired(), soon())).status, "Ready");
      assert.deepEqual(fake.requests.slice(0, 3).map((r) => r.status), [503, 503, 200]);
      const wrong = openControllers(`${fake.url}?key=${fake.options.key.consumer}:${fake.options.key.token}:wrong-secret-123`);
      const err = await rejection(wrong.forKind("server").get("node-a"));
      assert.match(err.message, /^find MAAS machine node-a: MAAS refused it \(HTTP 401\): Authorization Error.*; check the API key/);
      assert.ok(!err.message.includes("wrong-secret-123") && !err.message.includes(fake.options.key.secret));
    });

    it("MAAS down: connection error naming MAAS, no key or password", async () => {
      await fake.stop();
      const err = await rejection(servers().apply(desired(), soon()));
      assert.equal(err.message, `find MAAS machine node-a: cannot reach MAAS at http://127.0.0.1:${fake.port}/MAAS/api/2.0/ (ECONNREFUSED); check controller_url and that MAAS is up`);
    });

    it("other kinds are a configuration error", () => {
      assert.throws(
        () => controllers.forKind("virtual_machine"),
        (e: unknown) => OtterscaleError.isInstance(e) && e.code === "config" && /serves only otterscale_server/.test(e.message),
      );
    });
  });

  describe("the fake MAAS enforces the real semantics", () => {
    beforeEach(() => setup());
    const call = (method: string, p: string, auth: string | undefined, body?: string) =>
      fetch(`http://127.0.0.1:${fake.port}/MAAS/api/2.0/${p}`, { method, headers: { ...(auth ? { authorization: auth } : {}), "content-type": "application/x-www-form-urlencoded" }, body });

    it("401 without OAuth, with a wrong signature, or with HMAC instead of PLAINTEXT; replayed nonces are refused", async () => {
      const key = fake.options.key;
      assert.equal((await call("GET", "machines/", undefined)).status, 401);
      assert.equal((await call("GET", "machines/", oauthHeader({ ...key, secret: "nope" }))).status, 401);
      assert.equal((await call("GET", "machines/", oauthHeader(key).replace("PLAINTEXT", "HMAC-SHA1"))).status, 401);
      const h = oauthHeader(key, "fixed-nonce");
      assert.equal((await call("GET", "machines/", h)).status, 200);
      assert.equal((await call("GET", "machines/", h)).status, 401);
    });

    it("400 with MAAS's field errors for bad input; 409 for an operation in the wrong state; 400 for an unknown op", async () => {
      const key = fake.options.key;
      const bad = await call("POST", "machines/", oauthHeader(key), "hostname=Bad_Name&architecture=amd64/generic&mac_addresses=zz");
      assert.equal(bad.status, 400);
      assert.deepEqual(await bad.json(), { hostname: ['Invalid hostname: "Bad_Name".'], mac_addresses: ["'zz' is not a valid MAC address."] });
      const ok = await call("POST", "machines/", oauthHeader(key), "hostname=n1&architecture=amd64/generic&mac_addresses=52:54:00:00:00:01&power_type=manual");
      const m = (await ok.json()) as { system_id: string; status_name: string };
      assert.equal(m.status_name, "New");
      assert.equal((await call("POST", `machines/${m.system_id}/?op=release`, oauthHeader(key))).status, 409);
      assert.equal((await call("POST", `machines/${m.system_id}/?op=explode`, oauthHeader(key))).status, 400);
      const dup = await call("POST", "machines/", oauthHeader(key), "hostname=n1&architecture=amd64/generic&mac_addresses=52:54:00:00:00:02");
      assert.deepEqual(await dup.json(), { hostname: ["Node with this Hostname already exists."] });
    });
  });

  describe("pure parts", () => {
    it("OAuth PLAINTEXT header: signature &secret, percent-encoded, fresh nonce per call", () => {
      const key = { consumer: "c0ns", token: "t0k", secret: "s3c/r+t" };
      assert.equal(
        oauthHeader(key, "n1", 1700000000),
        'OAuth oauth_version="1.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="c0ns", oauth_token="t0k", oauth_signature="%26s3c%2Fr%2Bt", oauth_nonce="n1", oauth_timestamp="1700000000"',
      );
      assert.equal(parseOAuth(oauthHeader(key, "n1", 1))!.oauth_signature, "&s3c/r+t");
      assert.notEqual(parseOAuth(oauthHeader(key))!.oauth_nonce, parseOAuth(oauthHeader(key))!.oauth_nonce);
      assert.equal(percentEncode("a b!*'()"), "a%20b%21%2A%27%28%29");
    });

    it("maas:// URL: API URL, key from the URL or env, never echoed", () => {
      assert.deepEqual(parseMaasUrl("maas://10.0.0.2:5240/MAAS?key=a:b:c"), { apiUrl: "http://10.0.0.2:5240/MAAS/api/2.0/", key: { consumer: "a", token: "b", secret: "c" }, safeUrl: "maas://10.0.0.2:5240/MAAS?key=***" });
      assert.equal(parseMaasUrl("maas://maas.example?tls=1", { OTTERSCALE_MAAS_API_KEY: "x:y:z" }).apiUrl, "https://maas.example/MAAS/api/2.0/");
      const noKey = (e: unknown) => OtterscaleError.isInstance(e) && e.code === "config" && /OTTERSCALE_MAAS_API_KEY/.test(e.message);
      assert.throws(() => parseMaasUrl("maas://h:5240/MAAS", {}), noKey);
      assert.throws(() => parseMaasUrl("maas://h/MAAS?key=only:two-secretvalue", {}), (e: unknown) => OtterscaleError.isInstance(e) && !e.message.includes("two-secretvalue"));
      assert.throws(() => openControllers("maas://user:pw-secret@h/MAAS"), (e: unknown) => OtterscaleError.isInstance(e) && e.code === "config" && !e.message.includes("pw-secret"));
    });

    it("enlist form: MAC label with dashes -> colons; architecture label; virsh gets power_id; no BMC -> manual", () => {
      assert.deepEqual(enlistForm(spec({ labels: { "otterscale.io/mac": "AA-BB-CC-DD-EE-FF", "otterscale.io/architecture": "arm64" }, bmc: { address: "qemu+ssh://h/system", power_type: "virsh", password: "p" } })), {
        hostname: "node-a",
        architecture: "arm64/generic",
        mac_addresses: ["aa:bb:cc:dd:ee:ff"],
        power_type: "virsh",
        power_parameters_power_address: "qemu+ssh://h/system",
        power_parameters_power_user: undefined,
        power_parameters_power_pass: "p",
        power_parameters_power_id: "node-a",
      });
      assert.equal(enlistForm(spec({ bmc: undefined })).power_type, "manual");
    });

    it("status table", () => {
      const table: [string, string][] = [["New", "New"], ["Commissioning", "Commissioning"], ["Testing", "Commissioning"], ["Ready", "Ready"], ["Allocated", "Allocated"], ["Deployed", "Deployed"], ["Failed commissioning", "Failed"], ["Releasing", "Releasing"], ["Something new", "Something new"]];
      for (const [maas, ours] of table) assert.equal(statusFromMaas(maas), ours);
    });

    it("retry: bounded attempts, transient only, jittered exponential backoff within the deadline", async () => {
      // base 100, cap 1500, random 0.5: d = min(1500, 100 * 2^n), delay = d/2 + d/4
      assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, { attempts: 9, baseMs: 100, capMs: 1500 }, () => 0.5)), [75, 150, 300, 600, 1125, 1125]);
      let calls = 0;
      await assert.rejects(retrying(async () => { calls++; throw new Error("503"); }, () => true, { backoff: { attempts: 3, baseMs: 1, capMs: 2 } }), /503/);
      assert.equal(calls, 3);
      calls = 0;
      await assert.rejects(retrying(async () => { calls++; throw new Error("400"); }, () => false, { backoff: { attempts: 3, baseMs: 1, capMs: 2 } }), /400/);
      assert.equal(calls, 1);
      calls = 0;
      assert.equal(await retrying(async () => (++calls < 2 ? Promise.reject(new Error("x")) : "ok"), () => true, { backoff: { attempts: 3, baseMs: 1, capMs: 2 } }), "ok");
      const err = await rejection(pollUntil("the thing", async () => ({ done: false, detail: "still cooking" }), { deadline: Date.now() + 50 }));
      assert.equal(err.message, "timed out waiting for the thing (still cooking)");
      assert.equal(waitDeadline(10_000, 8_000), 9_800);
      assert.equal(waitDeadline(1_000, 500), 950);
      assert.equal(waitDeadline(undefined), undefined);
    });
  });
});
