import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { driftOf, renderManifest, rendererFor, type Manifest } from "../../provider/src/controllers/render";
import { openControllers } from "../../provider/src/controllers/registry";
import { kubeconfigSource, loadKubeConfig, parseKubernetesUrl, readinessOf, translate } from "../../provider/src/controllers/kubernetes";
import type { Controllers, DesiredObject } from "../../provider/src/controllers/types";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { FakeKubeApiServer, startFakeKube, type FakeKubeOptions } from "../support/fake-kube-apiserver";
import * as b from "./builders";
import { testTempDir } from "../support/temp";

const isCode = (code: string, pattern?: RegExp) => (e: unknown) => {
  if (!OtterscaleError.isInstance(e)) return false;
  assert.equal(e.code, code, e.message);
  if (pattern) assert.match(e.message, pattern);
  return true;
};

async function rejection(p: Promise<unknown>): Promise<OtterscaleError> {
  try {
    await p;
  } catch (e) {
    assert.ok(OtterscaleError.isInstance(e), `expected an OtterscaleError, got ${String(e)}`);
    return e;
  }
  throw new Error("expected a failure");
}

/** apiVersion, kind, namespace, name of the object a DesiredObject renders to. */
function where(obj: DesiredObject): [string, string, string | undefined, string] {
  const m = renderManifest(obj);
  return [m.apiVersion, m.kind, m.metadata.namespace, m.metadata.name];
}

/** A raw HTTPS request to the fake, trusting its certificate (for the fake's own semantics). */
function raw(fake: FakeKubeApiServer, method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const ca = (fake as unknown as { cert: { certPem: string } }).cert.certPem;
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port: fake.port, path: p, method, ca, servername: "localhost", headers: { authorization: `Bearer ${fake.options.token}`, ...headers } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("controllers/kubernetes", function () {
  this.timeout(30_000);
  let dir: string;
  let fake: FakeKubeApiServer;
  let controllers: Controllers;
  const soon = () => ({ deadline: Date.now() + 5_000 });

  async function setup(options: FakeKubeOptions = {}): Promise<void> {
    fake = await startFakeKube(options);
    controllers = openControllers(`kubernetes://?kubeconfig=${await fake.writeKubeconfig(dir)}`);
  }

  beforeEach(async () => {
    dir = testTempDir("k8s-");
  });
  afterEach(async () => {
    await fake?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe("apply", () => {
    beforeEach(() => setup());

    it("server-side applies exactly the rendered manifest of every kind (field manager otterscale-iac, force)", async () => {
      for (const obj of b.oneOfEach()) {
        await controllers.forKind(obj.kind).apply(obj, soon());
        const stored = fake.object(...where(obj))!;
        const rendered = renderManifest(obj);
        assert.ok(stored, `${obj.kind} was not stored`);
        const { metadata, ...content } = rendered;
        const { metadata: sm, status: _status, ...storedContent } = stored;
        assert.deepEqual(storedContent, JSON.parse(JSON.stringify(content)), obj.kind);
        assert.deepEqual(sm.labels, metadata.labels, `${obj.kind} labels`);
        assert.deepEqual(sm.annotations, metadata.annotations, `${obj.kind} annotations`);
        assert.match(String(sm.uid), /^[0-9a-f-]{36}$/);
      }
      const patches = fake.requests.filter((r) => r.method === "PATCH");
      assert.equal(patches.length, 6 + 2 + 5); // 6 objects, 2 secrets, 5 namespace applies (all but the pool)
      for (const r of patches) {
        assert.equal(r.contentType, "application/apply-patch+yaml");
        assert.deepEqual(r.query, { fieldManager: "otterscale-iac", force: "true" });
      }
    });

    it("creates the tenant namespace by apply, labelled as ours; never creates rook-ceph", async () => {
      await controllers.forKind("tenant_quota").apply(b.tenantQuota({ tenant: "newco" }), soon());
      const ns = fake.object("v1", "Namespace", undefined, "newco")!;
      assert.deepEqual(ns.metadata.labels, { "app.kubernetes.io/managed-by": "otterscale-iac", "otterscale.io/tenant": "newco" });
      await fake.stop();
      await setup({ namespaces: ["default"] });
      const err = await rejection(controllers.forKind("block_pool").apply(b.blockPool(), soon()));
      assert.equal(err.code, "controller_failed");
      assert.equal(err.message, 'apply CephBlockPool rook-ceph/acme-data: the API server refused it (404 NotFound): namespaces "rook-ceph" not found');
    });

    it("puts user data and BMC credentials in Secrets only, never in the manifests", async () => {
      const [server, , , vm] = b.oneOfEach();
      await controllers.forKind("server").apply(server, soon());
      await controllers.forKind("virtual_machine").apply(vm, soon());
      const userData = fake.object("v1", "Secret", "acme", "web-1-user-data")!;
      assert.equal(Buffer.from((userData.data as Record<string, string>).userdata, "base64").toString(), b.USER_DATA);
      const bmc = fake.object("v1", "Secret", "otterscale-inventory", "node-a-bmc-secret")!;
      assert.deepEqual(
        Object.fromEntries(Object.entries(bmc.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])),
        { username: b.BMC_USERNAME, password: b.BMC_PASSWORD },
      );
      const manifests = JSON.stringify([fake.objects("kubevirt.io/v1", "VirtualMachine"), fake.objects("metal3.io/v1alpha1", "BareMetalHost")]);
      assert.ok(!manifests.includes(b.BMC_PASSWORD) && !manifests.includes("Tr0ub4dor"));
      // user_data removed -> its Secret goes too
      await controllers.forKind("virtual_machine").apply(b.vm({ image: "quay.io/containerdisks/ubuntu:24.04", gpu_model: "a100", gpu_count: 2, maintainers: ["user:alice"] }), soon());
      assert.equal(fake.object("v1", "Secret", "acme", "web-1-user-data"), undefined);
    });

    it("waits until KubeVirt reports the VM Running (Always) or Stopped (Halted), for the current generation", async () => {
      const t0 = Date.now();
      const running = await controllers.forKind("virtual_machine").apply(b.vm(), soon());
      assert.equal(running.status, "Running");
      assert.ok(Date.now() - t0 >= 40, "returned before the operator's delay");
      const stopped = await controllers.forKind("virtual_machine").apply(b.vm({ run_strategy: "Halted" }), soon());
      assert.equal(stopped.status, "Stopped");
      const live = fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1")!;
      assert.equal(live.metadata.generation, 2);
      assert.deepEqual(live.status, { printableStatus: "Stopped", ready: false, observedGeneration: 2 });
    });

    it("waits for CephBlockPool phase Ready and HelmRelease Ready=True", async () => {
      assert.equal((await controllers.forKind("block_pool").apply(b.blockPool(), soon())).status, "Ready");
      assert.equal((await controllers.forKind("vcluster").apply(b.vcluster(), soon())).status, "Running");
      assert.equal((await controllers.forKind("vcluster").apply(b.vcluster({ paused: true }), soon())).status, "Paused");
    });

    it("readiness timeout: OtterscaleError timeout with the last status, and a fresh object is removed again", async () => {
      await fake.stop();
      await setup({ neverReady: new Set(["VirtualMachine"]) });
      const err = await rejection(controllers.forKind("virtual_machine").apply(b.vm(), { deadline: Date.now() + 300 }));
      assert.equal(err.code, "timeout");
      assert.equal(err.message, "timed out waiting for VirtualMachine acme/web-1 to become ready (last status: Provisioning, want Running)");
      await new Promise((r) => setTimeout(r, 100)); // foreground deletion completes
      assert.equal(fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1"), undefined);
      assert.ok(fake.requests.some((r) => r.method === "DELETE" && r.query.propagationPolicy === "Foreground"));
    });
  });

  describe("get / list / delete", () => {
    beforeEach(() => setup());

    it("get reads back the same fields the gitops adapter would (no drift), 404 -> undefined", async () => {
      for (const obj of b.oneOfEach()) {
        await controllers.forKind(obj.kind).apply(obj, soon());
        const observed = (await controllers.forKind(obj.kind).get(obj.key))!;
        assert.deepEqual(driftOf(obj.kind, obj.spec, observed), [], obj.kind);
      }
      assert.equal(await controllers.forKind("virtual_machine").get("acme/nope"), undefined);
      assert.equal(await controllers.forKind("vcluster").get("ghost-tenant/x"), undefined); // namespace missing
    });

    it("a hand edit on the cluster shows up as drift; status comes from the live object", async () => {
      await controllers.forKind("virtual_machine").apply(b.vm(), soon());
      fake.edit("kubevirt.io/v1", "VirtualMachine", "acme", "web-1", (o) => {
        ((o.spec as any).template.spec.domain.cpu as { cores: number }).cores = 16;
        o.status = { printableStatus: "Migrating" };
      });
      const observed = (await controllers.forKind("virtual_machine").get("acme/web-1"))!;
      assert.equal(observed.status, "Migrating");
      assert.deepEqual(driftOf("virtual_machine", b.vm().spec, observed), [{ path: "cpu_cores", expected: 4, actual: 16 }]);
    });

    it("delete uses Foreground propagation and returns only once the object is gone; deleting twice is fine", async () => {
      await controllers.forKind("virtual_machine").apply(b.vm({ user_data: b.USER_DATA }), soon());
      await controllers.forKind("virtual_machine").delete("acme/web-1", soon());
      assert.equal(fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1"), undefined);
      assert.equal(fake.object("v1", "Secret", "acme", "web-1-user-data"), undefined);
      const del = fake.requests.find((r) => r.method === "DELETE" && r.path.includes("virtualmachines"))!;
      assert.equal(del.query.propagationPolicy, "Foreground");
      const polls = fake.requests.filter((r) => r.method === "GET" && r.path.endsWith("/virtualmachines/web-1") && r.status === 200);
      assert.ok(polls.length >= 1, "did not wait for the foreground deletion");
      await controllers.forKind("virtual_machine").delete("acme/web-1", soon());
    });

    it("delete timeout while a finalizer holds the object", async () => {
      await controllers.forKind("tenant_quota").apply(b.tenantQuota(), soon());
      fake.options.deleteDelayMs = 60_000;
      const err = await rejection(controllers.forKind("tenant_quota").delete("acme/general", { deadline: Date.now() + 200 }));
      assert.equal(err.code, "timeout");
      assert.match(err.message, /ResourceQuota acme\/otterscale-general to be deleted \(still present, finalizers: foregroundDeletion\)/);
    });

    it("list returns the keys of objects labelled managed-by=otterscale-iac only", async () => {
      await controllers.forKind("virtual_machine").apply(b.vm(), soon());
      await controllers.forKind("virtual_machine").apply(b.vm({ name: "web-2", tenant: "beta" }), soon());
      fake.edit("kubevirt.io/v1", "VirtualMachine", "beta", "web-2", (o) => {
        delete (o.metadata.labels as Record<string, string>)["app.kubernetes.io/managed-by"];
      });
      await controllers.forKind("block_pool").apply(b.blockPool(), soon());
      assert.deepEqual(await controllers.forKind("virtual_machine").list(), ["acme/web-1"]);
      assert.deepEqual(await controllers.forKind("block_pool").list(), ["acme/data"]);
      assert.deepEqual(await controllers.forKind("server").list(), []);
    });
  });

  describe("failures", () => {
    beforeEach(() => setup());

    it("retries a 409 Conflict once and succeeds", async () => {
      fake.failNext(1, 409, { method: "PATCH", path: /virtualmachines/ });
      assert.equal((await controllers.forKind("virtual_machine").apply(b.vm(), soon())).status, "Running");
      assert.deepEqual(fake.requests.filter((r) => r.method === "PATCH" && r.path.includes("virtualmachines")).map((r) => r.status), [409, 201]);
    });

    it("retries 503 and 500 and succeeds", async () => {
      fake.failNext(1, 503, { method: "PATCH" });
      fake.failNext(1, 500, { method: "GET", path: /cephblockpools\/acme-data$/ });
      assert.equal((await controllers.forKind("block_pool").apply(b.blockPool(), soon())).status, "Ready");
      assert.deepEqual(fake.requests.filter((r) => r.status >= 500).map((r) => r.status), [500, 503]);
    });

    it("gives up on persistent 5xx after bounded retries, naming the object", async () => {
      fake.failNext(100, 503, { method: "PATCH", path: /virtualmachines/ });
      const err = await rejection(controllers.forKind("virtual_machine").apply(b.vm(), soon()));
      assert.equal(err.code, "controller_failed");
      assert.equal(err.message, "apply VirtualMachine acme/web-1: the API server failed after retries (503 ServiceUnavailable): injected failure (etcdserver: request timed out)");
      assert.equal(fake.requests.filter((r) => r.status === 503).length, 5);
    });

    it("does not retry a 403 and says which RBAC to bind", async () => {
      fake.failNext(1, 403, { method: "PATCH", path: /virtualmachines/ });
      const err = await rejection(controllers.forKind("virtual_machine").apply(b.vm(), soon()));
      assert.match(err.message, /^apply VirtualMachine acme\/web-1: the API server refused it \(403 Forbidden\): User .* cannot patch this resource; .*deploy\/rbac\/clusterrole.yaml$/);
      assert.equal(fake.requests.filter((r) => r.status === 403).length, 1);
    });

    it("a kind whose CRD is not installed: a clear error", async () => {
      await fake.stop();
      await setup({ notInstalled: new Set(["ServerGroup"]) });
      const err = await rejection(controllers.forKind("baremetal_group").apply(b.group(), soon()));
      assert.equal(
        err.message,
        "read ServerGroup otterscale-inventory/general: the cluster does not serve inventory.otterscale.io/v1alpha1 ServerGroup; install its CRD (KubeVirt, Rook, Flux, Metal3 or the OtterScale inventory CRDs)",
      );
      // A missing CRD is not a missing object: refresh must not report the group deleted.
      await assert.rejects(controllers.forKind("baremetal_group").get("general"), /does not serve/);
    });

    it("API server down: connection error naming the server, no credentials or user data in it", async () => {
      await fake.stop();
      const err = await rejection(controllers.forKind("virtual_machine").apply(b.vm({ user_data: b.USER_DATA }), soon()));
      assert.equal(err.code, "controller_failed");
      assert.equal(err.message, `read VirtualMachine acme/web-1: cannot reach the Kubernetes API server at ${fake.url} (ECONNREFUSED); check the kubeconfig and that the cluster is up`);
      const all = JSON.stringify({ m: err.message, d: err.details, p: err.problems });
      assert.ok(!all.includes(fake.options.token) && !all.includes("Tr0ub4dor"));
    });

    it("translate scrubs secrets and keeps the API's Status message", () => {
      const e = translate({ code: 422, body: { kind: "Status", reason: "Invalid", message: 'Secret "x" is invalid: data[userdata]: hunter22' } }, "apply Secret acme/x", "https://k", ["hunter22"]);
      assert.equal(e.message, 'apply Secret acme/x: the API server refused it (422 Invalid): Secret "x" is invalid: data[userdata]: ***');
    });
  });

  describe("RBAC", () => {
    beforeEach(() => setup());

    it("deploy/rbac/clusterrole.yaml grants exactly the verbs and resources the adapter uses", async () => {
      // The ownership marker: read on first use, written by the first change, then rewritten.
      assert.equal(await controllers.location!.owner(), undefined);
      await controllers.location!.claim("ledger-1");
      await controllers.location!.claim("ledger-1");
      assert.equal(await controllers.location!.owner(), "ledger-1");
      // Plus an erasure-coded pool: its metadata pool and StorageClass are applied, read and deleted with it.
      const all = () => [...b.oneOfEach(), b.blockPool({ name: "archive", erasure_coded: { data_chunks: 2, coding_chunks: 1 } })];
      for (const obj of all()) await controllers.forKind(obj.kind).apply(obj, soon());
      for (const obj of all()) await controllers.forKind(obj.kind).apply(obj, soon()); // updates
      for (const obj of all()) {
        await controllers.forKind(obj.kind).get(obj.key);
        await controllers.forKind(obj.kind).list();
        await controllers.forKind(obj.kind).delete(obj.key, soon());
      }
      const used = new Set<string>();
      for (const r of fake.requests) {
        const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/[^/]+)?\/([^/]+)(\/[^/]+)?$/.exec(r.path.replace(/^\/api\/v1\/namespaces\/([^/]+)$/, "/api/v1/namespaces/$1"));
        if (!m) continue; // discovery
        const group = m[1] ?? "";
        // /api/v1/namespaces/<name> is the namespace object itself
        const [resource, named] = r.path.startsWith("/api/v1/namespaces/") && r.path.split("/").length === 5 ? ["namespaces", true] : [m[2], m[3] !== undefined];
        const verbs = r.method === "PATCH" ? (r.status === 201 ? ["patch", "create"] : ["patch"]) : r.method === "DELETE" ? ["delete"] : named ? ["get"] : ["list"];
        for (const v of verbs) used.add(`${group}/${resource}:${v}`);
      }
      // dist/test/controllers -> repo root; or the working directory (tests compiled elsewhere).
      const candidates = [path.resolve(__dirname, "../../../deploy/rbac/clusterrole.yaml"), path.resolve("deploy/rbac/clusterrole.yaml")];
      const text = await fs.readFile(candidates[0], "utf8").catch(() => fs.readFile(candidates[1], "utf8"));
      const role = parseAllDocuments(text).map((d) => d.toJS()).find((d) => d.kind === "ClusterRole");
      const granted = new Set<string>();
      for (const rule of role.rules) for (const g of rule.apiGroups ?? []) for (const res of rule.resources) for (const v of rule.verbs) granted.add(`${g}/${res}:${v}`);
      assert.deepEqual([...used].sort(), [...granted].sort());
    });
  });

  describe("the fake API server enforces the real semantics", () => {
    beforeEach(() => setup());
    const vmPath = "/apis/kubevirt.io/v1/namespaces/acme/virtualmachines/web-1";
    // A VirtualMachine the vendored KubeVirt schema accepts (the fake validates against it).
    const vmBody = (extra: Record<string, unknown> = {}) => {
      const m = renderManifest(b.vm());
      return JSON.stringify({ ...m, metadata: { name: "web-1", namespace: "acme", ...extra } });
    };

    it("401 without the token, 415 for a non-apply patch, 422 without fieldManager, 404 for a missing namespace", async () => {
      assert.equal((await raw(fake, "GET", "/api/v1", undefined, { authorization: "Bearer wrong" })).status, 401);
      const merge = await raw(fake, "PATCH", vmPath + "?fieldManager=x", vmBody(), { "content-type": "application/merge-patch+json" });
      assert.equal(merge.status, 415);
      assert.equal(merge.json.kind, "Status");
      const noManager = await raw(fake, "PATCH", vmPath, vmBody(), { "content-type": "application/apply-patch+yaml" });
      assert.deepEqual([noManager.status, noManager.json.reason], [422, "Invalid"]);
      const noNs = await raw(fake, "PATCH", vmPath + "?fieldManager=x", vmBody(), { "content-type": "application/apply-patch+yaml" });
      assert.deepEqual([noNs.status, noNs.json.message], [404, 'namespaces "acme" not found']);
    });

    it("resourceVersion, uid and generation; 409 on a stale resourceVersion or another manager without force; 422 for a bad name", async () => {
      await raw(fake, "PATCH", "/api/v1/namespaces/acme?fieldManager=x", JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "acme" } }), { "content-type": "application/apply-patch+yaml" });
      const created = await raw(fake, "PATCH", vmPath + "?fieldManager=a", vmBody(), { "content-type": "application/apply-patch+yaml" });
      assert.equal(created.status, 201);
      const meta = created.json.metadata as Record<string, unknown>;
      assert.equal(meta.generation, 1);
      const stale = await raw(fake, "PUT", vmPath, vmBody({ resourceVersion: "1" }), { "content-type": "application/json" });
      assert.deepEqual([stale.status, stale.json.reason], [409, "Conflict"]);
      const other = await raw(fake, "PATCH", vmPath + "?fieldManager=b", vmBody(), { "content-type": "application/apply-patch+yaml" });
      assert.equal(other.status, 409);
      const forced = await raw(fake, "PATCH", vmPath + "?fieldManager=b&force=true", vmBody({ resourceVersion: meta.resourceVersion }), { "content-type": "application/apply-patch+yaml" });
      assert.equal(forced.status, 200);
      assert.ok(Number((forced.json.metadata as Record<string, unknown>).resourceVersion) > Number(meta.resourceVersion));
      const bad = await raw(fake, "POST", "/apis/kubevirt.io/v1/namespaces/acme/virtualmachines", JSON.stringify({ ...JSON.parse(vmBody()), metadata: { name: "Web_1" } }), { "content-type": "application/json" });
      assert.deepEqual([bad.status, bad.json.reason], [422, "Invalid"]);
      const missing = await raw(fake, "GET", "/apis/kubevirt.io/v1/namespaces/acme/virtualmachines/nope");
      assert.deepEqual([missing.status, missing.json.message], [404, 'virtualmachines.kubevirt.io "nope" not found']);
    });
  });

  describe("the fake API server validates against the vendored upstream schemas", () => {
    beforeEach(() => setup({ namespaces: ["default", "acme", "rook-ceph", "flux-system", "otterscale-inventory"] }));
    const vmPath = "/apis/kubevirt.io/v1/namespaces/acme/virtualmachines/web-1";
    const apply = (p: string, body: unknown) => raw(fake, "PATCH", `${p}?fieldManager=x`, JSON.stringify(body), { "content-type": "application/apply-patch+yaml" });

    it("an unknown field is a 400 naming it (server-side apply, strict), on create too", async () => {
      const m = renderManifest(b.vm()) as unknown as { spec: { template: { spec: { domain: Record<string, unknown> } } } };
      m.spec.template.spec.domain.cpuz = 4;
      const r = await apply(vmPath, m);
      assert.equal(r.status, 400);
      assert.equal(r.json.reason, "BadRequest");
      assert.match(String(r.json.message), /\.spec\.template\.spec\.domain\.cpuz: field not declared in schema/);
      const created = await raw(fake, "POST", "/apis/kubevirt.io/v1/namespaces/acme/virtualmachines", JSON.stringify(m), { "content-type": "application/json" });
      assert.deepEqual([created.status, created.json.message], [400, 'strict decoding error: unknown field "spec.template.spec.domain.cpuz"']);
      assert.equal(fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-1"), undefined, "nothing stored");
    });

    it("a schema violation is a 422 Invalid with one Status cause per field", async () => {
      const m = renderManifest(b.blockPool()) as unknown as { metadata: { name: string }; spec: Record<string, unknown> };
      m.spec.failureDomain = 3;
      delete m.spec.replicated;
      m.spec.deviceClass = ["ssd"];
      const r = await apply(`/apis/ceph.rook.io/v1/namespaces/rook-ceph/cephblockpools/${m.metadata.name}`, m);
      assert.equal(r.status, 422);
      assert.equal(r.json.reason, "Invalid");
      assert.match(String(r.json.message), new RegExp(`^CephBlockPool\\.ceph\\.rook\\.io "${m.metadata.name}" is invalid: \\[`));
      const details = r.json.details as { kind: string; group: string; causes: { reason: string; field: string }[] };
      assert.equal(details.kind, "CephBlockPool");
      assert.equal(details.group, "ceph.rook.io");
      const fields = details.causes.map((c) => `${c.reason} ${c.field}`);
      assert.ok(fields.includes("FieldValueTypeInvalid spec.failureDomain"), fields.join("; "));
      assert.ok(fields.includes("FieldValueTypeInvalid spec.deviceClass"), fields.join("; "));
    });

    it("a core kind (ResourceQuota) is checked against the Kubernetes definitions", async () => {
      const q = renderManifest(b.tenantQuota({ cpu_cores: 4 })) as unknown as { metadata: { name: string; namespace: string }; spec: { hard: Record<string, unknown> } };
      q.spec.hard["requests.cpu"] = "four";
      const r = await apply(`/api/v1/namespaces/${q.metadata.namespace}/resourcequotas/${q.metadata.name}`, q);
      assert.equal(r.status, 422);
      assert.ok((r.json.details as { causes: { field: string }[] }).causes.some((c) => c.field === "spec.hard.requests.cpu"));
    });

    it("through the adapter: every kind as rendered is accepted; an injected unknown key fails apply with the field named", async () => {
      for (const obj of b.oneOfEach()) await controllers.forKind(obj.kind).apply(obj, soon());
      // A renderer that emits an unknown key (wrapped for this test only).
      const r = rendererFor("virtual_machine") as { render: (o: DesiredObject) => Manifest };
      const original = r.render;
      r.render = (o) => {
        const m = original(o) as Manifest & { spec: { template: { spec: Record<string, unknown> } } };
        m.spec.template.spec.bogusKey = "x";
        return m;
      };
      try {
        const err = await rejection(controllers.forKind("virtual_machine").apply(b.vm({ name: "web-2" }), soon()));
        assert.equal(err.code, "controller_failed");
        assert.match(err.message, /^apply VirtualMachine acme\/web-2: the API server refused it \(400 BadRequest\): .*\.spec\.template\.spec\.bogusKey: field not declared in schema/);
      } finally {
        r.render = original;
      }
      assert.equal(fake.object("kubevirt.io/v1", "VirtualMachine", "acme", "web-2"), undefined);
    });

    it("a vcluster HelmRelease whose values do not fit the pinned chart is stored but fails as Helm would (Ready=False)", async () => {
      const m = renderManifest(b.vcluster({ chart_version: "0.26.5" })) as unknown as { metadata: { name: string }; spec: { chart: { spec: { version: string } } } };
      m.spec.chart.spec.version = "0.24.2"; // 0.26.5's single k8s image is unknown to 0.24.2
      const r = await apply(`/apis/helm.toolkit.fluxcd.io/v2/namespaces/acme/helmreleases/${m.metadata.name}`, m);
      assert.equal(r.status, 201);
      await new Promise((res) => setTimeout(res, fake.options.readyDelayMs + 20));
      const got = await raw(fake, "GET", `/apis/helm.toolkit.fluxcd.io/v2/namespaces/acme/helmreleases/${m.metadata.name}`);
      const ready = (got.json.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions[0];
      assert.deepEqual([ready.type, ready.status, ready.reason], ["Ready", "False", "InstallFailed"]);
      assert.match(ready.message, /controlPlane\.distro\.k8s\.image: field not declared in schema/);
    });
  });

  describe("configuration", () => {
    it("parses kubernetes:// options", () => {
      assert.deepEqual(parseKubernetesUrl("kubernetes://"), {});
      assert.deepEqual(parseKubernetesUrl("kubernetes://?context=prod&kubeconfig=/etc/k.yaml"), { context: "prod", kubeconfig: "/etc/k.yaml" });
      assert.throws(() => parseKubernetesUrl("kubernetes://?kubeconfig=rel/k"), isCode("config", /must be absolute/));
      assert.throws(() => parseKubernetesUrl("kubernetes://?namespace=x"), isCode("config", /unknown option "namespace"/));
      assert.throws(() => parseKubernetesUrl("kubernetes://user:tok@host"), (e: unknown) => isCode("config", /comes from the kubeconfig/)(e) && !(e as Error).message.includes("tok"));
    });

    it("finds the kubeconfig in the usual places, in order", () => {
      const none = () => false;
      assert.deepEqual(kubeconfigSource({ kubeconfig: "/a" }, { KUBECONFIG: "/b" }), { kind: "file", file: "/a" });
      assert.deepEqual(kubeconfigSource({}, { KUBECONFIG: "/b" }, none), { kind: "env" });
      assert.deepEqual(kubeconfigSource({}, {}, (p) => p === "/home/u/.kube/config", "/home/u"), { kind: "file", file: "/home/u/.kube/config" });
      assert.deepEqual(kubeconfigSource({}, { KUBERNETES_SERVICE_HOST: "10.0.0.1" }, (p) => p.endsWith("/token"), "/home/u"), { kind: "in-cluster" });
      assert.equal(kubeconfigSource({}, {}, none, "/home/u"), undefined);
    });

    it("no kubeconfig anywhere is a config error (never localhost:8080); unknown context names the known ones", async () => {
      const home = process.env.HOME;
      const kubeconfig = process.env.KUBECONFIG;
      process.env.HOME = dir;
      delete process.env.KUBECONFIG;
      try {
        assert.throws(() => openControllers("kubernetes://"), isCode("config", /found no kubeconfig: set KUBECONFIG/));
      } finally {
        process.env.HOME = home;
        if (kubeconfig !== undefined) process.env.KUBECONFIG = kubeconfig;
      }
      await setup();
      const file = path.join(dir, "kubeconfig");
      assert.throws(() => loadKubeConfig({ kubeconfig: file, context: "prod" }), isCode("config", /no such context in .* \(contexts: fake, other\)/));
      assert.equal(loadKubeConfig({ kubeconfig: file, context: "other" }).getCurrentCluster()!.server, "https://127.0.0.1:9");
      assert.throws(() => loadKubeConfig({ kubeconfig: path.join(dir, "missing") }), isCode("config", /cannot load the kubeconfig/));
    });

    it("readiness rules ignore a status that describes an older generation", () => {
      const vm = (generation: number, observedGeneration: number, printableStatus: string) => ({ metadata: { generation }, spec: { runStrategy: "Always" }, status: { printableStatus, observedGeneration } });
      assert.deepEqual(readinessOf("virtual_machine", vm(2, 2, "Running")), { ready: true });
      assert.equal(readinessOf("virtual_machine", vm(3, 2, "Running")).ready, false);
      assert.equal(readinessOf("block_pool", { status: { phase: "Failure", info: { message: "no OSDs" } } }).ready, false);
      assert.deepEqual(readinessOf("vcluster", { status: { conditions: [{ type: "Ready", status: "False", reason: "InstallFailed", message: "chart not found" }] } }), {
        ready: false,
        detail: "last condition: Ready=False InstallFailed: chart not found, want Ready=True",
      });
      assert.deepEqual(readinessOf("tenant_quota", {}), { ready: true });
    });
  });
});
