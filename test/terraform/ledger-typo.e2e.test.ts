/**
 * End-to-end with the REAL terraform binary and the real provider executable: a typo in
 * `ledger_url` (ledgr.db next to an existing ledger.db) fails `terraform plan` with a message
 * naming the path and `otterscale ledger init`, and creates no file: a typo never starts a new,
 * empty ledger in which every object would look deleted.
 */
import { strict as assert } from "node:assert";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { initLedger } from "../../provider/src/ledger/open";
import { TERRAFORM, tfSession, type TfSession } from "./tf-harness";

/** Terraform wraps long messages: compare on whitespace-normalized text. */
const flat = (text: string) => text.replace(/\s+/g, " ");

describe("terraform e2e: a mistyped ledger_url (real terraform binary, real provider)", function () {
  this.timeout(180_000);
  before(() => assert.ok(existsSync(TERRAFORM), `terraform not found at ${TERRAFORM} (set TERRAFORM_BIN)`));
  let s: TfSession;
  beforeEach(async () => {
    s = await tfSession();
  });
  afterEach(() => s.close());

  it("terraform plan fails naming the path and `otterscale ledger init`; no file is created", async () => {
    const real = path.join(s.home, "ledger.db");
    const typo = path.join(s.home, "ledgr.db");
    await initLedger(`sqlite://${real}`);
    const before = readdirSync(s.home).sort();
    s.write(
      "main.tf",
      `terraform {
  required_providers {
    otterscale = { source = "otterscale/otterscale" }
  }
}

provider "otterscale" {
  ledger_url = "sqlite://${typo}"
}

resource "otterscale_server" "s1" {
  name        = "s1"
  cpu_cores   = 16
  memory_gib  = 64
  storage_gib = 1000
}
`,
    );
    const plan = await s.run(["plan", "-no-color", "-input=false"]);
    assert.notEqual(plan.code, 0, `plan should fail:\n${plan.stdout}`);
    const text = flat(plan.stderr);
    assert.ok(text.includes(`no ledger at sqlite://${typo}`), plan.stderr);
    assert.ok(text.includes(`the file ${typo} does not exist`), plan.stderr);
    assert.ok(text.includes(`otterscale ledger init --ledger-url sqlite://${typo}`), plan.stderr);
    assert.ok(text.includes("OTTERSCALE_LEDGER_CREATE=1"), plan.stderr);
    assert.doesNotMatch(plan.stderr, /\n\s+at /, "no stack trace");
    assert.equal(existsSync(typo), false, "no ledger file created");
    assert.deepEqual(readdirSync(s.home).sort(), before, "no -wal, -shm or manifests either");
  });
});
