/**
 * PostgreSQL and network failures as domain errors with messages that say what happened to the
 * data and what to do. Errors that are already domain errors (quota, placement...) and errors
 * this module does not recognise (bugs) pass through unchanged.
 */
import { OtterscaleError, type ErrorCode } from "../domain/errors";
import { busyError } from "./busy";

/** Where in a transaction the failure happened: it decides what we can say about the data. */
export type Phase = "connect" | "statement" | "commit";

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EPIPE"]);
/** SQLSTATEs of a server that is going away or not yet accepting connections. */
const SERVER_GONE = new Set(["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"]);

const isDomain = (e: unknown) => OtterscaleError.isInstance(e);

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 300 ? `${m.slice(0, 300)}...` : m;
}

/** True for failures of the connection itself (refused, dropped, server shutting down, TLS). */
export function isConnectionFailure(e: unknown): boolean {
  if (isDomain(e)) return false;
  const code = codeOf(e);
  if (code && (NETWORK_CODES.has(code) || SERVER_GONE.has(code))) return true;
  if (code && code.startsWith("ERR_TLS")) return true;
  const m = messageOf(e);
  return /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|server does not support SSL|self[- ]signed certificate|certificate|Hostname\/IP does not match/i.test(
    m,
  );
}

/** When the failure may be a wait for the ledger's write lock: since when, and where its deadline came from. */
export interface LockWait {
  readonly started: number;
  readonly source: string;
}

/**
 * Translates a failure of the PostgreSQL ledger at `label` (the redacted URL). Messages say what
 * is true of THIS transaction only: the engine may have committed earlier transactions of the
 * same operation (a reservation) and called a backend, and adds that context itself from
 * `details.phase` (connect | statement | commit).
 *  - cannot authenticate / no such database / TLS refused -> `config`;
 *  - server unreachable, or the connection lost during a transaction -> `unavailable`: this
 *    transaction was rolled back, retry (during COMMIT its outcome is unknown; the engine's next
 *    run reconciles the rows the operation owned);
 *  - lock_timeout -> `busy` (another writer held the ledger's lock past the deadline);
 *  - statement_timeout -> `timeout`;
 *  - serialization failure / deadlock -> `conflict`.
 */
export function ledgerError(e: unknown, label: string, phase: Phase, lockWait?: LockWait): unknown {
  if (isDomain(e)) return e;
  const code = codeOf(e);
  const reason = messageOf(e);
  const fail = (c: ErrorCode, message: string) => new OtterscaleError(c, message, [], { phase, ledger: label });
  const rolledBack = "this transaction was rolled back";
  if (code === "28P01" || code === "28000") {
    return fail("config", `PostgreSQL ledger ${label}: authentication failed (${reason}); check the user and password in ledger_url`);
  }
  if (code === "3D000") {
    return fail("config", `PostgreSQL ledger ${label}: ${reason}; create it first (createdb) or fix the database name in ledger_url`);
  }
  if (code === "57014") {
    return fail("timeout", `PostgreSQL ledger ${label}: a statement ran past statement_timeout and was cancelled; ${rolledBack}`);
  }
  if (code === "55P03") {
    return busyError(label, lockWait ? Date.now() - lockWait.started : undefined, lockWait?.source ?? "lock_timeout");
  }
  if (code === "40001" || code === "40P01") {
    return fail("conflict", `PostgreSQL ledger ${label}: concurrent transactions conflicted (${code}); ${rolledBack}; retry`);
  }
  if (isConnectionFailure(e)) {
    if (phase === "connect") {
      // Literally true: this call failed before it could send anything.
      return fail(
        /certificate|ssl|tls/i.test(reason) ? "config" : "unavailable",
        `cannot reach the PostgreSQL ledger at ${label}: ${reason}; check ledger_url and that the server is running and reachable, then retry (nothing was written)`,
      );
    }
    if (phase === "commit") {
      return fail(
        "unavailable",
        `the connection to the PostgreSQL ledger at ${label} was lost while committing (${reason}); the change may or may not have been saved: run the operation again (the next run reconciles it)`,
      );
    }
    return fail("unavailable", `the connection to the PostgreSQL ledger at ${label} was lost (${reason}); ${rolledBack}; retry when the server is back`);
  }
  return e;
}
