/**
 * What a database holds (a ledger or not, its schema version, its id) and bringing it up to
 * date. Shared by both backends so "is this a ledger?", "does it need a migration?" and "which
 * ledger is it?" have one answer each.
 *
 * Opening reads the state without any lock; only a ledger that needs a migration (or has no id
 * yet) takes the write lock, and `upgradeSchema` re-reads the state under it, because another
 * process may have done the work meanwhile.
 *
 * The id is a step of the upgrade rather than a numbered migration: it is generated here
 * (`randomUUID`, the same on both dialects) and the schema version stays 1, so a provider build
 * that predates ids keeps opening ledgers that have one.
 */
import { randomUUID } from "node:crypto";
import { OtterscaleError } from "../domain/errors";
import { migrationsFor, type Dialect } from "./sql";
import type { SqlDriver } from "./sql-tx";

export interface SchemaState {
  /** Undefined: the database holds no ledger (no schema_version table). */
  readonly version: number | undefined;
  /** Undefined for a ledger created before ledgers had ids (it gets one on upgrade). */
  readonly id: string | undefined;
}

const HAS_SCHEMA_TABLE: Record<Dialect, string> = {
  sqlite: "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
  postgres: "SELECT 1 AS present WHERE to_regclass('schema_version') IS NOT NULL",
};

/** Reads the state with plain SELECTs (no lock; inside any transaction). */
export async function inspectSchema(db: SqlDriver, dialect: Dialect): Promise<SchemaState> {
  if (!(await db.all(HAS_SCHEMA_TABLE[dialect])).length) return { version: undefined, id: undefined };
  const [row] = await db.all("SELECT version FROM schema_version");
  const version = row ? Number(row.version) : 0;
  const [id] = version >= 1 ? await db.all("SELECT v FROM meta WHERE k = 'ledger_id'") : [];
  return { version, id: id ? String(id.v) : undefined };
}

/** True when the state needs `upgradeSchema`; throws when the ledger is newer than this build. */
export function needsUpgrade(state: SchemaState, dialect: Dialect, label: string): boolean {
  const latest = migrationsFor(dialect).length;
  if (state.version !== undefined && state.version > latest) {
    throw new OtterscaleError("config", `ledger schema version ${state.version} at ${label} is newer than this provider supports (${latest}); upgrade otterscale-iac`);
  }
  return state.version === undefined || state.version < latest || state.id === undefined;
}

/**
 * Inside the write (or migration) lock: creates the schema if missing, applies pending
 * migrations (`exec` runs one multi-statement migration), gives the ledger its id if it has
 * none. Returns the id.
 */
export async function upgradeSchema(db: SqlDriver, dialect: Dialect, exec: (sql: string) => Promise<unknown>, label: string): Promise<string> {
  const state = await inspectSchema(db, dialect);
  if (!needsUpgrade(state, dialect, label)) return state.id!;
  const migrations = migrationsFor(dialect);
  await db.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  if (!(await db.all("SELECT version FROM schema_version")).length) await db.run("INSERT INTO schema_version (version) VALUES (0)");
  let version = state.version ?? 0;
  for (; version < migrations.length; version++) await exec(migrations[version]);
  await db.run("UPDATE schema_version SET version = ?", [version]);
  if (state.id) return state.id;
  const id = randomUUID();
  await db.run("INSERT INTO meta (k, v) VALUES ('ledger_id', ?)", [id]);
  return id;
}

/**
 * The configured ledger does not exist and may not be created here: a typo in a URL or home
 * must never start a new, empty ledger (which would make every object look deleted).
 */
export function missingLedger(label: string, why: string): OtterscaleError {
  const create = `Create it with \`otterscale ledger init --ledger-url ${label}\` or set OTTERSCALE_LEDGER_CREATE=1`;
  return new OtterscaleError("unreachable", `no ledger at ${label}: ${why}, so this ledger does not exist`, [], { ledger: label, missing: true }, {
    sep: ". ",
    terraform: `${create}; or fix ledger_url / OTTERSCALE_LEDGER_URL / OTTERSCALE_HOME if it is a typo`,
    pulumi: `${create}; or fix otterscale:ledgerUrl / OTTERSCALE_LEDGER_URL / OTTERSCALE_HOME if it is a typo`,
  });
}

/** True for the error `missingLedger` makes (e.g. `ledger init` then creates it). */
export const isMissingLedger = (e: unknown): boolean => OtterscaleError.isInstance(e) && e.details.missing === true;
