/**
 * Error codes carry their own traits (issue 15, item 5): the CLI's exit code, the summary, and
 * whether the engine retries come from the code, never from message text; anything that is not a
 * domain error is `internal` with a fix-it, its stack kept out of what the user reads.
 */
import assert from "node:assert/strict";
import { ERROR_CODES, OtterscaleError, asDomainError, type ErrorCode } from "../../provider/src/domain/errors";
import { CliError, EXIT, exitCodeOf } from "../../provider/src/cli/exit-codes";
import { fromError } from "../../provider/src/terraform/diagnostics";
import { withBoundedRetry } from "../../provider/src/engine/fence";
import { ledgerError } from "../../provider/src/ledger/pg-errors";

describe("domain: error codes", () => {
  const exits: Record<ErrorCode, number> = {
    invalid_input: 1,
    not_found: 1,
    config: 1,
    already_exists: 2,
    owned: 2,
    quota_exceeded: 2,
    unplaceable: 2,
    in_use: 2,
    protected: 2,
    conflict: 3,
    controller_failed: 3,
    timeout: 3,
    unavailable: 3,
    busy: 3,
    unreachable: 3,
    authentication: 3,
    internal: 3,
  };
  it("every code has an exit code, whatever its message says", () => {
    assert.deepEqual(Object.keys(ERROR_CODES).sort(), Object.keys(exits).sort());
    for (const [code, exit] of Object.entries(exits)) {
      // The same words under two codes: only the code decides.
      assert.equal(exitCodeOf(new OtterscaleError(code as ErrorCode, "authentication failed; cannot reach; does not exist")), exit, code);
    }
    assert.equal(exitCodeOf(new TypeError("boom")), EXIT.unreachable);
    assert.equal(exitCodeOf(new CliError("bad flag")), EXIT.usage);
  });

  it("PostgreSQL failures get their own codes: authentication, a missing database, TLS", () => {
    const pg = (code: string, message: string) => Object.assign(new Error(message), { code });
    const label = "postgres://u:***@h/db";
    const of = (e: unknown) => (ledgerError(e, label, "connect") as OtterscaleError).code;
    assert.equal(of(pg("28P01", 'password authentication failed for user "u"')), "authentication");
    assert.equal(of(pg("3D000", 'database "db" does not exist')), "unreachable");
    assert.equal(of(pg("40001", "could not serialize access")), "conflict");
    const lostAtCommit = ledgerError(Object.assign(new Error("Connection terminated unexpectedly"), {}), label, "commit") as OtterscaleError;
    assert.equal(lostAtCommit.code, "unavailable");
    assert.equal(lostAtCommit.retryable, false, "a commit whose outcome is unknown is not retried blindly");
  });

  it("anything that is not a domain error is `internal`: its message and a fix-it, never its stack", () => {
    const bug = new TypeError("cannot read properties of undefined (reading 'spec')");
    const e = asDomainError(bug, "planning otterscale_virtual_machine.web");
    assert.equal(e.code, "internal");
    assert.match(e.message, /^unexpected error while planning otterscale_virtual_machine\.web: cannot read properties .*; this is a bug in otterscale-iac .*TF_LOG=debug/);
    assert.equal(e.details.stack, bug.stack);
    const [d] = fromError(bug, "planning otterscale_virtual_machine.web");
    assert.equal(d.summary, "Internal error");
    assert.ok(!d.detail.includes("    at "), d.detail);
    assert.equal(asDomainError(e, "again"), e, "a domain error stays as it is");
  });

  it("the engine retries what the code says is retryable, within its bound", async () => {
    const run = async (e: OtterscaleError, failures: number) => {
      let calls = 0;
      const result = await withBoundedRetry(async () => {
        if (++calls <= failures) throw e;
        return calls;
      }).catch((x: unknown) => x);
      return { calls, result };
    };
    assert.deepEqual(await run(new OtterscaleError("unavailable", "lost"), 2), { calls: 3, result: 3 });
    assert.deepEqual(await run(new OtterscaleError("conflict", "held"), 1), { calls: 2, result: 2 });
    const quota = new OtterscaleError("quota_exceeded", "no");
    assert.deepEqual(await run(quota, 5), { calls: 1, result: quota });
    const unknownOutcome = new OtterscaleError("unavailable", "lost at commit", [], { retryable: false });
    assert.deepEqual(await run(unknownOutcome, 5), { calls: 1, result: unknownOutcome });
    // Past the deadline, no further attempt.
    let calls = 0;
    const err = await withBoundedRetry(async () => {
      calls++;
      throw new OtterscaleError("conflict", "held");
    }, Date.now() + 5).catch((x: unknown) => x);
    assert.ok(OtterscaleError.isInstance(err) && calls <= 2, `calls ${calls}`);
  });
});
