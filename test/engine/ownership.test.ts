/**
 * One owner per object. Two workspaces (or stacks) on one ledger: a create of an object another
 * owner holds is not a retry, nor is its update or delete; a plan says so at review time; an
 * import takes it over on purpose (audited), after which the old owner sees it as gone and can
 * no longer touch it. Callers that name no owner (the operator CLI) are not checked.
 */
import assert from "node:assert/strict";
import { rejects, seedEstate, testEngine, vm } from "../support/estate";
import type { Engine } from "../../provider/src/engine/engine";

const A = { owner: "terraform:team-a" };
const B = { owner: "pulumi:shop/prod" };

describe("ownership: no silent takeovers between workspaces and stacks", () => {
  let engine: Engine;
  beforeEach(async () => {
    ({ engine } = await testEngine());
    await seedEstate(engine);
    await engine.create("virtual_machine", vm("web"), A);
  });
  afterEach(() => engine.close());

  it("a create by another owner is refused naming the owner; the owner's own retry is fine", async () => {
    const audit = (await engine.ledger.audit()).length;
    const err = await rejects(engine.create("virtual_machine", vm("web"), B));
    assert.equal(err.code, "owned");
    assert.match(err.message, /virtual_machine acme\/web belongs to terraform:team-a, so pulumi:shop\/prod cannot create it/);
    assert.match(err.message, /terraform import .* or Pulumi `adopt: true`/);
    assert.deepEqual(err.problems.map((p) => p.path), ["name"]);
    assert.equal((await engine.ledger.audit()).length, audit, "nothing written");
    await engine.create("virtual_machine", vm("web"), A); // a retry by its owner
    const row = await engine.ledger.read((tx) => tx.get("virtual_machine", "acme/web"));
    assert.equal(row!.owner, "terraform:team-a");
  });

  it("update and delete by another owner are refused; reads by another owner see it as gone", async () => {
    assert.equal((await rejects(engine.update("virtual_machine", "acme/web", vm("web", { cpu_cores: 4 }), B))).code, "owned");
    const del = await rejects(engine.delete("virtual_machine", "acme/web", B));
    assert.equal(del.code, "owned");
    assert.match(del.message, /belongs to terraform:team-a/);
    assert.equal(await engine.read("virtual_machine", "acme/web", B), undefined);
    assert.equal((await engine.read("virtual_machine", "acme/web", A))!.name, "web");
    assert.equal((await engine.read("virtual_machine", "acme/web"))!.name, "web", "the operator CLI sees everything");
  });

  it("a plan by another owner fails at review time, naming the owner", async () => {
    const r = await engine.plan([{ action: "create", kind: "virtual_machine", args: vm("web"), address: "vm.web", owner: B.owner }]);
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code, d.address]), [["error", "owned", "vm.web"]]);
    assert.match(r.diagnostics[0].detail, /belongs to terraform:team-a/);
    const del = await engine.plan([{ action: "delete", kind: "virtual_machine", id: "acme/web", address: "vm.web", owner: B.owner }]);
    assert.equal(del.diagnostics[0]?.code, "owned");
    const mine = await engine.plan([{ action: "create", kind: "virtual_machine", args: vm("web"), address: "vm.web", owner: A.owner }]);
    assert.deepEqual(mine.diagnostics, []);
  });

  it("an import writes nothing; the update that follows takes it over on purpose, audited; the old owner then sees it gone", async () => {
    const audit = (await engine.ledger.audit()).length;
    await engine.import("virtual_machine", "acme/web");
    assert.equal((await engine.ledger.audit()).length, audit, "an import (Terraform runs them during plan) writes nothing");
    assert.equal(await engine.ownerOf("virtual_machine", "acme/web"), "terraform:team-a");
    await engine.update("virtual_machine", "acme/web", vm("web"), { ...B, takeover: true });
    const takeover = (await engine.ledger.audit()).filter((e) => e.op === "takeover");
    assert.deepEqual(takeover.map((e) => [e.key, e.delta]), [["acme/web", { from: "terraform:team-a", to: "pulumi:shop/prod" }]]);
    assert.equal(await engine.read("virtual_machine", "acme/web", A), undefined, "gone from the old owner's view");
    assert.equal((await rejects(engine.delete("virtual_machine", "acme/web", A))).code, "owned");
    await engine.update("virtual_machine", "acme/web", vm("web", { cpu_cores: 4 }), B);
    assert.equal((await engine.read("virtual_machine", "acme/web", B))!.cpu_cores, 4);
  });

  it("an object recorded before owners belongs to the first owner that declares it again", async () => {
    await engine.create("virtual_machine", vm("legacy"));
    assert.equal((await engine.ledger.read((tx) => tx.get("virtual_machine", "acme/legacy")))!.owner, null);
    await engine.create("virtual_machine", vm("legacy"), B);
    assert.equal((await engine.ledger.read((tx) => tx.get("virtual_machine", "acme/legacy")))!.owner, "pulumi:shop/prod");
    assert.equal((await rejects(engine.create("virtual_machine", vm("legacy"), A))).code, "owned");
  });
});
