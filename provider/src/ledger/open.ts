/** Chooses the ledger backend from its URL, and decides when a missing ledger may be created. */
import * as path from "node:path";
import { OtterscaleError } from "../domain/errors";
import { redactLedgerUrl } from "../domain/redact";
import type { Ledger } from "./records";
import { SqliteLedger } from "./sqlite";
import { isMissingLedger } from "./upgrade";

export interface OpenOptions {
  /** Create the ledger (schema + id) when it does not exist. Default false. */
  readonly create?: boolean;
}

/**
 * `sqlite:///abs/path.db` -> SQLite; `postgres://...` / `postgresql://...` -> PostgreSQL (shared
 * by a team). The PostgreSQL backend is loaded only when used, so SQLite users never load `pg`.
 * A ledger that does not exist is refused (code `config`, naming the URL and how to create it)
 * unless `opts.create`: a typo must never look like an empty estate.
 */
export async function openLedger(url: string, opts: OpenOptions = {}): Promise<Ledger> {
  if (url.startsWith("sqlite://")) {
    const file = decodeURIComponent(url.slice("sqlite://".length));
    if (!path.isAbsolute(file)) {
      throw new OtterscaleError("config", `ledger_url ${url}: the SQLite path must be absolute (sqlite:///abs/path.db)`);
    }
    return SqliteLedger.open(file, url, opts);
  }
  if (isPostgresUrl(url)) {
    const { PostgresLedger } = await import("./postgres");
    return PostgresLedger.open(url, opts);
  }
  throw new OtterscaleError("config", `ledger_url ${redactUrl(url)}: unsupported scheme (use sqlite:///abs/path.db or postgres://...)`);
}

export interface InitResult {
  /** The URL with its password hidden. */
  readonly url: string;
  readonly id: string;
  /** False when the ledger existed (it was left as it was). */
  readonly created: boolean;
}

/** `otterscale ledger init`: creates the ledger at `url` unless it exists; either way, says which ledger it is. */
export async function initLedger(url: string): Promise<InitResult> {
  let created = false;
  let ledger: Ledger;
  try {
    ledger = await openLedger(url);
  } catch (e) {
    if (!isMissingLedger(e)) throw e;
    ledger = await openLedger(url, { create: true });
    created = true;
  }
  await ledger.close();
  return { url: ledger.url, id: ledger.id, created };
}

/**
 * Whether a front end may create the ledger it was configured with: only the embedded default
 * location (`$OTTERSCALE_HOME/ledger.db`, so a first `terraform apply` just works), or anything
 * when OTTERSCALE_LEDGER_CREATE is "1" or "true". Every other URL must name an existing ledger
 * (`otterscale ledger init` creates one).
 *
 * @example
 *   shouldCreate("sqlite:///home/me/.otterscale/ledger.db", "/home/me/.otterscale", {}) // true
 *   shouldCreate("sqlite:///home/me/.otterscale/ledgr.db", "/home/me/.otterscale", {})  // false
 *   shouldCreate("postgres://db/otterscale", "/home/me/.otterscale", { OTTERSCALE_LEDGER_CREATE: "1" }) // true
 */
export function shouldCreate(ledgerUrl: string, home: string, env: NodeJS.ProcessEnv): boolean {
  const flag = env.OTTERSCALE_LEDGER_CREATE?.trim().toLowerCase();
  return ledgerUrl === defaultLedgerUrl(home) || flag === "1" || flag === "true";
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function defaultLedgerUrl(home: string): string {
  return `sqlite://${path.join(home, "ledger.db")}`;
}

/** Hides the password of a URL for messages (`user:***@`, and a `password=` query parameter). */
export function redactUrl(url: string): string {
  return redactLedgerUrl(url); // the rule, for malformed URLs too, is in domain/redact.ts
}
