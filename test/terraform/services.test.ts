/**
 * The gRPC codecs of services.ts. Their protobuf types resolve lazily, on a type's first use:
 * every method's messages, and fields that name types in other namespaces or nested ones
 * (google.protobuf.Timestamp, AttributePath.Step, map values), must still encode and decode.
 */
import { strict as assert } from "node:assert";
import { methodNames, serviceDefinition } from "../../provider/src/terraform/services";

const SERVICES = ["tfplugin6.Provider", "plugin.GRPCController", "grpc.health.v1.Health"];

describe("terraform gRPC service codecs", () => {
  it("every method of every service encodes and decodes its request and response", () => {
    let methods = 0;
    for (const service of SERVICES) {
      const def = serviceDefinition(service);
      assert.deepEqual(Object.keys(def).sort(), methodNames(service).sort());
      for (const [name, m] of Object.entries(def)) {
        assert.equal(m.path, `/${service}/${name}`);
        assert.deepEqual(m.requestDeserialize(m.requestSerialize({})), {}, `${name} request`);
        assert.deepEqual(m.responseDeserialize(m.responseSerialize({})), {}, `${name} response`);
        methods++;
      }
    }
    assert.equal(methods, methodNames("tfplugin6.Provider").length + 2);
  });

  it("nested, cross-namespace and map-valued types round-trip with .proto field names", () => {
    const p = serviceDefinition("tfplugin6.Provider");
    const diagnostics = [{ severity: 1, summary: "s", detail: "d", attribute: { steps: [{ attribute_name: "a" }, { element_key_int: 3 }, { element_key_string: "k" }] } }];
    const read = { new_state: { msgpack: Buffer.from([0x81, 0xa1, 0x61, 0x01]) }, private: Buffer.from("{}"), diagnostics };
    // A oneof member comes back with the oneof's name pointing at it (conversion option `oneofs`).
    const steps = [{ attribute_name: "a", selector: "attribute_name" }, { element_key_int: 3, selector: "element_key_int" }, { element_key_string: "k", selector: "element_key_string" }];
    assert.deepEqual(p.ReadResource.responseDeserialize(p.ReadResource.responseSerialize(read)), { ...read, diagnostics: [{ ...diagnostics[0], attribute: { steps } }] });

    const opened = { renew_at: { seconds: 1_700_000_000, nanos: 5 }, result: { msgpack: Buffer.from([0xc0]) }, private: Buffer.from("p"), diagnostics: [] };
    const got = p.OpenEphemeralResource.responseDeserialize(p.OpenEphemeralResource.responseSerialize(opened)) as Record<string, unknown>;
    assert.deepEqual(got.renew_at, opened.renew_at);
    assert.deepEqual(got.private, opened.private);

    const schema = { resource_schemas: { t: { version: 2, block: { attributes: [{ name: "x", type: Buffer.from('"string"'), required: true, nested_type: { attributes: [{ name: "y", type: Buffer.from('"number"') }], nesting: 2 } }] } } } };
    const back = p.GetProviderSchema.responseDeserialize(p.GetProviderSchema.responseSerialize(schema)) as typeof schema;
    assert.equal(back.resource_schemas.t.version, 2);
    assert.equal(back.resource_schemas.t.block.attributes[0].nested_type.attributes[0].name, "y");
    assert.equal(back.resource_schemas.t.block.attributes[0].nested_type.nesting, 2);
  });
});
