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
import { checkOwner, type OwnedAction } from "../../provider/src/engine/owners";
import type { LedgerRecord } from "../../provider/src/ledger/records";
import { missingLedger } from "../../provider/src/ledger/upgrade";
import { edgeError, pulumiMessage, PulumiEdgeError } from "../../sdk/pulumi/messages";
import { MIN_NODE_MAJOR, requireSupportedNode } from "../../sdk/pulumi/node-version";
import { tempDir } from "./support";

describe("pulumi: messages in Pulumi's words", () => {
  // [engine message (no remedy), what a Pulumi user reads]
  const cases: [string, string][] = [
    [
      "quota exceeded for tenant acme in group g: cpu_cores requested 6, used 8, limit 10; virtual_machines requested 1, used 5, limit 5",
      "quota exceeded for tenant acme in group g: cpuCores requested 6, used 8, limit 10; virtualMachines requested 1, used 5, limit 5",
    ],
    // nested attribute paths, each segment renamed; map keys, values and kinds left alone
    ["placement.spread_domain: only applies together with placement.anti_affinity_group", "placement.spreadDomain: only applies together with placement.antiAffinityGroup"],
    ["labels.node_type: must be a string (got 1)", "labels.node_type: must be a string (got 1)"],
    ["cannot place virtual_machine acme/web-1: no server with 4 free gpus", "cannot place virtual_machine acme/web-1: no server with 4 free gpus"],
    // remedy words are never matched in text: only an error's own Remedy is reworded
    ["set it to false and apply before destroying", "set it to false and apply before destroying"],
  ];
  for (const [engine, pulumi] of cases) {
    it(`${engine.slice(0, 60)}...`, () => assert.equal(pulumiMessage(engine), pulumi));
  }

  // Errors as the engine raises them (the real raisers), in each front end's words.
  const record = (kind: string, key: string, owner: string) => ({ kind, key, owner }) as unknown as LedgerRecord;
  const owned = (action: OwnedAction): OtterscaleError => {
    try {
      checkOwner(record(action === "create" ? "virtual_machine" : "block_pool", action === "create" ? "acme/web" : "acme/db", action === "create" ? "pulumi:p/prod#web" : "tf:ws-1"), action === "create" ? "pulumi:p/dev#web" : "pulumi:p/dev#db", action);
    } catch (e) {
      return e as OtterscaleError;
    }
    throw new Error("checkOwner did not refuse");
  };
  const remedied: [string, OtterscaleError, string, string][] = [
    [
      "already_exists",
      new OtterscaleError("already_exists", "virtual_machine acme/web already exists with a different configuration", [], {}, {
        terraform: 'import it (ID "acme/web", format tenant/name) or choose another name',
        pulumi: "set `adopt: true` on the resource to take it over (see the README), or choose another name",
      }),
      'virtual_machine acme/web already exists with a different configuration; import it (ID "acme/web", format tenant/name) or choose another name',
      "virtual_machine acme/web already exists with a different configuration; set `adopt: true` on the resource to take it over (see the README), or choose another name",
    ],
    [
      "owned create",
      owned("create"),
      'virtual_machine acme/web belongs to pulumi:p/prod#web, so pulumi:p/dev#web cannot create it. Choose another name, or take it over on purpose: terraform import (ID "acme/web", format tenant/name) or Pulumi `adopt: true`; the transfer is recorded in the audit log',
      "virtual_machine acme/web belongs to pulumi:p/prod#web, so pulumi:p/dev#web cannot create it. Choose another name, or take it over on purpose: set `adopt: true` on the resource; the transfer is recorded in the audit log",
    ],
    [
      "owned delete",
      owned("delete"),
      "block_pool acme/db belongs to tf:ws-1, so pulumi:p/dev#db cannot delete it. Only its owner changes or deletes it; to take it over on purpose, import it (Terraform) or adopt it (Pulumi `adopt: true`)",
      "block_pool acme/db belongs to tf:ws-1, so pulumi:p/dev#db cannot delete it. Only its owner changes or deletes it; to take it over on purpose, set `adopt: true` on the resource",
    ],
    [
      "missing ledger",
      missingLedger("sqlite:///x.db", "the file /x.db does not exist"),
      "no ledger at sqlite:///x.db: the file /x.db does not exist, so this ledger does not exist. Create it with `otterscale ledger init --ledger-url sqlite:///x.db` or set OTTERSCALE_LEDGER_CREATE=1; or fix ledger_url / OTTERSCALE_LEDGER_URL / OTTERSCALE_HOME if it is a typo",
      "no ledger at sqlite:///x.db: the file /x.db does not exist, so this ledger does not exist. Create it with `otterscale ledger init --ledger-url sqlite:///x.db` or set OTTERSCALE_LEDGER_CREATE=1; or fix otterscale:ledgerUrl / OTTERSCALE_LEDGER_URL / OTTERSCALE_HOME if it is a typo",
    ],
  ];
  for (const [name, e, terraform, pulumi] of remedied) {
    it(`${name}: Terraform's words in the message, Pulumi's at the Pulumi edge`, () => {
      assert.equal(e.message, terraform);
      assert.equal(edgeError(e).message, pulumi);
    });
  }

  it("an edge error prints once where the host logs `${e}: ${e.stack}`, and keeps its message for gRPC", () => {
    const engine = new OtterscaleError("protected", "block pool acme/db has deletion_protection = true", [], {}, {
      terraform: "set it to false and apply before destroying",
      pulumi: "set deletion_protection to false and run `pulumi up` before destroying",
    });
    const said = "block pool acme/db has deletionProtection = true; set deletionProtection to false and run `pulumi up` before destroying";
    const e = edgeError(engine);
    assert.equal(e.message, said);
    // In a program (here): an Error like any other, without a stack trace.
    assert.deepEqual([String(e), e.stack], [`Error: ${said}`, said]);
    // In the dynamic-provider host: its log line, once.
    const inHost = new PulumiEdgeError(said, engine.code, true);
    assert.equal(`${inHost}: ${inHost.stack}`, `otterscale-iac: ${said}`);
    // Anything else is `internal`, with a fix-it and without its stack trace (that goes to the debug log).
    const bug = edgeError(new TypeError("x is undefined"), "checking acme/web") as PulumiEdgeError;
    assert.equal(bug.code, "internal");
    assert.match(bug.message, /^unexpected error while checking acme\/web: x is undefined; this is a bug in otterscale-iac .*pulumi up --logtostderr -v=9/);
    assert.ok(!bug.stack!.includes("    at "), "no stack frames shown");
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
