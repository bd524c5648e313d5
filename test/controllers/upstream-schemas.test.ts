/**
 * Every manifest the renderers produce, in every variant, is validated as an operator's cluster
 * would validate it: against the upstream schemas vendored under test/fixtures/upstream/
 * (CRD openAPIV3Schemas at released tags, the Kubernetes core definitions, the vcluster chart's
 * values.schema.json of each supported chart version), strict on unknown fields like the
 * apiserver's `fieldValidation=Strict`. Also the README example's manifests, and a test of the
 * test: an injected unknown key fails.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { renderManifest, type Manifest } from "../../provider/src/controllers/render";
import { vclusterNamespace } from "../../provider/src/controllers/render/vcluster";
import { VCLUSTER_CHART_VERSIONS } from "../../provider/src/controllers/render/vcluster-chart";
import type { DesiredObject } from "../../provider/src/controllers/types";
import { schemaOf } from "../../provider/src/catalog/catalog";
import { manifests, tempHome } from "../support/estate";
import {
  describeViolations,
  sha256File,
  structuralValidator,
  UPSTREAM_DIR,
  upstreamSources,
  validateManifest,
  vclusterChartVersions,
  vclusterEffectiveValues,
  type Violation,
} from "../support/upstream-schemas";
import * as b from "./builders";

/** A renderer's output as a list (an object may render as several manifests). */
function rendered(obj: DesiredObject): Manifest[] {
  const out = renderManifest(obj) as Manifest | Manifest[];
  return Array.isArray(out) ? out : [out];
}

function assertValid(m: unknown, what: string): void {
  const v = validateManifest(m);
  assert.deepEqual(v, [], `${what}: ${describeViolations(v)}`);
}

const powerTypes = (schemaOf("server").properties!.bmc as { properties: { power_type: { enum: string[] } } }).properties.power_type.enum;
const domains = ["server", "rack", "zone"] as const;
const spread = (n: number) => [b.placed("node-a", { rack: "r1", zone: "z1" }), b.placed("node-b", { rack: "r2", zone: "z2" }), b.placed("node-c", { rack: "r3", zone: "z3" }), b.placed("node-d", { rack: "r4", zone: "z4" })].slice(0, n);

/** Every kind in every variant the issue names (and a few more). */
function variants(): [string, DesiredObject][] {
  const out: [string, DesiredObject][] = [];
  // virtual_machine
  out.push(["vm: plain", b.vm()]);
  out.push(["vm: gpu", b.vm({ gpu_model: "a100", gpu_count: 2 })]);
  out.push(["vm: user_data", b.vm({ user_data: b.USER_DATA })]);
  out.push(["vm: Halted", b.vm({ run_strategy: "Halted" })]);
  out.push(["vm: everything", b.vm({ image: "quay.io/containerdisks/ubuntu:24.04", user_data: b.USER_DATA, gpu_model: "a100", gpu_count: 1, memory_gib: 1.5, maintainers: ["user:alice"], placement: { anti_affinity_group: "web" } })]);
  // block_pool
  out.push(["block_pool: size 1", b.blockPool({ replicas: 1 }, spread(1))]);
  for (const d of domains) {
    out.push([`block_pool: replicated over ${d}`, b.blockPool({ replicas: 3, failure_domain: d, device_class: "ssd" }, spread(3))]);
    out.push([`block_pool: EC 2+1 over ${d}`, b.blockPool({ erasure_coded: { data_chunks: 2, coding_chunks: 1 }, failure_domain: d }, spread(3))]);
  }
  // vcluster, for each supported chart version
  for (const v of VCLUSTER_CHART_VERSIONS) {
    out.push([`vcluster ${v}: default`, b.vcluster({ chart_version: v })]);
    out.push([`vcluster ${v}: paused`, b.vcluster({ chart_version: v, paused: true })]);
    out.push([`vcluster ${v}: HA`, b.vcluster({ chart_version: v, control_plane_replicas: 3, workload_cpu_cores: 16, workload_memory_gib: 64, workload_storage_gib: 200 }, spread(3))]);
    out.push([`vcluster ${v}: HA paused`, b.vcluster({ chart_version: v, control_plane_replicas: 3, paused: true }, spread(3))]);
    out.push([`vcluster ${v}: minor-only kubernetes_version`, b.vcluster({ chart_version: v, kubernetes_version: "1.30" })]);
  }
  out.push(["vcluster: provider default chart version", b.vcluster()]);
  // server (BareMetalHost)
  out.push(["server: no bmc", b.server()]);
  for (const p of powerTypes) {
    out.push([`server: bmc ${p}`, b.server({ hostname: "node-a.dc1.example", rack: "r1", bmc: { address: "10.0.0.11", power_type: p, username: b.BMC_USERNAME, password: b.BMC_PASSWORD } })]);
  }
  out.push(["server: gpus and labels", b.server({ gpus: [{ model: "a100", count: 4 }], labels: { pool: "gpu" }, maintainers: ["group:sre"] })]);
  // tenant_quota (ResourceQuota)
  out.push(["tenant_quota: no limits", b.tenantQuota()]);
  out.push(["tenant_quota: limits", b.tenantQuota({ cpu_cores: 64, memory_gib: 256, storage_gib: 2000, gpus: 4, max_virtual_machines: 20, max_vclusters: 2, max_block_pools: 3 })]);
  out.push(["tenant_quota: fractional", b.tenantQuota({ cpu_cores: 0.5, memory_gib: 1.5 })]);
  // the longest names the schema allows (a vCluster's is its Helm release name: 53 characters)
  const long = (n: number) => "a".repeat(n);
  out.push(["vm: longest names", b.vm({ name: long(63), tenant: long(63) })]);
  out.push(["block_pool: longest names", b.blockPool({ name: long(63), tenant: long(63) })]);
  out.push(["vcluster: longest names", b.vcluster({ name: long(53), tenant: long(63) })]);
  out.push(["tenant_quota: longest names", b.tenantQuota({ tenant: long(63), group: long(63) })]);
  // baremetal_group (ServerGroup)
  out.push(["baremetal_group: plain", b.group()]);
  out.push(["baremetal_group: selector", b.group({ description: "GPU nodes", servers: ["node-a"], selector: { labels: { pool: "gpu" }, racks: ["r1"], zones: ["z"], regions: ["tw"] }, placement_strategy: "spread" })]);
  return out;
}

describe("upstream schemas", () => {
  describe("the vendored files", () => {
    it("match the sha256 that SOURCES records, and SOURCES names every file", () => {
      const sources = upstreamSources();
      assert.ok(sources.length >= 8);
      for (const s of sources) {
        assert.match(s.commit, /^[0-9a-f]{40}$/, `${s.file}: commit`);
        assert.ok(s.repo && s.tag && s.path && s.extract, `${s.file}: repo, tag, path and extract are recorded`);
        assert.equal(sha256File(s.file), s.sha256, `${s.file} was edited after vendoring`);
      }
      const files = readdirSync(UPSTREAM_DIR).filter((f) => f !== "SOURCES").sort();
      assert.deepEqual(files, sources.map((s) => s.file).sort());
    });

    it("cover every supported vcluster chart version (schema/provider.json's list)", () => {
      assert.deepEqual([...VCLUSTER_CHART_VERSIONS].sort(), vclusterChartVersions().sort());
      assert.deepEqual((schemaOf("vcluster").properties!.chart_version as { enum: string[] }).enum, [...VCLUSTER_CHART_VERSIONS]);
    });
  });

  describe("the structural-schema semantics (as the apiserver applies them)", () => {
    const check = structuralValidator({
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: {
            port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
            size: { "x-kubernetes-int-or-string": true },
            note: { type: "string", nullable: true },
            strict: { type: "string" },
            free: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { known: { type: "integer" } } },
            open: { type: "object", additionalProperties: { type: "string" } },
            tags: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
            template: { type: "object", "x-kubernetes-embedded-resource": true, properties: { spec: { type: "object", properties: { a: { type: "string" } } } } },
          },
        },
      },
    });
    const obj = (spec: Record<string, unknown>) => ({ apiVersion: "x/v1", kind: "X", metadata: { name: "x" }, spec });
    const fields = (spec: Record<string, unknown>) => check(obj(spec)).map((v) => `${v.reason} ${v.field}`);

    it("int-or-string takes either; nullable takes null; a non-nullable null is refused", () => {
      assert.deepEqual(fields({ port: 80, size: "1Gi", note: null }), []);
      assert.deepEqual(fields({ port: "http" }), []);
      assert.ok(fields({ size: true }).length > 0);
      assert.deepEqual(fields({ strict: null }), ["FieldValueTypeInvalid spec.strict"]);
    });

    it("closed objects refuse unknown fields; preserve-unknown-fields and additionalProperties keep them", () => {
      assert.deepEqual(fields({ bogus: 1 }), ["FieldValueUnknown spec.bogus"]);
      assert.deepEqual(fields({ free: { known: 1, anything: { deep: true } }, open: { a: "b" } }), []);
      assert.deepEqual(fields({ free: { known: "one" } }), ["FieldValueTypeInvalid spec.free.known"]);
      assert.deepEqual(check({ ...obj({}), status: {} }).map((v) => v.field), ["status"]);
    });

    it("embedded resources take apiVersion/kind/metadata (metadata as ObjectMeta); list-type set is unique", () => {
      assert.deepEqual(fields({ template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { a: "b" } }, spec: { a: "x" } } }), []);
      assert.deepEqual(fields({ template: { metadata: { nam: "p" } } }), ["FieldValueUnknown spec.template.metadata.nam"]);
      assert.deepEqual(fields({ tags: ["a", "a"] }), ["FieldValueInvalid spec.tags"]);
      assert.deepEqual(check({ ...obj({}), metadata: { name: "x", labels: { a: 1 } } }).map((v) => `${v.reason} ${v.field}`), ["FieldValueTypeInvalid metadata.labels.a"]);
    });
  });

  describe("every kind in every variant validates", () => {
    for (const [what, obj] of variants()) {
      it(what, () => {
        for (const m of rendered(obj)) assertValid(m, `${what} (${m.apiVersion} ${m.kind})`);
      });
    }
  });

  describe("a test of the test", () => {
    const unknownAt = (vs: Violation[], field: string) => vs.some((v) => v.field === field && v.reason === "FieldValueUnknown");

    it("an unknown key injected into any kind's manifest fails, naming the field", () => {
      for (const obj of b.oneOfEach()) {
        for (const m of rendered(obj)) {
          const bad = structuredClone(m) as Manifest & { spec?: Record<string, unknown> };
          if (bad.spec) bad.spec.bogusField = 1;
          else (bad as Record<string, unknown>).bogusField = 1;
          const field = bad.spec ? "spec.bogusField" : "bogusField";
          assert.ok(unknownAt(validateManifest(bad), field), `${m.kind}: ${describeViolations(validateManifest(bad))}`);
        }
      }
    });

    it("unknown keys deep inside, in metadata, and in helm values are caught", () => {
      const vm = rendered(b.vm())[0] as Manifest & { spec: { template: { spec: { domain: Record<string, unknown> } } } };
      vm.spec.template.spec.domain.cpuz = 4;
      (vm.metadata as unknown as Record<string, unknown>).label = "x";
      const v = validateManifest(vm);
      assert.ok(unknownAt(v, "spec.template.spec.domain.cpuz"), describeViolations(v));
      assert.ok(unknownAt(v, "metadata.label"), describeViolations(v));
      const hr = rendered(b.vcluster({ chart_version: "0.26.5" }))[0] as Manifest & { spec: { values: { controlPlane: Record<string, unknown> } } };
      hr.spec.values.controlPlane.replicas = 3;
      assert.ok(unknownAt(validateManifest(hr), "spec.values.controlPlane.replicas"));
    });

    it("a type error and a missing required field fail", () => {
      const pool = rendered(b.blockPool())[0] as Manifest & { spec: Record<string, unknown> };
      pool.spec.failureDomain = 3;
      assert.ok(validateManifest(pool).some((v) => v.field === "spec.failureDomain" && v.reason === "FieldValueTypeInvalid"));
      const q = rendered(b.tenantQuota({ cpu_cores: 4 }))[0] as Manifest & { spec: { hard: Record<string, unknown> } };
      q.spec.hard["requests.cpu"] = "four";
      assert.ok(validateManifest(q).some((v) => v.field === 'spec.hard.requests.cpu'), describeViolations(validateManifest(q)));
      const hr = rendered(b.vcluster())[0] as Manifest & { spec: { chart: { spec: Record<string, unknown> } } };
      delete hr.spec.chart.spec.chart;
      assert.ok(validateManifest(hr).some((v) => v.field === "spec.chart.spec.chart" && v.reason === "FieldValueRequired"));
    });

    it("values in another version's layout fail: the single k8s image before chart 0.25", () => {
      const newer = rendered(b.vcluster({ chart_version: "0.26.5", kubernetes_version: "v1.31.4" }))[0] as Manifest & { spec: { chart: { spec: { version: string } } } };
      newer.spec.chart.spec.version = "0.24.2";
      const v = validateManifest(newer);
      assert.ok(unknownAt(v, "spec.values.controlPlane.distro.k8s.image"), describeViolations(v));
    });

    it("a vCluster name past Helm's 53-character release name is refused at input, not by the cluster", () => {
      assert.throws(() => b.vcluster({ name: "a".repeat(54) }), /name/);
      const hr = rendered(b.vcluster({ name: "a".repeat(53) }))[0] as Manifest & { spec: Record<string, unknown> };
      hr.spec.releaseName = "a".repeat(54);
      assert.ok(validateManifest(hr).some((v) => v.field === "spec.releaseName"));
    });

    it("an unpinned vcluster chart fails", () => {
      const hr = rendered(b.vcluster())[0] as Manifest & { spec: { chart: { spec: Record<string, unknown> } } };
      delete hr.spec.chart.spec.version;
      assert.ok(validateManifest(hr).some((v) => v.field === "spec.chart.spec.version"));
    });
  });

  describe("vcluster values as Helm sees them (chart defaults merged under ours)", () => {
    /** The chart's ResourceQuota `spec.hard` after Helm (merged values) and our post-renderer. */
    function effectiveQuota(m: Manifest, version: string): Record<string, unknown> {
      const spec = (m as unknown as { spec: { values: unknown; postRenderers: { kustomize: { patches: { target: { kind: string; name: string }; patch: string }[] } }[] } }).spec;
      const values = vclusterEffectiveValues(version, spec.values) as { policies: { resourceQuota: { enabled: unknown; quota: Record<string, unknown> } } };
      assert.equal(String(values.policies.resourceQuota.enabled), "true");
      let hard: Record<string, unknown> = { ...values.policies.resourceQuota.quota };
      const patches = spec.postRenderers.flatMap((p) => p.kustomize.patches);
      for (const p of patches) {
        if (p.target.kind !== "ResourceQuota" || p.target.name !== `vc-${m.metadata.name}`) continue;
        for (const op of parseYaml(p.patch) as { op: string; path: string; value: Record<string, unknown> }[]) {
          assert.equal(op.op, "replace");
          assert.equal(op.path, "/spec/hard");
          hard = op.value;
        }
      }
      return hard;
    }

    for (const version of VCLUSTER_CHART_VERSIONS) {
      it(`${version}: the quota is exactly the workload quota plus the control plane's reservation, no chart defaults`, () => {
        const m = rendered(b.vcluster({ chart_version: version, control_plane_replicas: 3, control_plane_cpu_cores: 2, control_plane_memory_gib: 4, control_plane_storage_gib: 10, workload_cpu_cores: 16, workload_memory_gib: 64, workload_storage_gib: 200 }, spread(3)))[0];
        // Without the post-renderer, the chart's defaults leak in (what the issue saw).
        const merged = (vclusterEffectiveValues(version, (m as unknown as { spec: { values: unknown } }).spec.values) as { policies: { resourceQuota: { quota: Record<string, unknown> } } }).policies.resourceQuota.quota;
        assert.equal(merged["limits.memory"], "40Gi", "the chart's default quota is what the post-renderer must undo");
        // 16 + 3 x 2 + CoreDNS 0.02 cores; 64 + 3 x 4 + CoreDNS 0.125 GiB; 200 + 3 x 10 GiB
        assert.deepEqual(effectiveQuota(m, version), { "requests.cpu": "22020m", "requests.memory": "77952Mi", "requests.storage": "230Gi" });
        const rq = { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: `vc-${m.metadata.name}`, namespace: vclusterNamespace("acme", "dev") }, spec: { hard: effectiveQuota(m, version) } };
        assertValid(rq, "the post-rendered ResourceQuota");
      });

      it(`${version}: a default vCluster (workload quota 0) still leaves room for its control plane`, () => {
        const m = rendered(b.vcluster({ chart_version: version }))[0];
        assert.deepEqual(effectiveQuota(m, version), { "requests.cpu": "1020m", "requests.memory": "2176Mi", "requests.storage": "5Gi" });
      });

      it(`${version}: CoreDNS (a synced pod in the same namespace) requests exactly what the quota allows for it`, () => {
        const v = vclusterEffectiveValues(version, (rendered(b.vcluster({ chart_version: version }))[0] as unknown as { spec: { values: unknown } }).spec.values) as Record<string, any>;
        const dns = v.controlPlane.coredns;
        assert.equal(dns.enabled, true);
        assert.equal(dns.embedded, false, "not embedded: it runs as a pod the quota counts");
        assert.equal(dns.deployment.replicas, 1);
        assert.deepEqual(dns.deployment.resources.requests, { cpu: "20m", memory: "128Mi" });
      });

      it(`${version}: HA gets embedded etcd; a single replica keeps the chart's default store`, () => {
        const ha = vclusterEffectiveValues(version, (rendered(b.vcluster({ chart_version: version, control_plane_replicas: 3 }, spread(3)))[0] as unknown as { spec: { values: unknown } }).spec.values) as Record<string, any>;
        assert.equal(ha.controlPlane.backingStore.etcd.embedded.enabled, true);
        assert.equal(ha.controlPlane.backingStore.database.embedded.enabled, false);
        assert.equal(ha.controlPlane.statefulSet.highAvailability.replicas, 3);
        const one = vclusterEffectiveValues(version, (rendered(b.vcluster({ chart_version: version }))[0] as unknown as { spec: { values: unknown } }).spec.values) as Record<string, any>;
        assert.equal(one.controlPlane.backingStore.etcd.embedded.enabled, false);
      });

      it(`${version}: the Kubernetes version lands where that chart version reads it`, () => {
        const v = vclusterEffectiveValues(version, (rendered(b.vcluster({ chart_version: version, kubernetes_version: "v1.31.4" }))[0] as unknown as { spec: { values: unknown } }).spec.values) as Record<string, any>;
        const k8s = v.controlPlane.distro.k8s;
        assert.equal(k8s.enabled, true);
        if (version < "0.25") {
          for (const c of ["apiServer", "controllerManager", "scheduler"]) assert.equal(k8s[c].image.tag, "v1.31.4", c);
        } else {
          assert.equal(k8s.image.tag, "v1.31.4");
        }
      });
    }

    it("the chart version is pinned, from the resource or else the provider default", () => {
      const pinned = (obj: DesiredObject) => (rendered(obj)[0] as unknown as { spec: { chart: { spec: { version: string } } } }).spec.chart.spec.version;
      assert.equal(pinned(b.vcluster({ chart_version: "0.24.2" })), "0.24.2");
      assert.equal(pinned({ ...b.vcluster(), extras: { vcluster_chart_version: "0.26.5" } }), "0.26.5");
      assert.equal(pinned({ ...b.vcluster({ chart_version: "0.24.2" }), extras: { vcluster_chart_version: "0.26.5" } }), "0.24.2");
      assert.equal(pinned(b.vcluster()), (schemaOf("provider").properties!.vcluster_chart_version as { default: string }).default);
    });
  });

  describe("the README example", () => {
    it("writes only manifests that validate (examples/engine/estate.ts on a temp gitops dir)", function () {
      this.timeout(120_000);
      const home = tempHome("example-");
      const script = path.join(__dirname, "..", "..", "examples", "engine", "estate.js");
      execFileSync(process.execPath, [script], { env: { ...process.env, OTTERSCALE_HOME: home, OTTERSCALE_LEDGER_URL: "", OTTERSCALE_CONTROLLER_URL: "" }, stdio: "pipe" });
      const files = manifests(home);
      const kinds = new Set<string>();
      for (const f of files) {
        for (const doc of parseAllDocuments(readFileSync(path.join(home, "manifests", f), "utf8"))) {
          const m = doc.toJSON() as Manifest;
          kinds.add(`${m.apiVersion} ${m.kind}`);
          assertValid(m, f);
        }
      }
      for (const k of ["kubevirt.io/v1 VirtualMachine", "helm.toolkit.fluxcd.io/v2 HelmRelease", "ceph.rook.io/v1 CephBlockPool", "v1 ResourceQuota", "metal3.io/v1alpha1 BareMetalHost", "inventory.otterscale.io/v1alpha1 ServerGroup"]) {
        assert.ok(kinds.has(k), `the example renders a ${k} (found: ${[...kinds].join(", ")})`);
      }
    });
  });
});
