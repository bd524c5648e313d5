/** Chooses the ledger backend from its URL. */
import * as path from "node:path";
import { OtterscaleError } from "../domain/errors";
import { redactLedgerUrl } from "../domain/redact";
import type { Ledger } from "./records";
import { SqliteLedger } from "./sqlite";

/**
 * `sqlite:///abs/path.db` -> SQLite; `postgres://...` / `postgresql://...` -> PostgreSQL (shared
 * by a team). The PostgreSQL backend is loaded only when used, so SQLite users never load `pg`.
 */
export async function openLedger(url: string, _opts: { create?: boolean } = {}): Promise<Ledger> {
  if (url.startsWith("sqlite://")) {
    const file = decodeURIComponent(url.slice("sqlite://".length));
    if (!path.isAbsolute(file)) {
      throw new OtterscaleError("config", `ledger_url ${url}: the SQLite path must be absolute (sqlite:///abs/path.db)`);
    }
    return SqliteLedger.open(file, url);
  }
  if (isPostgresUrl(url)) {
    const { PostgresLedger } = await import("./postgres");
    return PostgresLedger.open(url);
  }
  throw new OtterscaleError("config", `ledger_url ${redactUrl(url)}: unsupported scheme (use sqlite:///abs/path.db or postgres://...)`);
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

/** TEMPORARY until the ledger-identity change lands. */
export function shouldCreate(ledgerUrl: string, home: string, env: NodeJS.ProcessEnv): boolean {
  return ledgerUrl === defaultLedgerUrl(home) || env.OTTERSCALE_LEDGER_CREATE === "1" || env.OTTERSCALE_LEDGER_CREATE === "true";
}
