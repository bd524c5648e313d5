/** docs/manifests.md and docs/upstream.md match `node scripts/gen-manifest-docs.js` (renderers and SOURCES). */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "scripts", "gen-manifest-docs.js"))) return dir;
  }
  throw new Error("repository root not found");
}

describe("docs/manifests.md and docs/upstream.md", () => {
  it("are current (run node scripts/gen-manifest-docs.js after npm run build)", () => {
    const root = repoRoot();
    const { render } = require(path.join(root, "scripts", "gen-manifest-docs.js")) as { render: (dist?: string) => Record<string, string> };
    const files = render(path.join(__dirname, "..", ".."));
    assert.deepEqual(Object.keys(files).sort(), ["manifests.md", "upstream.md"]);
    for (const [rel, content] of Object.entries(files)) {
      assert.ok(content.includes("validated"), `${rel} says what it validates against`);
      assert.equal(readFileSync(path.join(root, "docs", rel), "utf8"), content, `docs/${rel} is stale: run node scripts/gen-manifest-docs.js`);
    }
  });
});
