/**
 * The Terraform-only argument rules as pure functions: write-only folding (write-only.ts) and
 * import stand-ins for hashed secrets (hashed.ts). The real-terraform behaviour is in
 * write-only.e2e.test.ts and import-hashed.e2e.test.ts.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { capabilityDiagnostics, dropTerraformOnly, foldForValidation, withWriteOnlyValues } from "../../provider/src/terraform/write-only";
import { matchStandIns, withConfiguredSecrets, withStandIns } from "../../provider/src/terraform/hashed";
import { schemaOf, terraformSchemaOf, writeOnlyArguments } from "../../provider/src/catalog/catalog";
import { resourceSpec } from "../../provider/src/terraform/schema";

const sha = (t: string) => createHash("sha256").update(t, "utf8").digest("hex");

describe("terraform write-only arguments and import stand-ins (pure)", () => {
  it("the catalog pairs each write-only argument with its target and version, at any depth", () => {
    assert.deepEqual(writeOnlyArguments("virtual_machine"), [{ parent: "", name: "user_data_wo", target: "user_data", version: "user_data_wo_version" }]);
    assert.deepEqual(writeOnlyArguments("server"), [{ parent: "bmc", name: "password_wo", target: "password", version: "password_wo_version" }]);
    assert.ok(!("user_data_wo" in (schemaOf("virtual_machine").properties ?? {})), "the engine's schema has no Terraform-only attribute");
    assert.ok("user_data_wo" in (terraformSchemaOf("virtual_machine").properties ?? {}));
    const wo = resourceSpec("otterscale_virtual_machine")!.attributes.find((a) => a.name === "user_data_wo")!;
    assert.equal(wo.writeOnly, true);
  });

  it("validation sees the write-only value as its target, problems named after what the user wrote", () => {
    const { input, diagnostics, rename } = foldForValidation("server", { name: "s", bmc: { address: "a", password_wo: "x", password_wo_version: 1 } });
    assert.deepEqual(input, { name: "s", bmc: { address: "a", password: "x" } });
    assert.deepEqual(diagnostics, []);
    assert.equal(rename("bmc.password"), "bmc.password_wo");
    const both = foldForValidation("virtual_machine", { user_data: "a", user_data_wo: "b" });
    assert.match(both.diagnostics[0].detail, /user_data and user_data_wo cannot both be set/);
    const versionOnly = foldForValidation("virtual_machine", { user_data_wo_version: 2 });
    assert.deepEqual(versionOnly.diagnostics[0].path, ["user_data_wo_version"]);
    assert.deepEqual(foldForValidation("virtual_machine", { user_data_wo_version: 2 }, ["user_data_wo"]).diagnostics, [], "an unknown value counts as set");
  });

  it("engine arguments never carry Terraform-only names; apply hands the configured value over", () => {
    const args = dropTerraformOnly("server", { name: "s", bmc: { address: "a", password_wo_version: 3 } });
    assert.deepEqual(args, { name: "s", bmc: { address: "a" } });
    assert.deepEqual(withWriteOnlyValues("server", args, { bmc: { password_wo: "pw" } }), { name: "s", bmc: { address: "a", password: "pw" } });
  });

  it("Terraform before 1.11 (no write_only_attributes_allowed) is refused when a write-only value is set", () => {
    assert.equal(capabilityDiagnostics("virtual_machine", { user_data_wo: "x" }, undefined).length, 1);
    assert.equal(capabilityDiagnostics("virtual_machine", { user_data_wo: "x" }, { write_only_attributes_allowed: true }).length, 0);
    assert.equal(capabilityDiagnostics("virtual_machine", { user_data: "x" }, undefined).length, 0);
  });

  it("an import stores stand-ins; only the same secret keeps them; apply swaps them for the configured value", () => {
    const imported = withStandIns("server", { name: "s", bmc: { address: "a", password: null } }, { "bmc.password": sha("pw") });
    assert.deepEqual(imported, { name: "s", bmc: { address: "a", password: `sha256:${sha("pw")}` } });
    const same = matchStandIns("server", imported, { name: "s", bmc: { address: "a", password: "pw" } });
    assert.deepEqual(same, imported);
    const other = matchStandIns("server", imported, { name: "s", bmc: { address: "a", password: "new" } });
    assert.equal((other as { bmc: { password: string } }).bmc.password, "new");
    assert.deepEqual(withConfiguredSecrets("server", { name: "s", bmc: { address: "a", password: `sha256:${sha("pw")}` } }, { bmc: { password: "pw" } }), { name: "s", bmc: { address: "a", password: "pw" } });
  });
});
