/**
 * `otterscale reconcile` reports objects changed on the backend (a hand-edited nodeSelector) and,
 * with --apply, re-applies the manifest rendered from the ledger; the ledger never moves.
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import type { Engine } from "../../provider/src/engine/engine";
import { seedEstate, testEngine, vm } from "../support/estate";
import { cli, cliJson } from "./cli-harness";

interface DecisionJson {
  finding: string;
  kind: string;
  id: string;
  state: string;
  action: string;
  reason: string;
  applied: boolean;
}

const HOST = "kubernetes.io/hostname";

describe("otterscale reconcile: objects changed on the backend", function () {
  this.timeout(120_000);
  let engine: Engine;
  let home: string;
  const file = (name: string) => path.join(home, "manifests", "acme", "virtual_machine", `${name}.yaml`);
  const hostOf = (name: string) => parse(readFileSync(file(name), "utf8")).spec.template.spec.nodeSelector[HOST];
  const moveByHand = (name: string, to: string) => {
    const doc = parse(readFileSync(file(name), "utf8"));
    doc.spec.template.spec.nodeSelector[HOST] = to;
    writeFileSync(file(name), stringify(doc));
  };
  const rows = () => engine.ledger.read(async (tx) => (await tx.list()).map((r) => `${r.kind} ${r.key} ${r.state} ${r.generation} ${JSON.stringify(r.computed.servers ?? [])}`));

  before(async () => {
    ({ engine, home } = await testEngine());
    await seedEstate(engine);
    await engine.create("virtual_machine", vm("web-1"));
    await engine.create("virtual_machine", vm("web-2", { user_data: "#cloud-config\n" }));
    await engine.close(); // the CLI is the only user from here on
    moveByHand("web-1", "s3");
    moveByHand("web-2", "s4");
  });

  it("a dry run lists each drifted VM with the changed value, exits 2 and changes nothing", async () => {
    const { engine: e } = await testEngine(home);
    engine = e;
    const before = await rows();
    await engine.close();
    const out = await cliJson<{ decisions: DecisionJson[] }>(["reconcile"], { home }, 2);
    assert.deepEqual(
      out.decisions.map((d) => [d.finding, d.kind, d.id, d.state, d.action, d.applied]),
      [
        ["drifted", "virtual_machine", "acme/web-1", "active", "re-apply", false],
        ["drifted", "virtual_machine", "acme/web-2", "active", "re-apply", false],
      ],
    );
    assert.match(out.decisions[0].reason, /spec\.template\.spec\.nodeSelector\["kubernetes\.io\/hostname"\]: rendered "s1", found "s3"/);
    const table = await cli(["reconcile"], { home });
    assert.match(table.stdout, /^drifted +virtual_machine +acme\/web-1 +active +re-apply +no +changed on the backend/m);
    assert.equal(hostOf("web-1"), "s3", "a dry run re-applies nothing");
    ({ engine } = await testEngine(home));
    assert.deepEqual(await rows(), before, "nor writes the ledger");
    await engine.close();
  });

  it("--apply re-applies what the ledger can render; one with user data is left to the front end", async () => {
    const out = await cliJson<{ decisions: DecisionJson[] }>(["reconcile", "--apply"], { home }, 2);
    assert.deepEqual(out.decisions.map((d) => [d.id, d.applied]), [["acme/web-1", true], ["acme/web-2", false]]);
    assert.match(out.decisions[1].reason, /sensitive inputs \(user_data\).*terraform apply/);
    assert.equal(hostOf("web-1"), "s1", "back to the ledger's placement");
    assert.equal(hostOf("web-2"), "s4");
    ({ engine } = await testEngine(home));
    const servers = await engine.ledger.read(async (tx) => (await tx.list({ kinds: ["virtual_machine"] })).map((r) => `${r.key} ${JSON.stringify(r.computed.servers)}`));
    assert.deepEqual(servers, ['acme/web-1 ["s1"]', 'acme/web-2 ["s1"]'], "the ledger never moved");
    await engine.close();
  });
});
