/**
 * The migration path off CDKTF (archived upstream): HCL synth of the example (`cdktf synth --hcl`,
 * i.e. SYNTH_HCL_OUTPUT=true) is plain Terraform that the real terraform installs (filesystem
 * mirror) and plans as the same 16 resources. Guards the gen-cdktf fix that writes protocol-6
 * nested attributes (`placement`, `gpus`, `selector`, `erasure_coded`, `bmc`) as attributes
 * rather than blocks.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ok, repoRoot, synthExampleHcl, tempDir, terraformEnv } from "./cdktf-harness";

describe("cdktf HCL synth is plain Terraform (migration path)", function () {
  this.timeout(120_000);

  it("renders nested attributes with `=` and terraform plans the whole estate", async () => {
    const tmp = tempDir("cdktf-hcl-");
    try {
      const hcl = await synthExampleHcl(tmp.dir, path.join(tmp.dir, "cdktf.out"));
      assert.match(hcl, /^placement = \{\nanti_affinity_group = "web"\nspread_domain = "server"\n\}$/m);
      assert.match(hcl, /^erasure_coded = \{\ncoding_chunks = 1\ndata_chunks = 2\n\}$/m);
      assert.match(hcl, /^gpus = \[\n\{\ncount = 4\nmodel = "a100"\n\},\n\]$/m);
      assert.match(hcl, /^selector = \{\nregions = \[/m);
      assert.match(hcl, /^timeouts \{\ncreate = "10m"\n\}$/m, "timeouts stays a block");

      const work = path.join(tmp.dir, "plain");
      mkdirSync(work);
      writeFileSync(path.join(work, "main.tf"), hcl);
      const { buildMirror } = require(path.join(repoRoot(), "scripts", "tf-mirror.js")) as { buildMirror(dir: string): string };
      buildMirror(path.join(tmp.dir, "mirror"));
      const te = terraformEnv(tmp.dir);
      ok(await te.tf(work, ["init", `-plugin-dir=${path.join(tmp.dir, "mirror")}`]), "terraform init");
      const plan = ok(await te.tf(work, ["plan"]), "terraform plan");
      assert.match(plan.stdout, /Plan: 16 to add, 0 to change, 0 to destroy\./);
    } finally {
      tmp.close();
    }
  });
});
