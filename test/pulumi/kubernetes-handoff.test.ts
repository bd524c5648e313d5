/**
 * otterscale decides, @pulumi/kubernetes applies: the example program of
 * examples/pulumi-kubernetes under `setMocks`, with the stack on `handoff://`. The otterscale
 * resources run through their real deserialized providers; the Kubernetes resources reach a
 * double of the Kubernetes provider that enforces what the API server would (names, namespaces,
 * one object per identity, the type token matching the object).
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { declareHandoff } from "../../examples/pulumi-kubernetes/handoff";
import * as otterscale from "../../sdk/pulumi";
import { closeEngines } from "../../sdk/pulumi/runtime";
import { filesBesidesLedger } from "../support/estate";
import { initStackLedger, InProcessHost, mockEngine, settle, stackConfig, tempDir, type MockRecord, type Props } from "./support";

interface KubeObject {
  readonly type: string;
  readonly name: string;
  readonly inputs: Props;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const CLUSTER_SCOPED = new Set(["Namespace", "StorageClass", "Node"]);

/** What the Kubernetes provider and API server would refuse, refused; what they accept, recorded. */
class KubernetesDouble {
  readonly objects: KubeObject[] = [];
  readonly refused: string[] = [];

  async create(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Props }> {
    const o = args.inputs as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } };
    const problem = this.problemOf(args.type, o);
    if (problem) {
      this.refused.push(`${args.name}: ${problem}`);
      throw new Error(problem);
    }
    this.objects.push({ type: args.type, name: args.name, inputs: args.inputs as Props });
    return { id: `${o.metadata!.namespace ?? ""}/${o.metadata!.name}`, state: args.inputs as Props };
  }

  private problemOf(type: string, o: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }): string | undefined {
    if (!o.apiVersion || !o.kind) return "apiVersion and kind are required";
    const [, group, kind] = type.split(":");
    const expectedGroup = o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`;
    if (kind !== o.kind || (group !== o.apiVersion && group !== expectedGroup)) return `type ${type} does not match ${o.apiVersion} ${o.kind}`;
    const name = o.metadata?.name;
    if (!name || name.length > 253 || !DNS_SUBDOMAIN.test(name)) return `metadata.name ${JSON.stringify(name)} is not a DNS-1123 subdomain`;
    const ns = o.metadata?.namespace;
    if (!CLUSTER_SCOPED.has(o.kind) && !ns) return `${o.kind} is namespaced: metadata.namespace is required`;
    if (this.objects.some((x) => x.inputs.apiVersion === o.apiVersion && x.inputs.kind === o.kind && (x.inputs.metadata as Props).name === name && (x.inputs.metadata as Props).namespace === ns)) {
      return `${o.kind} ${ns}/${name} already exists`;
    }
    return undefined;
  }
}

/** Parent and dependencies of every registration, as the SDK sends them to the engine. */
function recordRegistrations(): Map<string, { parent: string; dependencies: string[] }> {
  const seen = new Map<string, { parent: string; dependencies: string[] }>();
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: never, cb: never) => unknown };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: never, cb: never) => {
    const r = req as { getType(): string; getName(): string; getParent(): string; getDependenciesList(): string[] };
    seen.set(`${r.getType()}::${r.getName()}`, { parent: r.getParent(), dependencies: r.getDependenciesList() });
    return original(req, cb);
  };
  return seen;
}

describe("pulumi: toKubernetes hands the rendered objects to @pulumi/kubernetes (handoff://, setMocks)", function () {
  this.timeout(60_000);
  let home: string;
  afterEach(async () => {
    await closeEngines();
  });

  async function up(declareMore: (estate: ReturnType<typeof declareHandoff>) => pulumi.Output<pulumi.CustomResource[]>[] = () => []) {
    home = tempDir("pulumi-k8s-");
    await initStackLedger(home);
    const config = { ...stackConfig(home), "otterscale:controllerUrl": "handoff://" };
    const kube = new KubernetesDouble();
    const records = await mockEngine(new InProcessHost(config), { preview: false, others: (args) => kube.create(args) });
    const registrations = recordRegistrations();
    const estate = declareHandoff();
    const more = declareMore(estate);
    const otterscaleResources = [...estate.servers, estate.group, estate.quota, ...estate.vms];
    await Promise.all(otterscaleResources.map((r) => settle(r.urn)));
    const lists = await Promise.all([...estate.kubernetes, ...more].map(settle));
    await Promise.all(lists.flat().map((r) => settle(r.urn)));
    return { estate, records, kube, registrations, lists };
  }

  it("a VM's KubeVirt object reaches the Kubernetes provider pinned to its placed node, parented to the VM and depending on it", async () => {
    const { records, kube, registrations, lists } = await up();
    assert.deepEqual(records.filter((r) => r.failures || r.error), [], "every otterscale resource checks and creates");
    assert.deepEqual(kube.refused, []);
    const outs = (name: string) => records.find((r: MockRecord) => r.name === name)!.outs!;
    for (const name of ["web-1", "web-2"]) {
      const obj = kube.objects.find((o) => o.name === `acme/${name}`);
      assert.ok(obj, `acme/${name} was created`);
      assert.equal(obj.type, "kubernetes:kubevirt.io/v1:VirtualMachine");
      const spec = obj.inputs.spec as { template: { spec: { nodeSelector: Record<string, string>; domain: { cpu: { cores: number } } } } };
      assert.equal(spec.template.spec.nodeSelector["kubernetes.io/hostname"], outs(name).server, "pinned to the node name (node_name: the short hostname)");
      assert.equal(spec.template.spec.domain.cpu.cores, 4);
      // Exactly the object otterscale rendered (nothing added, nothing lost on the way).
      assert.deepEqual(obj.inputs, JSON.parse((outs(name).manifests as string[])[0]));
      const reg = registrations.get(`kubernetes:kubevirt.io/v1:VirtualMachine::acme/${name}`)!;
      const vmUrn = reg.parent;
      assert.match(vmUrn, new RegExp(`pulumi-nodejs:dynamic/otterscale:VirtualMachine::${name}$`), "parented to the otterscale VM");
      assert.ok(reg.dependencies.includes(vmUrn), "and depends on it");
    }
    assert.notEqual(outs("web-1").server, outs("web-2").server, "anti-affinity spread them");
    // The quota is a core kind: a typed core/v1 ResourceQuota.
    assert.deepEqual(
      kube.objects.filter((o) => o.type === "kubernetes:core/v1:ResourceQuota").map((o) => o.name),
      ["acme/otterscale-prod"],
    );
    assert.equal(lists.flat().length, 3);
    assert.deepEqual(filesBesidesLedger(home), [], "handoff:// writes nothing to disk");
    assert.match(outs("web-1").status as string, /^handed off: /);
  });

  it("an over-quota VM fails its quota check, and no Kubernetes resource is made for it", async () => {
    const { records, kube, lists } = await up((estate) => {
      const huge = new otterscale.VirtualMachine("huge", { tenant: "acme", group: estate.quota.group, cpuCores: 24, memoryGib: 8, diskGib: 10 }); // the quota allows 16 cores
      return [otterscale.toKubernetes(huge)];
    });
    const huge = records.find((r) => r.name === "huge")!;
    // Refused at Check (what `pulumi preview` runs too), so the VM is never created.
    assert.match(huge.failures?.map((f) => f.reason).join("; ") ?? "", /quota exceeded for tenant acme in group prod: cpuCores requested 24/);
    assert.equal(huge.outs, undefined);
    assert.equal(kube.objects.filter((o) => o.name === "acme/huge").length, 0);
    assert.deepEqual(lists.at(-1), []);
    assert.deepEqual(kube.objects.map((o) => o.name).sort(), ["acme/otterscale-prod", "acme/web-1", "acme/web-2"], "the rest is unaffected");
  });
});
