import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { manifestToYaml } from "../../provider/src/controllers/gitops";
import {
  carriedFields,
  driftOf,
  observeManifest,
  renderAttached,
  renderedDrift,
  renderManifest,
  vclusterEndpoint,
  type Manifest,
} from "../../provider/src/controllers/render";
import { vclusterNamespace } from "../../provider/src/controllers/render/vcluster";
import type { DesiredObject } from "../../provider/src/controllers/types";
import { OtterscaleError } from "../../provider/src/domain/errors";
import * as b from "./builders";

/** Render, write as YAML text, parse the text back: what a reader of the file sees. */
function viaYaml(obj: DesiredObject): Manifest {
  return parseYaml(manifestToYaml(renderManifest(obj))) as Manifest;
}

function observe(obj: DesiredObject) {
  return observeManifest(obj.kind, obj.key, viaYaml(obj), "test");
}

/** Reads a dotted path (`spec.template.spec`) from a plain object. */
function get(o: unknown, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((cur, k) => (cur as Record<string, unknown> | undefined)?.[k], o);
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("controllers/render", () => {
  describe("virtual_machine -> kubevirt.io/v1 VirtualMachine", () => {
    const obj = b.vm(
      { image: "quay.io/containerdisks/ubuntu:24.04", user_data: b.USER_DATA, gpu_model: "a100", gpu_count: 2, memory_gib: 1.5, maintainers: ["user:alice", "group:sre"], placement: { anti_affinity_group: "web" } },
      [b.placed("node-b")],
    );
    const m = viaYaml(obj);
    const pod = get(m, "spec.template.spec");

    it("is a VirtualMachine named after the VM in the tenant's namespace", () => {
      assert.equal(m.apiVersion, "kubevirt.io/v1");
      assert.equal(m.kind, "VirtualMachine");
      assert.equal(m.metadata.name, "web-1");
      assert.equal(m.metadata.namespace, "acme");
    });

    it("is pinned to the placed server's Kubernetes node name, not its FQDN", () => {
      assert.deepEqual(get(pod, "nodeSelector"), { "kubernetes.io/hostname": "node-b" });
      assert.equal(m.metadata.labels?.["otterscale.io/server"], "node-b");
    });

    it("carries cores, guest memory (1.5 GiB = 1536Mi), the data volume size and run strategy", () => {
      assert.equal(get(pod, "domain.cpu.cores"), 4);
      assert.equal(get(pod, "domain.memory.guest"), "1536Mi");
      const dvs = get(m, "spec.dataVolumeTemplates") as unknown[];
      assert.equal(dvs.length, 1);
      assert.equal(get(dvs[0], "metadata.name"), "web-1-data");
      assert.equal(get(dvs[0], "spec.storage.resources.requests.storage"), "40Gi");
      assert.equal(get(m, "spec.runStrategy"), "Always");
    });

    it("has a containerDisk from the image, the data volume and a cloud-init Secret reference", () => {
      assert.deepEqual(get(pod, "volumes"), [
        { name: "containerdisk", containerDisk: { image: "quay.io/containerdisks/ubuntu:24.04" } },
        { name: "datadisk", dataVolume: { name: "web-1-data" } },
        { name: "cloudinitdisk", cloudInitNoCloud: { secretRef: { name: "web-1-user-data" } } },
      ]);
      const disks = get(pod, "domain.devices.disks") as { name: string }[];
      assert.deepEqual(disks.map((d) => d.name), ["containerdisk", "datadisk", "cloudinitdisk"]);
    });

    it("passes gpu_count GPUs of the model through, under the model's default device name", () => {
      assert.deepEqual(get(pod, "domain.devices.gpus"), [
        { name: "gpu0", deviceName: "nvidia.com/A100" },
        { name: "gpu1", deviceName: "nvidia.com/A100" },
      ]);
    });

    it("requests the device name the engine resolved from gpu_devices; the model reads back from its annotation", () => {
      const mapped = { ...b.vm({ gpu_model: "a100", gpu_count: 1 }), gpuDevices: { a100: "nvidia.com/GA100_A100_PCIE_40GB" } };
      assert.deepEqual(get(viaYaml(mapped), "spec.template.spec.domain.devices.gpus"), [{ name: "gpu0", deviceName: "nvidia.com/GA100_A100_PCIE_40GB" }]);
      assert.deepEqual(driftOf("virtual_machine", mapped.spec, observe(mapped)), []);
    });

    it("without gpu_model, GPUs ask for the model-agnostic nvidia.com/gpu", () => {
      assert.deepEqual(get(viaYaml(b.vm({ gpu_count: 1 })), "spec.template.spec.domain.devices.gpus"), [{ name: "gpu0", deviceName: "nvidia.com/gpu" }]);
    });

    it("never contains user_data, only its sha256", () => {
      const text = manifestToYaml(renderManifest(obj));
      assert.ok(!text.includes("Tr0ub4dor"), "user_data leaked into the manifest");
      assert.equal(m.metadata.annotations?.["otterscale.io/user-data-sha256"], sha256(b.USER_DATA));
      assert.deepEqual(observe(obj).digests, { user_data: sha256(b.USER_DATA) });
    });

    it("labels and annotates ownership", () => {
      assert.deepEqual(m.metadata.labels, {
        "app.kubernetes.io/managed-by": "otterscale-iac",
        "otterscale.io/tenant": "acme",
        "otterscale.io/group": "gpu-pool",
        "otterscale.io/name": "web-1",
        "otterscale.io/server": "node-b",
        "otterscale.io/anti-affinity-group": "web",
      });
      assert.equal(m.metadata.annotations?.["otterscale.io/maintainers"], "user:alice,group:sre");
    });

    it("without image, GPUs or user data: only the data disk, no gpus, no secret", () => {
      const plain = viaYaml(b.vm());
      assert.deepEqual(get(plain, "spec.template.spec.volumes"), [{ name: "datadisk", dataVolume: { name: "web-1-data" } }]);
      assert.equal(get(plain, "spec.template.spec.domain.devices.gpus"), undefined);
      assert.equal(plain.metadata.annotations, undefined);
    });

    it("status follows run_strategy: Always -> Running, Halted -> Stopped", () => {
      assert.equal(observe(b.vm()).status, "Running");
      const halted = b.vm({ run_strategy: "Halted" });
      assert.equal(get(viaYaml(halted), "spec.runStrategy"), "Halted");
      assert.equal(observe(halted).status, "Stopped");
    });

    it("refuses to render without a placed server", () => {
      assert.throws(
        () => renderManifest(b.vm({}, [])),
        (e: unknown) => OtterscaleError.isInstance(e) && e.code === "controller_failed" && /no placed server/.test(e.message),
      );
    });
  });

  describe("block_pool -> ceph.rook.io/v1 CephBlockPool", () => {
    it("replicated: size 3 by default, failureDomain host, deviceClass, quotas.maxSize", () => {
      const m = viaYaml(b.blockPool({ device_class: "ssd", size_gib: 750.5 }));
      assert.equal(m.apiVersion, "ceph.rook.io/v1");
      assert.equal(m.kind, "CephBlockPool");
      assert.equal(m.metadata.name, "acme-data");
      assert.equal(m.metadata.namespace, "rook-ceph");
      // 750.5 GiB = 750500 milli * 1024 / 1000 = 768512 Mi
      assert.deepEqual(m.spec, { failureDomain: "host", replicated: { size: 3 }, deviceClass: "ssd", quotas: { maxSize: "768512Mi" } });
      assert.equal(m.metadata.annotations?.["otterscale.io/servers"], "node-a,node-b,node-c");
      assert.equal(m.metadata.annotations?.["otterscale.io/deletion-protection"], "true");
      assert.equal(m.metadata.annotations?.["otterscale.io/replicas-defaulted"], "true");
    });

    it("a defaulted replica count reads back unset; an edited or explicit one reads back", () => {
      const defaulted = b.blockPool();
      assert.equal("replicas" in observe(defaulted).fields, false);
      const edited = viaYaml(defaulted);
      (edited.spec as { replicated: { size: number } }).replicated.size = 2;
      assert.equal(observeManifest("block_pool", "acme/data", edited, "test").fields.replicas, 2);
      const explicit = b.blockPool({ replicas: 3 });
      assert.equal(viaYaml(explicit).metadata.annotations?.["otterscale.io/replicas-defaulted"], undefined);
      assert.equal(observe(explicit).fields.replicas, 3);
    });

    describe("erasure coded: a replicated metadata pool and a StorageClass that uses both", () => {
      const ec = b.blockPool({ erasure_coded: { data_chunks: 4, coding_chunks: 2 }, failure_domain: "rack", device_class: "hdd" });
      const [metadataPool, storageClass] = renderAttached(ec);
      it("the metadata pool: replicated x3, the EC pool's failure domain and device class, 1 GiB", () => {
        assert.equal(metadataPool.kind, "CephBlockPool");
        assert.deepEqual(metadataPool.metadata.name, "acme-data-metadata");
        assert.equal(metadataPool.metadata.namespace, "rook-ceph");
        assert.deepEqual(metadataPool.spec, { failureDomain: "rack", replicated: { size: 3 }, deviceClass: "hdd", quotas: { maxSize: "1Gi" } });
      });
      it("the StorageClass: Rook's RBD CSI driver, pool = metadata pool, dataPool = the EC pool", () => {
        assert.equal(storageClass.apiVersion, "storage.k8s.io/v1");
        assert.equal(storageClass.kind, "StorageClass");
        assert.equal(storageClass.metadata.name, "acme-data");
        assert.equal(storageClass.metadata.namespace, undefined, "cluster-scoped");
        assert.equal(storageClass.provisioner, "rook-ceph.rbd.csi.ceph.com");
        const p = storageClass.parameters as Record<string, string>;
        assert.deepEqual([p.clusterID, p.pool, p.dataPool, p.imageFormat], ["rook-ceph", "acme-data-metadata", "acme-data", "2"]);
        assert.equal(p["csi.storage.k8s.io/node-stage-secret-name"], "rook-csi-rbd-node");
      });
      it("a replicated pool has nothing attached", () => assert.deepEqual(renderAttached(b.blockPool()), []));
      it("gitops writes all three as documents of one file, the pool first", () => {
        const docs = parseAllDocuments(manifestToYaml(renderManifest(ec), renderAttached(ec))).map((d) => d.toJS());
        assert.deepEqual(docs.map((d) => `${d.kind} ${d.metadata.name}`), ["CephBlockPool acme-data", "CephBlockPool acme-data-metadata", "StorageClass acme-data"]);
      });
      it("drift: an attached value edited or an attached object removed", () => {
        const observed = { ...observeManifest("block_pool", ec.key, viaYaml(ec), "test"), attached: renderAttached(ec) };
        assert.deepEqual(renderedDrift(ec, observed), []);
        const edited = structuredClone(renderAttached(ec));
        (edited[1].parameters as Record<string, string>).dataPool = "other";
        assert.deepEqual(renderedDrift(ec, { ...observed, attached: edited }).map((d) => d.path), ["StorageClass acme-data: parameters.dataPool"]);
        assert.deepEqual(renderedDrift(ec, { ...observed, attached: [edited[1]] }).map((d) => d.path), ["CephBlockPool rook-ceph/acme-data-metadata", "StorageClass acme-data: parameters.dataPool"]);
      });
    });

    it("erasure coded: erasureCoded {dataChunks, codingChunks} and no replicated section", () => {
      const m = viaYaml(b.blockPool({ erasure_coded: { data_chunks: 4, coding_chunks: 2 }, failure_domain: "rack" }));
      assert.deepEqual(m.spec, { failureDomain: "rack", erasureCoded: { dataChunks: 4, codingChunks: 2 }, quotas: { maxSize: "500Gi" } });
    });

    const domains: [string, string][] = [
      ["server", "host"],
      ["rack", "rack"],
      ["zone", "zone"],
    ];
    for (const [ours, ceph] of domains) {
      it(`failure_domain ${ours} -> failureDomain ${ceph}`, () => {
        const obj = b.blockPool({ failure_domain: ours });
        assert.equal(get(viaYaml(obj), "spec.failureDomain"), ceph);
        assert.equal(observe(obj).fields.failure_domain, ours);
      });
    }

    it("size 1 tells Rook the unsafe pool is intended", () => {
      assert.deepEqual(get(viaYaml(b.blockPool({ replicas: 1 })), "spec.replicated"), { size: 1, requireSafeReplicaSize: false });
    });

    it("records deletion_protection=false and reads as Ready with its servers", () => {
      const obj = b.blockPool({ deletion_protection: false });
      assert.equal(viaYaml(obj).metadata.annotations?.["otterscale.io/deletion-protection"], "false");
      const o = observe(obj);
      assert.equal(o.status, "Ready");
      assert.deepEqual(o.servers, ["node-a", "node-b", "node-c"]);
      assert.equal(o.fields.deletion_protection, false);
    });
  });

  describe("vcluster -> helm.toolkit.fluxcd.io/v2 HelmRelease", () => {
    const obj = b.vcluster(
      { kubernetes_version: "v1.30.2", control_plane_replicas: 3, control_plane_cpu_cores: 0.5, control_plane_memory_gib: 4, control_plane_storage_gib: 10, workload_cpu_cores: 16, workload_memory_gib: 64, workload_storage_gib: 500 },
      [b.placed("node-a"), b.placed("node-b"), b.placed("node-c")],
    );
    const m = viaYaml(obj);
    const sts = get(m, "spec.values.controlPlane.statefulSet");

    it("releases chart vcluster, pinned, from HelmRepository loft, not suspended, into a namespace of its own", () => {
      assert.equal(m.apiVersion, "helm.toolkit.fluxcd.io/v2");
      assert.equal(m.kind, "HelmRelease");
      assert.equal(m.metadata.namespace, "acme");
      assert.equal(m.metadata.name, "dev");
      assert.deepEqual(get(m, "spec.chart.spec"), { chart: "vcluster", version: "0.36.1", sourceRef: { kind: "HelmRepository", name: "loft", namespace: "flux-system" } });
      assert.equal(get(m, "spec.suspend"), false);
      assert.equal(get(m, "spec.targetNamespace"), vclusterNamespace("acme", "dev"));
      assert.match(vclusterNamespace("acme", "dev"), /^vc-dev-[0-9a-f]{8}$/);
      assert.notEqual(vclusterNamespace("a-b", "c"), vclusterNamespace("a", "b-c"));
      assert.ok(vclusterNamespace("t", "x".repeat(63)).length <= 63);
      assert.deepEqual(get(m, "spec.install"), { createNamespace: true });
    });

    it("sets the k8s version, replicas, resources and volume size", () => {
      assert.equal(get(m, "spec.values.controlPlane.distro.k8s.version"), "v1.30.2");
      assert.equal(get(m, "spec.values.controlPlane.distro.k8s.enabled"), true);
      assert.equal(get(sts, "highAvailability.replicas"), 3);
      assert.deepEqual(get(sts, "resources"), { requests: { cpu: "500m", memory: "4Gi" }, limits: { cpu: "500m", memory: "4Gi" } });
      assert.equal(get(sts, "persistence.volumeClaim.size"), "10Gi");
    });

    it("pins the control plane to the placed servers' Kubernetes node names, one replica per host", () => {
      const terms = get(sts, "scheduling.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
      assert.deepEqual(terms, [
        { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-a", "node-b", "node-c"] }] },
      ]);
      assert.equal(m.metadata.annotations?.["otterscale.io/servers"], "node-a,node-b,node-c");
    });

    it("turns the workload quota plus the control plane's reservation (and CoreDNS's) into the quota, and reads the workload share back", () => {
      // 16 + 3 x 0.5 + CoreDNS 0.02 cores; 64 + 3 x 4 + CoreDNS 0.125 GiB; 500 + 3 x 10 GiB
      const hard = { "requests.cpu": "17520m", "requests.memory": "77952Mi", "requests.storage": "530Gi" };
      assert.deepEqual(get(m, "spec.values.policies.resourceQuota"), { enabled: true, quota: hard });
      const patches = get(m, "spec.postRenderers") as { kustomize: { patches: { target: unknown; patch: string }[] } }[];
      assert.deepEqual(patches[0].kustomize.patches[0].target, { version: "v1", kind: "ResourceQuota", name: "vc-dev" });
      assert.deepEqual(parseYaml(patches[0].kustomize.patches[0].patch), [{ op: "replace", path: "/spec/hard", value: hard }]);
      const o = observe(obj);
      assert.equal(o.fields.workload_cpu_cores, 16);
      assert.equal(o.fields.workload_memory_gib, 64);
      assert.equal(o.fields.workload_storage_gib, 500);
    });

    it("reads the quota the post-renderer enforces: an edited or removed patch is drift", () => {
      const edited = viaYaml(obj) as Manifest & { spec: { postRenderers: { kustomize: { patches: { patch: string }[] } }[] } };
      edited.spec.postRenderers[0].kustomize.patches[0].patch = edited.spec.postRenderers[0].kustomize.patches[0].patch.replace("530Gi", "1030Gi");
      const drift = driftOf("vcluster", obj.spec, observeManifest("vcluster", obj.key, edited, "test"));
      assert.deepEqual(drift, [{ path: "workload_storage_gib", expected: 500, actual: 1000 }]);
      const removed = viaYaml(obj) as Manifest & { spec: Record<string, unknown> };
      delete removed.spec.postRenderers;
      const gone = driftOf("vcluster", obj.spec, observeManifest("vcluster", obj.key, removed, "test")).map((d) => d.path);
      assert.deepEqual(gone, ["workload_cpu_cores", "workload_memory_gib", "workload_storage_gib"]);
    });

    it("HA gets embedded etcd (SQLite serves one replica); one replica keeps the chart's default", () => {
      assert.deepEqual(get(m, "spec.values.controlPlane.backingStore"), { etcd: { embedded: { enabled: true } } });
      assert.equal(get(viaYaml(b.vcluster()), "spec.values.controlPlane.backingStore"), undefined);
    });

    it("chart 0.24.x gets the k8s version as the three component images; 0.25+ as one image", () => {
      const old = viaYaml(b.vcluster({ chart_version: "0.24.2", kubernetes_version: "v1.30.2" }));
      assert.deepEqual(get(old, "spec.values.controlPlane.distro.k8s"), {
        enabled: true,
        version: "v1.30.2",
        apiServer: { image: { tag: "v1.30.2" } },
        controllerManager: { image: { tag: "v1.30.2" } },
        scheduler: { image: { tag: "v1.30.2" } },
      });
      assert.deepEqual(get(m, "spec.values.controlPlane.distro.k8s"), { enabled: true, version: "v1.30.2", image: { tag: "v1.30.2" } });
      assert.equal(observe(b.vcluster({ chart_version: "0.24.2", kubernetes_version: "v1.30.2" })).fields.kubernetes_version, "v1.30.2");
    });

    it("paused: replicas 0 and the paused annotation; the replica count survives", () => {
      const paused = b.vcluster({ control_plane_replicas: 3, paused: true }, [b.placed("node-a"), b.placed("node-b"), b.placed("node-c")]);
      const pm = viaYaml(paused);
      assert.equal(get(pm, "spec.values.controlPlane.statefulSet.highAvailability.replicas"), 0);
      assert.equal(pm.metadata.annotations?.["otterscale.io/paused"], "true");
      assert.equal(get(pm, "spec.suspend"), false);
      const o = observe(paused);
      assert.equal(o.status, "Paused");
      assert.equal(o.fields.control_plane_replicas, 3);
      assert.equal(o.fields.paused, true);
      assert.equal(m.metadata.annotations?.["otterscale.io/paused"], undefined);
      assert.equal(observe(obj).status, "Running");
    });

    it("reports endpoint and a kubeconfig that points at vc-<name> without credentials", () => {
      const o = observe(obj);
      assert.equal(o.endpoint, `https://dev.${vclusterNamespace("acme", "dev")}.svc.cluster.local:443`);
      assert.equal(vclusterEndpoint("acme", "dev"), o.endpoint);
      const kc = parseYaml(o.kubeconfig ?? "") as Record<string, unknown>;
      assert.equal(kc.kind, "Config");
      assert.equal(get((kc.clusters as unknown[])[0], "cluster.server"), o.endpoint);
      assert.equal(kc["current-context"], "vc-dev");
      const user = (kc.users as Record<string, unknown>[])[0];
      assert.deepEqual(get(user, "user.extensions"), [
        { name: "otterscale.io/credentials", extension: { secretRef: { namespace: vclusterNamespace("acme", "dev"), name: "vc-dev", key: "config" } } },
      ]);
      assert.doesNotMatch(o.kubeconfig ?? "", /token|password|client-key-data/);
    });
  });

  describe("tenant_quota -> v1 ResourceQuota", () => {
    it("hard limits for every set limit; counts beyond Kubernetes as annotations", () => {
      const m = viaYaml(b.tenantQuota({ cpu_cores: 32.5, memory_gib: 128, storage_gib: 1024, gpus: 4, max_virtual_machines: 10, max_vclusters: 2, max_block_pools: 5 }));
      assert.equal(m.apiVersion, "v1");
      assert.equal(m.kind, "ResourceQuota");
      assert.equal(m.metadata.name, "otterscale-general");
      assert.equal(m.metadata.namespace, "acme");
      assert.deepEqual(get(m, "spec.hard"), {
        "requests.cpu": "32500m",
        "requests.memory": "128Gi",
        "requests.storage": "1024Gi",
        "requests.nvidia.com/gpu": "4",
        "count/virtualmachines.kubevirt.io": "10",
      });
      assert.equal(m.metadata.annotations?.["otterscale.io/max-vclusters"], "2");
      assert.equal(m.metadata.annotations?.["otterscale.io/max-block-pools"], "5");
    });

    it("caps requests of each resolved GPU device name at the tenant's total (Kubernetes counts names, not models)", () => {
      const obj = { ...b.tenantQuota({ gpus: 4 }), gpuDevices: { a100: "nvidia.com/GA100_A100_PCIE_40GB", t4: "nvidia.com/T4" } };
      assert.deepEqual(get(viaYaml(obj), "spec.hard"), {
        "requests.nvidia.com/gpu": "4",
        "requests.nvidia.com/GA100_A100_PCIE_40GB": "4",
        "requests.nvidia.com/T4": "4",
      });
      assert.deepEqual(driftOf("tenant_quota", obj.spec, observe(obj)), []);
    });

    it("omits unset limits (gpus defaults to 0)", () => {
      const obj = b.tenantQuota({ memory_gib: 16 });
      const m = viaYaml(obj);
      assert.deepEqual(get(m, "spec.hard"), { "requests.memory": "16Gi", "requests.nvidia.com/gpu": "0" });
      assert.deepEqual(m.metadata.annotations, {});
      const o = observe(obj);
      assert.equal(o.status, "Active");
      assert.equal(o.key, "acme/general");
    });
  });

  describe("server -> metal3.io/v1alpha1 BareMetalHost", () => {
    const obj = b.server({
      rack: "r1",
      zone: "az 1", // not a valid label value -> annotation
      datacenter: "tpe1",
      labels: { pool: "gpu" },
      gpus: [{ model: "a100", count: 4 }],
      cpu_allocation_ratio: 2,
      reserved_memory_gib: 16,
      bmc: { address: "10.0.0.11", username: b.BMC_USERNAME, password: b.BMC_PASSWORD },
    });
    const m = viaYaml(obj);

    it("references BMC credentials by Secret name, never by value", () => {
      assert.equal(m.apiVersion, "metal3.io/v1alpha1");
      assert.equal(m.kind, "BareMetalHost");
      assert.equal(m.metadata.namespace, "otterscale-inventory");
      assert.deepEqual(m.spec, { online: true, bmc: { address: "ipmi://10.0.0.11", credentialsName: "node-a-bmc-secret" } });
      const text = manifestToYaml(renderManifest(obj));
      assert.ok(!text.includes(b.BMC_PASSWORD) && !text.includes(b.BMC_USERNAME), "BMC credentials leaked");
    });

    it("topology and user labels as labels; capacity, ratios, reservations as annotations", () => {
      assert.deepEqual(m.metadata.labels, {
        "app.kubernetes.io/managed-by": "otterscale-iac",
        pool: "gpu",
        "otterscale.io/rack": "r1",
        "otterscale.io/datacenter": "tpe1",
      });
      const a = m.metadata.annotations ?? {};
      assert.equal(a["topology.kubernetes.io/zone"], "az 1");
      assert.equal(a["otterscale.io/cpu-cores"], "64");
      assert.equal(a["otterscale.io/memory-gib"], "512");
      assert.equal(a["otterscale.io/cpu-allocation-ratio"], "2");
      assert.equal(a["otterscale.io/reserved-memory-gib"], "16");
      assert.equal(a["otterscale.io/gpus"], '[{"model":"a100","count":4}]');
      assert.equal(a["otterscale.io/maintenance"], "false");
    });

    it("does not carry bmc (its credentials are not in the record), only records its address", () => {
      assert.equal("bmc" in observe(obj).fields, false);
      assert.equal(m.metadata.annotations?.["otterscale.io/bmc-power-type"], "ipmi");
    });

    // Metal3 reads the driver from the scheme: a bare host would be IPMI whatever power_type says.
    const bmcCases: [string, Record<string, unknown>, unknown][] = [
      ["ipmi (default), bare host", { address: "10.0.0.11" }, "ipmi://10.0.0.11"],
      ["redfish, bare host", { address: "10.0.0.11", power_type: "redfish" }, "redfish://10.0.0.11"],
      ["redfish-virtualmedia, bare host", { address: "10.0.0.11:8443", power_type: "redfish-virtualmedia" }, "redfish-virtualmedia://10.0.0.11:8443"],
      ["redfish, URL with an agreeing +http scheme kept", { address: "redfish+http://10.0.0.11/redfish/v1/Systems/1", power_type: "redfish" }, "redfish+http://10.0.0.11/redfish/v1/Systems/1"],
      ["virsh: no Metal3 driver, no spec.bmc", { address: "qemu+ssh://h/system", power_type: "virsh" }, undefined],
      ["manual: no spec.bmc", { address: "10.0.0.11", power_type: "manual" }, undefined],
    ];
    for (const [why, bmc, want] of bmcCases) {
      it(`BMC address as a URL with power_type's scheme: ${why}`, () => {
        assert.equal(get(viaYaml(b.server({ bmc })), "spec.bmc.address"), want);
      });
    }

    it("status: Ready, or Maintenance while in maintenance", () => {
      assert.equal(observe(obj).status, "Ready");
      assert.equal(observe(b.server({ maintenance: true })).status, "Maintenance");
    });
  });

  describe("baremetal_group -> inventory.otterscale.io/v1alpha1 ServerGroup", () => {
    it("carries selector, explicit servers, strategy and resolved members", () => {
      const obj = b.group({ servers: ["node-z"], selector: { labels: { pool: "gpu" }, zones: ["az1"] }, placement_strategy: "balanced" }, ["node-a", "node-z"]);
      const m = viaYaml(obj);
      assert.equal(m.apiVersion, "inventory.otterscale.io/v1alpha1");
      assert.equal(m.kind, "ServerGroup");
      assert.deepEqual(m.spec, {
        servers: ["node-z"],
        selector: { labels: { pool: "gpu" }, zones: ["az1"] },
        placementStrategy: "balanced",
        memberServers: ["node-a", "node-z"],
      });
      const o = observe(obj);
      assert.equal(o.status, "Active");
      assert.deepEqual(o.servers, ["node-a", "node-z"]);
    });
  });

  describe("round trip: parse(render(x)).fields equals the spec's carried fields", () => {
    const cases: [string, DesiredObject][] = [
      ...b.oneOfEach().map((o): [string, DesiredObject] => [`${o.kind} (full)`, o]),
      ["vm minimal", b.vm()],
      ["vm halted, fractional memory, gpu without model", b.vm({ run_strategy: "Halted", memory_gib: 0.1, disk_gib: 12.345, gpu_count: 1 })],
      ["vm gpu model without gpus", b.vm({ gpu_model: "h100" })],
      ["vm gpu model literally 'gpu'", b.vm({ gpu_model: "gpu", gpu_count: 1 })],
      ["pool erasure coded zone", b.blockPool({ erasure_coded: { data_chunks: 8, coding_chunks: 3 }, failure_domain: "zone", size_gib: 0.5 })],
      ["pool replicas 2 unprotected", b.blockPool({ replicas: 2, deletion_protection: false })],
      ["vcluster paused fractional", b.vcluster({ paused: true, control_plane_replicas: 2, control_plane_cpu_cores: 1.5, control_plane_memory_gib: 2.5, kubernetes_version: "1.29" })],
      ["quota empty", b.tenantQuota()],
      ["server minimal", b.server()],
      ["server maintenance + ratios", b.server({ maintenance: true, memory_allocation_ratio: 1.5, reserved_cpu_cores: 2.5, bmc: { address: "bmc.example" } })],
      ["group minimal", b.group({}, [])],
    ];
    for (const [name, obj] of cases) {
      it(name, () => {
        const o = observe(obj);
        assert.deepEqual(o.fields, carriedFields(obj.kind, obj.spec));
        assert.equal(o.key, obj.key);
        assert.equal(o.kind, obj.kind);
        assert.deepEqual(driftOf(obj.kind, obj.spec, o), []);
      });
    }
  });

  describe("drift", () => {
    it("reports a changed, a removed and a digest-only attribute", () => {
      const obj = b.vm({ image: "img:1", user_data: b.USER_DATA });
      const o = observe(obj);
      const edited = { ...o, fields: { ...o.fields, cpu_cores: 8, image: undefined }, digests: { user_data: "0".repeat(64) } };
      delete (edited.fields as Record<string, unknown>).image;
      assert.deepEqual(driftOf(obj.kind, obj.spec, edited), [
        { path: "cpu_cores", expected: 4, actual: 8 },
        { path: "image", expected: "img:1", actual: undefined },
        { path: "user_data", expected: `sha256:${sha256(b.USER_DATA)}`, actual: `sha256:${"0".repeat(64)}` },
      ]);
    });
  });

  describe("observeManifest", () => {
    it("refuses a manifest of another kind", () => {
      const m = viaYaml(b.blockPool());
      assert.throws(
        () => observeManifest("virtual_machine", "acme/web-1", m, "/x.yaml"),
        (e: unknown) => OtterscaleError.isInstance(e) && e.code === "controller_failed" && /expected a kubevirt.io\/v1 VirtualMachine/.test(e.message),
      );
    });
  });
});
