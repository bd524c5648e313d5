import assert from "node:assert/strict";
import { RESOURCE_KINDS, schemaOf, type SchemaNode } from "../../provider/src/catalog/catalog";
import { attributeName, camelPath, camelToSnake, snakeToCamel, toSpelling } from "../../sdk/pulumi/names";
import { diff, toOutputs } from "../../sdk/pulumi/runtime";
import { secretOutputsOf } from "../../sdk/pulumi/resources";

describe("pulumi: camelCase <-> snake_case along the schema", () => {
  it("renames attributes at every depth and leaves map keys alone", () => {
    const camel = { name: "s1", cpuCores: 4, labels: { node_type: "gpu", "topology.kubernetes.io/zone": "a" }, gpus: [{ model: "a100", count: 2 }], bmc: { powerType: "ipmi", address: "10.0.0.1" } };
    const snake = toSpelling(camel, schemaOf("server"), "snake");
    assert.deepEqual(snake, { name: "s1", cpu_cores: 4, labels: { node_type: "gpu", "topology.kubernetes.io/zone": "a" }, gpus: [{ model: "a100", count: 2 }], bmc: { power_type: "ipmi", address: "10.0.0.1" } });
    assert.deepEqual(toSpelling(snake, schemaOf("server"), "camel"), camel);
  });

  it("unknown attributes are converted by spelling, so the validator can name them", () => {
    assert.deepEqual(toSpelling({ cpuCore: 1 }, schemaOf("virtual_machine"), "snake"), { cpu_core: 1 });
    assert.equal(camelPath("cpu_core", schemaOf("virtual_machine")), "cpuCore");
  });

  it("paths: nested attributes, array indexes and map keys", () => {
    const table: [string, string][] = [
      ["placement.spread_domain", "placement.spreadDomain"],
      ["erasure_coded.data_chunks", "erasureCoded.dataChunks"],
      ["", ""],
    ];
    for (const [snake, camel] of table) assert.equal(camelPath(snake, schemaOf(snake.startsWith("erasure") ? "block_pool" : "virtual_machine")), camel);
    assert.equal(camelPath("gpus.0.model", schemaOf("server")), "gpus.0.model");
    assert.equal(camelPath("labels.node_type", schemaOf("server")), "labels.node_type");
    assert.deepEqual([snakeToCamel("max_virtual_machines"), camelToSnake("maxVirtualMachines")], ["maxVirtualMachines", "max_virtual_machines"]);
  });

  it("outputs drop the id and nulls; secret outputs come from the schema's x-sensitive", () => {
    assert.deepEqual(toOutputs("virtual_machine", { id: "a/b", name: "b", server: null, cpu_cores: 2 }), { name: "b", cpuCores: 2 });
    assert.deepEqual(
      ["server", "virtual_machine", "vcluster", "block_pool"].map((k) => secretOutputsOf(k as never)),
      [["bmc"], ["userData"], ["kubeconfig"], []],
    );
  });

  it("diff: defaults, set order and computed outputs never make a diff; unknown force-new values replace", () => {
    const olds = { name: "v", tenant: "t", group: "g", cpuCores: 2, memoryGib: 1, diskGib: 1, gpuCount: 0, runStrategy: "Always", server: "s1", status: "Running", maintainers: ["user:b", "user:a"] };
    const news = { name: "v", tenant: "t", group: "g", cpuCores: 2, memoryGib: 1, diskGib: 1, maintainers: ["user:a", "user:b"], __provider: "x" };
    assert.deepEqual(diff("virtual_machine", olds, news), { changes: false, replaces: [], deleteBeforeReplace: false });
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    assert.deepEqual(diff("virtual_machine", olds, { ...news, group: unknown }), { changes: true, replaces: ["group"], deleteBeforeReplace: false });
    assert.deepEqual(diff("virtual_machine", olds, { ...news, runStrategy: "Halted" }), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("attribute look-ups (indexed per schema node) name what a scan of the properties in declaration order names", () => {
    // The scan the index replaces: the first property whose own or camelCase name is the key.
    const scan = (node: SchemaNode, key: string, to: "camel" | "snake") => {
      const own = Object.keys(node.properties!).find((p) => p === key || snakeToCamel(p) === key);
      return own ? (to === "camel" ? snakeToCamel(own) : own) : to === "camel" ? snakeToCamel(key) : camelToSnake(key);
    };
    let checked = 0;
    const walk = (node: SchemaNode | undefined) => {
      if (!node) return;
      if (node.items) walk(node.items);
      if (!node.properties) return;
      for (const [p, child] of Object.entries(node.properties)) {
        for (const key of [p, snakeToCamel(p), camelToSnake(p), `${p}_x`, p.toUpperCase()]) {
          for (const to of ["camel", "snake"] as const) {
            assert.equal(attributeName(node, key, to), scan(node, key, to), `${key} -> ${to}`);
            checked++;
          }
        }
        walk(child);
      }
    };
    for (const kind of RESOURCE_KINDS) walk(schemaOf(kind));
    assert.ok(checked > 500, `only ${checked} look-ups checked`);
  });
});
