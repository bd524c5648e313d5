/**
 * What a Pulumi user imports and what ends up in state: type tokens, typed camelCase args, the
 * serialized provider text (plain data + `require` at call time, nothing captured), and the
 * fallback that lets state moved to another checkout find the installed package.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as otterscale from "../../sdk/pulumi";
import { RESOURCE_KINDS, type ResourceKind } from "../../provider/src/catalog/catalog";
import { HostProcess, serializedProviders, stackConfig, tempDir } from "./support";

// Compile-time checks: args are the schema's attributes in camelCase with Input<T> values.
const typed: otterscale.VirtualMachineArgs = {
  tenant: "acme",
  group: "prod",
  cpuCores: 2,
  memoryGib: Promise.resolve(4),
  diskGib: 10,
  placement: { spreadDomain: "rack", racks: ["r1"] },
  adopt: true,
};
// @ts-expect-error snake_case names are not Pulumi attributes
const snake: otterscale.VirtualMachineArgs = { tenant: "acme", group: "prod", cpu_cores: 2, memoryGib: 4, diskGib: 10 };
// @ts-expect-error enums are checked
const badEnum: otterscale.BlockPoolArgs = { tenant: "acme", group: "prod", sizeGib: 1, failureDomain: "planet" };
const quotaArgs: otterscale.TenantQuotaArgs = { tenant: "acme", group: "prod", maxVirtualMachines: 3 };
type VmServer = otterscale.VirtualMachine["server"];
const outputType: VmServer extends import("@pulumi/pulumi").Output<string | undefined> ? true : false = true;

describe("pulumi: packaging and serialization", function () {
  this.timeout(60_000);
  let texts: Record<ResourceKind, string>;
  before(async () => {
    texts = await serializedProviders();
  });

  it("type tokens read pulumi-nodejs:dynamic/otterscale:<Type>; args types follow the schema", () => {
    assert.deepEqual(RESOURCE_KINDS.map((k) => otterscale.tokenOf(k)), [
      "pulumi-nodejs:dynamic/otterscale:Server",
      "pulumi-nodejs:dynamic/otterscale:BaremetalGroup",
      "pulumi-nodejs:dynamic/otterscale:TenantQuota",
      "pulumi-nodejs:dynamic/otterscale:VirtualMachine",
      "pulumi-nodejs:dynamic/otterscale:VCluster",
      "pulumi-nodejs:dynamic/otterscale:BlockPool",
    ]);
    // serializedProviders() captured each text under the token a real registration used.
    assert.deepEqual(Object.keys(texts).sort(), [...RESOURCE_KINDS].sort());
    assert.ok(typed && snake && badEnum && quotaArgs && outputType);
  });

  it("secret outputs are declared on the registration (additionalSecretOutputs), merged with the user's", async () => {
    const seen: Record<string, string[]> = {};
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: {} }), call: (a) => a.inputs }, "p", "s", true);
    // The mock monitor does not pass the option on to newResource: read it off the request.
    const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: { getName(): string; getAdditionalsecretoutputsList(): string[] }, cb: unknown) => {
      seen[req.getName()] = req.getAdditionalsecretoutputsList();
      return register(req, cb);
    };
    const made = [
      new otterscale.VirtualMachine("v", { tenant: "t", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 }, { additionalSecretOutputs: ["image"] }),
      new otterscale.VCluster("c", { tenant: "t", group: "g" }),
      new otterscale.Server("s", { cpuCores: 1, memoryGib: 1, storageGib: 1 }),
      new otterscale.BlockPool("p", { tenant: "t", group: "g", sizeGib: 1 }),
    ];
    await Promise.all(made.map((r) => new Promise((res) => r.urn.apply(res))));
    assert.deepEqual(seen, { v: ["image", "userData"], c: ["kubeconfig"], s: ["bmc"], p: [] });
  });

  it("the serialized provider is plain data plus methods that require the runtime at call time", () => {
    for (const kind of RESOURCE_KINDS) {
      const text = texts[kind];
      assert.match(text, new RegExp(`__provider\\.kind = "${kind}";`));
      assert.match(text, /__provider\.runtimePath = "\/[^"]+\/sdk\/pulumi\/runtime\.js";/);
      assert.match(text, /__provider_settings = \{\};/);
      // Nothing from a module was copied in: no engine, ledger, schema or Pulumi internals.
      for (const banned of ["DatabaseSync", "Engine", "ledger_url", "schemaOf", "__awaiter", "@pulumi/pulumi"]) {
        assert.ok(!text.includes(banned), `${kind}: serialized text mentions ${banned}`);
      }
      assert.ok(text.length < 8000, `${kind}: ${text.length} characters`);
    }
  });

  it("state moved to another checkout: the provider falls back to the installed otterscale-iac/pulumi", async () => {
    // An installed copy: <proj>/node_modules/otterscale-iac with package.json and dist/ (this build).
    const root = path.resolve(__dirname, "..", "..");
    const repo = [root, path.dirname(root)].find((d) => fs.existsSync(path.join(d, "package.json")));
    const proj = tempDir("pulumi-proj-");
    const pkg = path.join(proj, "node_modules", "otterscale-iac");
    fs.mkdirSync(pkg, { recursive: true });
    fs.copyFileSync(path.join(repo ?? process.cwd(), "package.json"), path.join(pkg, "package.json"));
    fs.symlinkSync(root, path.join(pkg, "dist"));

    const probe = spawnSync(process.execPath, ["-e", 'const o = require("otterscale-iac/pulumi"); console.log(o.tokenOf("vcluster"), typeof o.VCluster, typeof o.providerRuntime.check)'], { cwd: proj, encoding: "utf8" });
    assert.equal(probe.stdout.trim(), "pulumi-nodejs:dynamic/otterscale:VCluster function function", probe.stderr);

    const home = tempDir("pulumi-moved-");
    const moved = texts.virtual_machine.replace(/__provider\.runtimePath = "[^"]+";/, '__provider.runtimePath = "/nonexistent/checkout/sdk/pulumi/runtime.js";');
    // A new ledger the runtime creates (so its file proves the runtime ran): allowed explicitly.
    const host = await HostProcess.start({ cwd: proj, env: { OTTERSCALE_LEDGER_CREATE: "1" } });
    try {
      await host.configure(stackConfig(home));
      const r = await host.check("urn:vm", {}, { name: "a", tenant: "t", group: "g", cpuCores: 0, memoryGib: 1, diskGib: 1, __provider: moved });
      assert.deepEqual(r.failures, [{ property: "cpuCores", reason: "must be >= 1 (got 0)" }]);
      assert.ok(fs.existsSync(path.join(home, "ledger.db")), "the runtime ran, configured from the stack config");
    } finally {
      await host.stop();
    }
  });
});
