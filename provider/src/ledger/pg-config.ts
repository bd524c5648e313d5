/**
 * `postgres://user:password@host:5432/db?sslmode=verify-full&sslrootcert=/etc/ca.pem` -> the
 * connection settings of the PostgreSQL ledger. Pure apart from reading the TLS files the URL
 * names. The libpq names are kept (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`,
 * `connect_timeout`, `application_name`, `host` for a socket directory) so a URL that works with
 * psql works here; unknown parameters are refused so a typo never silently weakens TLS.
 */
import * as fs from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { PoolConfig } from "pg";
import { OtterscaleError } from "../domain/errors";
import { redactLedgerUrl as redactUrl } from "../domain/redact";

/** Per-connection defaults (milliseconds unless noted); every one can be set in the URL. */
export const PG_DEFAULTS = {
  /** A ledger statement never runs longer (a reservation is a handful of indexed statements). */
  statement_timeout: 30_000,
  /** Longest wait for a row or the ledger's write lock (other processes' transactions). */
  lock_timeout: 30_000,
  /** A client that stalls inside a transaction (and so holds the write lock) is cut off. */
  idle_in_transaction_session_timeout: 60_000,
  /** Seconds, as in libpq. */
  connect_timeout: 10,
  pool_max: 10,
  application_name: "otterscale-iac",
} as const;

const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
type SslMode = (typeof SSL_MODES)[number];

const KNOWN_PARAMS = new Set([
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "host",
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  "connect_timeout",
  "pool_max",
  "application_name",
]);

export interface PgSettings {
  /** What `new Pool()` takes (TLS material included, already read). */
  readonly pool: PoolConfig & { lock_timeout: number; idle_in_transaction_session_timeout: number };
  /** The URL with its password hidden: the only form used in messages. */
  readonly label: string;
  readonly sslmode: SslMode;
}

/** Parses a `postgres://` / `postgresql://` ledger URL. Throws `config` errors naming the parameter. */
export function pgSettings(url: string, readFile: (p: string) => Buffer = (p) => fs.readFileSync(p)): PgSettings {
  const label = redactUrl(url);
  const bad = (what: string) => new OtterscaleError("config", `ledger_url ${label}: ${what}`, [{ path: "ledger_url", message: what }]);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad("not a valid URL (expected postgres://user:password@host:5432/database)");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw bad("expected a postgres:// or postgresql:// URL");
  const q = u.searchParams;
  const unknown = [...q.keys()].filter((k) => !KNOWN_PARAMS.has(k));
  if (unknown.length) throw bad(`unknown parameter ${unknown.join(", ")} (supported: ${[...KNOWN_PARAMS].join(", ")})`);

  const int = (name: keyof typeof PG_DEFAULTS, min: number): number => {
    const raw = q.get(name);
    if (raw === null) return PG_DEFAULTS[name] as number;
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw bad(`${name} must be an integer >= ${min} (got ${JSON.stringify(raw)})`);
    return Number(raw);
  };
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (!database) throw bad("no database name (postgres://host/DATABASE)");
  const sslmode = (q.get("sslmode") ?? "prefer") as SslMode;
  if (!SSL_MODES.includes(sslmode)) throw bad(`sslmode must be one of ${SSL_MODES.join(", ")} (got ${JSON.stringify(sslmode)})`);

  const socketDir = q.get("host");
  return {
    label,
    sslmode,
    pool: {
      host: socketDir ?? (u.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost"),
      port: u.port ? Number(u.port) : 5432,
      user: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      database,
      ssl: tlsOptions(sslmode, q, readFile, bad),
      max: int("pool_max", 1),
      statement_timeout: int("statement_timeout", 0),
      lock_timeout: int("lock_timeout", 0),
      idle_in_transaction_session_timeout: int("idle_in_transaction_session_timeout", 0),
      connectionTimeoutMillis: int("connect_timeout", 0) * 1000,
      application_name: q.get("application_name") ?? PG_DEFAULTS.application_name,
      keepAlive: true,
    },
  };
}

/**
 * libpq's sslmode semantics on Node's TLS options:
 *  - disable, allow, prefer: no TLS (node-postgres cannot fall back, so "prefer" means plain, as
 *    libpq does with a server that offers no TLS); use require or verify-* for encryption;
 *  - require: encrypted, certificate not checked (unless sslrootcert is given: then as verify-ca);
 *  - verify-ca: the server's certificate must chain to sslrootcert (or the system CAs);
 *  - verify-full: verify-ca and the host name must match the certificate.
 */
function tlsOptions(
  mode: SslMode,
  q: URLSearchParams,
  readFile: (p: string) => Buffer,
  bad: (what: string) => OtterscaleError,
): false | ConnectionOptions {
  const file = (param: string): Buffer | undefined => {
    const p = q.get(param);
    if (p === null) return undefined;
    try {
      return readFile(p);
    } catch (e) {
      throw bad(`cannot read ${param} ${p} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  };
  if (mode === "disable" || mode === "allow" || mode === "prefer") {
    const given = ["sslrootcert", "sslcert", "sslkey"].filter((k) => q.has(k));
    if (given.length) throw bad(`${given.join(", ")} given but sslmode=${mode} does not use TLS; set sslmode=verify-full (or require)`);
    return false;
  }
  const ca = file("sslrootcert");
  const cert = file("sslcert");
  const key = file("sslkey");
  const client = { ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  if (mode === "require" && !ca) return { rejectUnauthorized: false, ...client };
  const verifyHost = mode === "verify-full";
  return {
    rejectUnauthorized: true,
    ...(ca ? { ca } : {}),
    ...client,
    ...(verifyHost ? {} : { checkServerIdentity: () => undefined }),
  };
}
