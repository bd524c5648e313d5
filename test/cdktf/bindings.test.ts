/**
 * The committed bindings (sdk/cdktf/generated) are what `npm run gen:cdktf` produces from schema/
 * today, and the schema JSON they are generated from is exactly what the real
 * `terraform providers schema -json` reports for our provider.
 */
import { DATA_SOURCE_KINDS, RESOURCE_KINDS } from "../../provider/src/catalog/catalog";
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { genCdktf, ok, repoRoot, tempDir } from "./cdktf-harness";
import { tfSession, withProvider } from "../terraform/tf-harness";

/** Relative paths of every file under `dir`, sorted. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe("cdktf bindings", function () {
  this.timeout(120_000);

  it("the schema JSON the generator uses equals `terraform providers schema -json` of the real provider", async () => {
    const ours = ok(await genCdktf(["--schema"]), "gen-cdktf --schema");
    const s = await tfSession(); // dev_overrides -> bin/terraform-provider-otterscale, real engine
    try {
      s.write("main.tf", withProvider(""));
      const r = await s.run(["providers", "schema", "-json"]);
      assert.equal(r.code, 0, r.stderr);
      const fromTerraform = JSON.parse(r.stdout) as { provider_schemas: Record<string, { resource_schemas: object }> };
      // Same values AND same key order: stringify of the parsed documents compares both.
      assert.equal(JSON.stringify(JSON.parse(ours.stdout)), JSON.stringify(fromTerraform));
      assert.deepEqual(Object.keys(fromTerraform.provider_schemas), ["registry.terraform.io/otterscale/otterscale"]);
      assert.equal(Object.keys(fromTerraform.provider_schemas["registry.terraform.io/otterscale/otterscale"].resource_schemas).length, 6);
    } finally {
      await s.close();
    }
  });

  it("regenerating gives byte-identical files to the committed sdk/cdktf/generated (else run `npm run gen:cdktf`)", async () => {
    const tmp = tempDir("cdktf-fresh-");
    try {
      const out = path.join(tmp.dir, "generated");
      ok(await genCdktf(["--out", out]), "gen-cdktf --out");
      const committed = path.join(repoRoot(), "sdk", "cdktf", "generated");
      const want = files(out);
      assert.deepEqual(files(committed), want, "same file list");
      // cdktf 0.21's generator has no ephemeral-resource constructs: those stay HCL/Terraform only.
      assert.equal(want.length, 2 + RESOURCE_KINDS.length + DATA_SOURCE_KINDS.length, "index.ts + provider + a file per resource and data source");
      for (const f of want) {
        const fresh = readFileSync(path.join(out, f), "utf8");
        assert.ok(fresh === readFileSync(path.join(committed, f), "utf8"), `sdk/cdktf/generated/${f} is stale: run \`npm run gen:cdktf\``);
      }
    } finally {
      tmp.close();
    }
  });

  it("the generated provider construct declares source otterscale/otterscale and the ~> MAJOR.MINOR constraint", () => {
    const text = readFileSync(path.join(repoRoot(), "sdk", "cdktf", "generated", "provider", "index.ts"), "utf8");
    const [major, minor] = (JSON.parse(readFileSync(path.join(repoRoot(), "package.json"), "utf8")) as { version: string }).version.split(".");
    assert.match(text, /terraformProviderSource: 'otterscale\/otterscale'/);
    assert.ok(text.includes(`providerVersionConstraint: '~> ${major}.${minor}'`));
  });
});
