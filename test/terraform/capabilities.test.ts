/**
 * Server capabilities: get_provider_schema_optional lets Terraform answer the provider processes
 * it starts after the first (a plan starts three) from the schema it cached, instead of asking
 * each again; GetMetadata (what Terraform asks to avoid the full schema) says the same.
 */
import assert from "node:assert/strict";
import { ProviderServer } from "../../provider/src/terraform/provider-server";

describe("terraform provider: server capabilities", () => {
  const server = new ProviderServer(async () => {
    throw new Error("no engine needed for metadata and schema");
  });

  it("GetProviderSchema and GetMetadata both declare the schema optional, and plan_destroy", async () => {
    for (const res of [await server.GetProviderSchema(), await server.GetMetadata()]) {
      assert.deepEqual(res.server_capabilities, { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false });
      assert.deepEqual(res.diagnostics, []);
    }
  });

  it("GetMetadata lists every resource and data source the schema has", async () => {
    const schema = await server.GetProviderSchema();
    const meta = await server.GetMetadata();
    const names = (xs: unknown) => (xs as { type_name: string }[]).map((x) => x.type_name).sort();
    assert.deepEqual(names(meta.resources), Object.keys(schema.resource_schemas as object).sort());
    assert.deepEqual(names(meta.data_sources), Object.keys(schema.data_source_schemas as object).sort());
    assert.ok(names(meta.resources).includes("otterscale_virtual_machine"));
  });
});
