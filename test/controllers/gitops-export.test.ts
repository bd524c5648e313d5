/**
 * `otterscale export` input checks: bad input names the field and writes nothing; a good input
 * lands in the gitops layout (fileOf) with the gitops text (manifestToYaml).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { exportManifests, manifestToYaml } from "../../provider/src/controllers/gitops";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { testTempDir } from "../support/temp";

const vmDoc = JSON.stringify({ apiVersion: "kubevirt.io/v1", kind: "VirtualMachine", metadata: { name: "web-1", namespace: "acme" }, spec: { runStrategy: "Always" } });

const invalidAt = (p: string) => (e: unknown) => OtterscaleError.isInstance(e) && e.code === "invalid_input" && e.problems.some((x) => x.path === p);

describe("controllers/gitops export", () => {
  it("writes each object at its gitops path with the gitops text", async () => {
    const root = testTempDir("export-");
    const { written } = await exportManifests(root, { virtual_machine: { "acme/web-1": [vmDoc] }, vcluster: null });
    assert.deepEqual(written.map((f) => path.relative(root, f.file)), ["acme/virtual_machine/web-1.yaml"]);
    assert.equal(fs.readFileSync(path.join(root, "acme/virtual_machine/web-1.yaml"), "utf8"), manifestToYaml(JSON.parse(vmDoc)));
  });

  const bad: Array<[string, unknown, string]> = [
    ["not an object", [vmDoc], "(input)"],
    ["unknown kind", { virtual_machines: {} }, "virtual_machines"],
    ["not a list", { virtual_machine: { "acme/web-1": vmDoc } }, "virtual_machine.acme/web-1"],
    ["not JSON", { virtual_machine: { "acme/web-1": ["{"] } }, "virtual_machine.acme/web-1[0]"],
    ["not a Kubernetes object", { virtual_machine: { "acme/web-1": ['{"kind":"X"}'] } }, "virtual_machine.acme/web-1[0]"],
    ["an id outside the layout", { virtual_machine: { "../etc": [vmDoc] } }, "id"],
  ];
  for (const [what, input, field] of bad) {
    it(`${what}: an invalid_input naming ${field}, and nothing written`, async () => {
      const root = testTempDir("export-bad-");
      const good = { block_pool: { "acme/data": [JSON.stringify({ apiVersion: "ceph.rook.io/v1", kind: "CephBlockPool", metadata: { name: "data" } })] } };
      await assert.rejects(exportManifests(root, Array.isArray(input) ? input : { ...good, ...(input as object) }), invalidAt(field));
      assert.deepEqual(fs.readdirSync(root), []);
    });
  }
});
