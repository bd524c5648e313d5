/** Chooses the ledger backend from its URL. */
import * as path from "node:path";
import { OtterscaleError } from "../domain/errors";
import type { Ledger } from "./records";
import { SqliteLedger } from "./sqlite";

/** `sqlite:///abs/path.db` -> SQLite. `postgres://` is served by the PostgreSQL backend. */
export async function openLedger(url: string): Promise<Ledger> {
  if (url.startsWith("sqlite://")) {
    const file = decodeURIComponent(url.slice("sqlite://".length));
    if (!path.isAbsolute(file)) {
      throw new OtterscaleError("config", `ledger_url ${url}: the SQLite path must be absolute (sqlite:///abs/path.db)`);
    }
    return SqliteLedger.open(file, url);
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new OtterscaleError("config", "ledger_url: the PostgreSQL ledger is not available in this build yet; use sqlite:///abs/path.db");
  }
  throw new OtterscaleError("config", `ledger_url ${redactUrl(url)}: unsupported scheme (use sqlite:///abs/path.db or postgres://...)`);
}

export function defaultLedgerUrl(home: string): string {
  return `sqlite://${path.join(home, "ledger.db")}`;
}

/** Hides the password of a URL for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, "//$1:***@");
}
