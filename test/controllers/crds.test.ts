/**
 * deploy/crds describes what the renderers produce: a rendered ServerGroup (the record a
 * baremetal_group becomes) fits the CRD's group, version, kind and spec schema.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";
import { renderManifest } from "../../provider/src/controllers/render";
import { validateInput } from "../../provider/src/catalog/validate";

function repoFile(rel: string): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return path.join(dir, rel);
  }
  throw new Error(`${rel} not found above ${__dirname}`);
}

describe("deploy/crds", () => {
  it("the ServerGroup CRD accepts what the baremetal_group renderer writes", () => {
    const crd = parse(readFileSync(repoFile("deploy/crds/servergroups.inventory.otterscale.io.yaml"), "utf8"));
    const spec = validateInput<Record<string, unknown>>("baremetal_group", {
      name: "prod",
      description: "d",
      servers: ["a"],
      selector: { labels: { pool: "gpu" }, racks: ["r1"], zones: ["z"], regions: ["tw"] },
      placement_strategy: "spread",
    });
    const m = renderManifest({ kind: "baremetal_group", key: "prod", spec, placement: [], extras: { member_servers: ["a", "b"] } }) as unknown as {
      apiVersion: string;
      kind: string;
      spec: unknown;
    };
    const version = crd.spec.versions[0];
    assert.equal(m.apiVersion, `${crd.spec.group}/${version.name}`);
    assert.equal(m.kind, crd.spec.names.kind);
    const validate = new Ajv({ strict: false, allErrors: true }).compile({ ...version.schema.openAPIV3Schema.properties.spec, additionalProperties: false });
    assert.ok(validate(m.spec), JSON.stringify(validate.errors));
    assert.equal(validate({ placementStrategy: "random" }), false, "the schema is not a rubber stamp");
  });
});
