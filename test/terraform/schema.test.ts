import { strict as assert } from "node:assert";
import { forceNewAttributes, RESOURCE_KINDS, typeNameOf } from "../../provider/src/catalog/catalog";
import { providerSpec, resourceSpec, dataSourceSpec, type AttributeSpec, type ObjectSpec } from "../../provider/src/terraform/schema";
import { schemaToProto } from "../../provider/src/terraform/to-proto";

const attr = (spec: ObjectSpec | undefined, ...path: string[]): AttributeSpec => {
  let attrs = spec!.attributes;
  let found: AttributeSpec | undefined;
  for (const p of path) {
    found = attrs.find((a) => a.name === p);
    assert.ok(found, `attribute ${path.join(".")}`);
    attrs = found.nested?.attributes ?? [];
  }
  return found!;
};
const flags = (a: AttributeSpec) => [a.required && "required", a.optional && "optional", a.computed && "computed", a.sensitive && "sensitive"].filter(Boolean).join("+");

describe("terraform/schema derived from the catalog", () => {
  const server = resourceSpec("otterscale_server");
  const vm = resourceSpec("otterscale_virtual_machine");

  const table: [string, string[], string, unknown][] = [
    // [type, path, flags, type JSON]
    ["otterscale_server", ["name"], "required", "string"],
    ["otterscale_server", ["cpu_cores"], "required", "number"],
    ["otterscale_server", ["labels"], "optional", ["map", "string"]],
    ["otterscale_server", ["maintainers"], "optional", ["set", "string"]],
    ["otterscale_server", ["cpu_allocation_ratio"], "optional+computed", "number"],
    ["otterscale_server", ["maintenance"], "optional+computed", "bool"],
    ["otterscale_server", ["allocated_gpus"], "computed", "number"],
    ["otterscale_server", ["bmc", "password"], "optional+sensitive", "string"],
    ["otterscale_server", ["bmc", "address"], "required", "string"],
    ["otterscale_server", ["bmc", "power_type"], "optional+computed", "string"],
    ["otterscale_server", ["gpus", "count"], "required", "number"],
    ["otterscale_virtual_machine", ["user_data"], "optional+sensitive", "string"],
    ["otterscale_virtual_machine", ["server"], "computed", "string"],
    ["otterscale_virtual_machine", ["placement", "racks"], "optional", ["set", "string"]],
    ["otterscale_vcluster", ["kubeconfig"], "computed+sensitive", "string"],
    ["otterscale_vcluster", ["servers"], "computed", ["list", "string"]],
    ["otterscale_baremetal_group", ["selector", "labels"], "optional", ["map", "string"]],
    ["otterscale_block_pool", ["replicas"], "optional", "number"],
  ];
  for (const [type, path, want, t] of table) {
    it(`${type}.${path.join(".")} is ${want} ${JSON.stringify(t)}`, () => {
      const a = attr(resourceSpec(type), ...path);
      assert.equal(flags(a), want);
      assert.deepEqual(a.type, t);
    });
  }

  it("objects become nested attributes: bmc SINGLE, gpus LIST, selector SINGLE", () => {
    assert.equal(attr(server, "bmc").nested?.nesting, "single");
    assert.equal(attr(server, "gpus").nested?.nesting, "list");
    assert.deepEqual(attr(server, "gpus").type, ["list", ["object", { model: "string", count: "number" }]]);
    assert.equal(attr(resourceSpec("otterscale_baremetal_group"), "selector").nested?.nesting, "single");
    assert.equal(attr(vm, "placement").nested?.attributes.length, 6);
  });

  it("defaults are carried for plan time", () => {
    assert.equal(attr(vm, "run_strategy").default, "Always");
    assert.equal(attr(server, "bmc", "power_type").default, "ipmi");
    assert.equal(attr(resourceSpec("otterscale_block_pool"), "deletion_protection").default, true);
  });

  for (const kind of RESOURCE_KINDS) {
    it(`${typeNameOf(kind)}: forceNew attributes match catalog.forceNewAttributes and it has a timeouts block`, () => {
      const spec = resourceSpec(typeNameOf(kind))!;
      assert.deepEqual(spec.attributes.filter((a) => a.forceNew).map((a) => a.name), forceNewAttributes(kind));
      assert.deepEqual(spec.blocks.map((b) => [b.name, b.attributes.map((a) => a.name)]), [["timeouts", ["create", "update", "delete"]]]);
      assert.equal(flags(attr(spec, "id")), "computed");
    });
  }

  it("provider config and data sources", () => {
    assert.equal(flags(attr(providerSpec(), "ledger_url")), "optional+sensitive");
    assert.equal(flags(attr(providerSpec(), "controller_url")), "optional");
    const usage = dataSourceSpec("otterscale_tenant_usage")!;
    assert.equal(flags(attr(usage, "tenant")), "required");
    assert.equal(flags(attr(usage, "used_cpu_cores")), "computed");
    assert.equal(usage.blocks.length, 0);
    assert.equal(flags(attr(dataSourceSpec("otterscale_group_capacity"), "free_gpus")), "computed");
  });

  it("converts to tfplugin6.Schema: nested_type for objects, JSON type bytes for the rest", () => {
    const proto = schemaToProto(server!) as { block: { attributes: Record<string, unknown>[]; block_types: Record<string, unknown>[] } };
    const bmc = proto.block.attributes.find((a) => a.name === "bmc")!;
    assert.equal(bmc.type, undefined);
    const nested = bmc.nested_type as { nesting: number; attributes: Record<string, unknown>[] };
    assert.equal(nested.nesting, 1); // SINGLE
    assert.equal(nested.attributes.find((a) => a.name === "password")!.sensitive, true);
    assert.equal((proto.block.attributes.find((a) => a.name === "gpus")!.nested_type as { nesting: number }).nesting, 2); // LIST
    assert.equal(Buffer.from(proto.block.attributes.find((a) => a.name === "labels")!.type as Buffer).toString(), '["map","string"]');
    assert.equal(proto.block.block_types[0].type_name, "timeouts");
    assert.equal(proto.block.block_types[0].nesting, 1);
  });
});
