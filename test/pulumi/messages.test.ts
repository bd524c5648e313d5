/**
 * Messages per front end (issue 18, item 4): the Pulumi edge rewords engine messages (camelCase
 * attributes, Pulumi remedies) without deciding anything, prints each error once, and names a
 * too old Node.js instead of failing on a missing built-in module.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { edgeError, pulumiMessage, PulumiEdgeError } from "../../sdk/pulumi/messages";
import { MIN_NODE_MAJOR, requireSupportedNode } from "../../sdk/pulumi/node-version";
import { tempDir } from "./support";

describe("pulumi: messages in Pulumi's words", () => {
  // [engine message, code, what a Pulumi user reads]
  const cases: [string, string | undefined, string][] = [
    [
      "quota exceeded for tenant acme in group g: cpu_cores requested 6, used 8, limit 10; virtual_machines requested 1, used 5, limit 5",
      "quota_exceeded",
      "quota exceeded for tenant acme in group g: cpuCores requested 6, used 8, limit 10; virtualMachines requested 1, used 5, limit 5",
    ],
    [
      'virtual_machine acme/web already exists with a different configuration; import it (ID "acme/web", format tenant/name) or choose another name',
      "already_exists",
      "virtual_machine acme/web already exists with a different configuration; set `adopt: true` on the resource to take it over (see the README), or choose another name",
    ],
    [
      "block pool acme/db has deletion_protection = true; set it to false and apply before destroying",
      "protected",
      "block pool acme/db has deletionProtection = true; set deletionProtection to false and run `pulumi up` before destroying",
    ],
    [
      'virtual_machine acme/web belongs to pulumi:p/prod#web, so pulumi:p/dev#web cannot create it. Choose another name, or take it over on purpose: terraform import (ID "acme/web", format tenant/name) or Pulumi `adopt: true`; the transfer is recorded in the audit log',
      "owned",
      "virtual_machine acme/web belongs to pulumi:p/prod#web, so pulumi:p/dev#web cannot create it. Choose another name, or take it over on purpose: set `adopt: true` on the resource; the transfer is recorded in the audit log",
    ],
    [
      "block_pool acme/db belongs to tf:ws-1, so pulumi:p/dev#db cannot delete it. Only its owner changes or deletes it; to take it over on purpose, import it (Terraform) or adopt it (Pulumi `adopt: true`)",
      "owned",
      "block_pool acme/db belongs to tf:ws-1, so pulumi:p/dev#db cannot delete it. Only its owner changes or deletes it; to take it over on purpose, set `adopt: true` on the resource",
    ],
    // nested attribute paths, each segment renamed; map keys, values and kinds left alone
    ["placement.spread_domain: only applies together with placement.anti_affinity_group", "invalid_input", "placement.spreadDomain: only applies together with placement.antiAffinityGroup"],
    ["labels.node_type: must be a string (got 1)", "invalid_input", "labels.node_type: must be a string (got 1)"],
    ["cannot place virtual_machine acme/web-1: no server with 4 free gpus", "unplaceable", "cannot place virtual_machine acme/web-1: no server with 4 free gpus"],
    // a remedy is only reworded under its own code
    ["set it to false and apply before destroying", "in_use", "set it to false and apply before destroying"],
    ["no ledger at sqlite:///x.db: ... or fix ledger_url / OTTERSCALE_LEDGER_URL / OTTERSCALE_HOME if it is a typo", "config", "no ledger at sqlite:///x.db: ... or fix otterscale:ledgerUrl / OTTERSCALE_LEDGER_URL / OTTERSCALE_HOME if it is a typo"],
  ];
  for (const [engine, code, pulumi] of cases) {
    it(`${code}: ${engine.slice(0, 60)}...`, () => assert.equal(pulumiMessage(engine, code), pulumi));
  }

  it("an edge error prints once where the host logs `${e}: ${e.stack}`, and keeps its message for gRPC", () => {
    const engine = new OtterscaleError("protected", "block pool acme/db has deletion_protection = true; set it to false and apply before destroying");
    const said = "block pool acme/db has deletionProtection = true; set deletionProtection to false and run `pulumi up` before destroying";
    const e = edgeError(engine);
    assert.equal(e.message, said);
    // In a program (here): an Error like any other, without a stack trace.
    assert.deepEqual([String(e), e.stack], [`Error: ${said}`, said]);
    // In the dynamic-provider host: its log line, once.
    const inHost = new PulumiEdgeError(said, engine.code, true);
    assert.equal(`${inHost}: ${inHost.stack}`, `otterscale-iac: ${said}`);
    // Anything else passes unchanged (a bug keeps its stack).
    const bug = new TypeError("x is undefined");
    assert.equal(edgeError(bug), bug);
  });
});

describe("pulumi: too old a Node.js is named", () => {
  it("requireSupportedNode names the version found and the one needed; package.json engines agrees", () => {
    assert.throws(() => requireSupportedNode("20.19.1"), (e: OtterscaleError) => e.code === "config" && e.message.startsWith("otterscale-iac needs Node.js >= 22 (found 20.19.1)"));
    assert.doesNotThrow(() => requireSupportedNode("22.13.0"));
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "package.json"), "utf8")) as { engines: { node: string } };
    assert.equal(pkg.engines.node, `>=${MIN_NODE_MAJOR}`);
  });

  it("the Pulumi runtime on the machine's Node 20 says so instead of `No such built-in module: node:sqlite`", () => {
    // The system Node of these machines (the DESIGN's runtime section): first `node` on PATH
    // outside node_modules, which must be older than 22 for this test to mean anything.
    const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !d.includes("node_modules"));
    const versionOf = (node: string) => spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim();
    const old = dirs.map((d) => path.join(d, "node")).find((p) => fs.existsSync(p) && Number(versionOf(p).split(".")[0]) < MIN_NODE_MAJOR);
    assert.ok(old, `no Node.js older than ${MIN_NODE_MAJOR} on PATH (${dirs.join(", ")}): this test needs one`);
    const home = tempDir("pulumi-node20-");
    const runtime = path.resolve(__dirname, "..", "..", "sdk", "pulumi", "runtime.js");
    // What the dynamic-provider host does first: check a resource, which opens the engine. The
    // ledger may be created, so without the version check node:sqlite would be the one to fail.
    const script = `require(${JSON.stringify(runtime)}).check("server", {}, { name: "s1", cpuCores: 1, memoryGib: 1, storageGib: 1 }, { ledgerUrl: "sqlite://${home}/ledger.db" })
      .then(() => console.log("no error"), (e) => console.log(e.message))`;
    const r = spawnSync(old!, ["-e", script], { encoding: "utf8", env: { ...process.env, OTTERSCALE_LEDGER_CREATE: "1", OTTERSCALE_HOME: home } });
    assert.ok(r.stdout.startsWith(`otterscale-iac needs Node.js >= 22 (found ${versionOf(old!)}). `), r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /node:sqlite/);
  });
});
