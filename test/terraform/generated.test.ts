/** Generated files must be current: docs/ (scripts/tf-gen-docs.js) and proto/tfplugin6.json. */
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./tf-harness";
import { testTempDir } from "../support/temp";

const root = repoRoot();
const distRoot = path.resolve(__dirname, "..", "..");

describe("terraform generated files are current", () => {
  it("docs/ matches `node scripts/tf-gen-docs.js`", () => {
    const { render } = require(path.join(root, "scripts", "tf-gen-docs.js")) as { render: (dist?: string) => Record<string, string> };
    const files = render(distRoot);
    assert.ok(Object.keys(files).length >= 9);
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(root, "docs", rel);
      assert.ok(existsSync(file), `docs/${rel} missing: run node scripts/tf-gen-docs.js`);
      assert.equal(readFileSync(file, "utf8"), content, `docs/${rel} is stale: run node scripts/tf-gen-docs.js`);
    }
  });

  it("proto/tfplugin6.json matches `node scripts/tf-gen-proto-json.js`", () => {
    const { render } = require(path.join(root, "scripts", "tf-gen-proto-json.js")) as { render: () => string };
    assert.equal(readFileSync(path.join(root, "proto", "tfplugin6.json"), "utf8"), render());
  });

  it("the filesystem mirror holds an executable that execs bin/terraform-provider-otterscale", () => {
    const { buildMirror } = require(path.join(root, "scripts", "tf-mirror.js")) as { buildMirror: (dir: string, v?: string, target?: string) => string };
    const dir = testTempDir("mirror-");
    const exe = buildMirror(dir, "0.1.0", "linux_amd64");
    assert.equal(path.relative(dir, exe), "registry.terraform.io/otterscale/otterscale/0.1.0/linux_amd64/terraform-provider-otterscale_v0.1.0");
    assert.match(readFileSync(exe, "utf8"), new RegExp(`exec "${path.join(root, "bin", "terraform-provider-otterscale").replace(/[/.]/g, "\\$&")}" "\\$@"`));
  });
});
