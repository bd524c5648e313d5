/**
 * Running totals: each tenant's usage in a group (`usage_totals`, the sum of its objects' charge
 * columns) and each server's load per GPU model (`server_loads`, the sum of its allocations),
 * kept by triggers in the same transaction as the rows they sum. A reservation reads and checks a
 * few total rows instead of summing every object of the tenant and every allocation of the group,
 * work that grew with the estate and ran inside the ledger's lock.
 *
 * The triggers are the one definition of the totals; the migration fills them from the rows
 * already there, and `ledger migrate` copies only rows (the target's triggers add them up).
 * `server_loads.gpu_model` is '' for an allocation without a GPU model (a primary key column
 * cannot be NULL), and `n` counts the allocations, so a server whose allocations are all gone
 * reads as having none (as the sum over no rows did).
 */

const USAGE_COLUMNS = ["cpu", "memory", "storage", "gpus", "vms", "vclusters", "pools"] as const;
const CHARGE_COLUMNS = ["c_cpu", "c_memory", "c_storage", "c_gpus", "c_vms", "c_vclusters", "c_pools"] as const;
const LOAD_COLUMNS = ["cpu", "memory", "storage", "gpus"] as const;

const list = (cols: readonly string[], prefix = "") => cols.map((c) => `${prefix}${c}`).join(", ");
const adding = (cols: readonly string[], table: string) => cols.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(", ");
const subtracting = (cols: readonly string[], from: readonly string[]) => cols.map((c, i) => `${c} = ${c} - OLD.${from[i]}`).join(", ");

/** The totals as the rows sum them: the migration's fill, and what `ledger check` compares with. */
const USAGE_FROM_ROWS = `SELECT tenant, grp, ${CHARGE_COLUMNS.map((c, i) => `SUM(${c}) AS ${USAGE_COLUMNS[i]}`).join(", ")} FROM objects WHERE tenant IS NOT NULL AND grp IS NOT NULL GROUP BY tenant, grp`;
const LOADS_FROM_ROWS = `SELECT server, COALESCE(gpu_model, '') AS gpu_model, COUNT(*) AS n, ${LOAD_COLUMNS.map((c) => `SUM(${c}) AS ${c}`).join(", ")} FROM allocations GROUP BY server, COALESCE(gpu_model, '')`;

const TABLES = `
  CREATE TABLE usage_totals (
    tenant TEXT NOT NULL,
    grp TEXT NOT NULL,
    ${USAGE_COLUMNS.map((c) => `${c} BIGINT NOT NULL DEFAULT 0`).join(",\n    ")},
    PRIMARY KEY (tenant, grp)
  );
  CREATE TABLE server_loads (
    server TEXT NOT NULL,
    gpu_model TEXT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    ${LOAD_COLUMNS.map((c) => `${c} BIGINT NOT NULL DEFAULT 0`).join(",\n    ")},
    PRIMARY KEY (server, gpu_model)
  );
  INSERT INTO usage_totals (tenant, grp, ${list(USAGE_COLUMNS)}) ${USAGE_FROM_ROWS};
  INSERT INTO server_loads (server, gpu_model, n, ${list(LOAD_COLUMNS)}) ${LOADS_FROM_ROWS};`;

// The statements each trigger runs, written once for both dialects (NEW/OLD and excluded are common).
const usageAdd = (where: string) => `INSERT INTO usage_totals AS u (tenant, grp, ${list(USAGE_COLUMNS)})
    SELECT NEW.tenant, NEW.grp, ${list(CHARGE_COLUMNS, "NEW.")} WHERE ${where}
    ON CONFLICT (tenant, grp) DO UPDATE SET ${adding(USAGE_COLUMNS, "u")};`;
const usageRemove = `UPDATE usage_totals SET ${subtracting(USAGE_COLUMNS, CHARGE_COLUMNS)} WHERE tenant = OLD.tenant AND grp = OLD.grp;`;
const loadAdd = `INSERT INTO server_loads AS l (server, gpu_model, n, ${list(LOAD_COLUMNS)})
    SELECT NEW.server, COALESCE(NEW.gpu_model, ''), 1, ${list(LOAD_COLUMNS, "NEW.")} WHERE true
    ON CONFLICT (server, gpu_model) DO UPDATE SET n = l.n + 1, ${adding(LOAD_COLUMNS, "l")};`;
const loadRemove = `UPDATE server_loads SET n = n - 1, ${subtracting(LOAD_COLUMNS, LOAD_COLUMNS)} WHERE server = OLD.server AND gpu_model = COALESCE(OLD.gpu_model, '');`;

const HAS_TENANT = (row: string) => `${row}.tenant IS NOT NULL AND ${row}.grp IS NOT NULL`;
/** An update that moves a charge: a lease renewal or a state change fires nothing. */
const chargeMoved = (distinct: string) =>
  [`OLD.tenant ${distinct} NEW.tenant`, `OLD.grp ${distinct} NEW.grp`, ...CHARGE_COLUMNS.map((c) => `OLD.${c} <> NEW.${c}`)].join(" OR ");

const SQLITE_TRIGGERS = `
  CREATE TRIGGER usage_totals_insert AFTER INSERT ON objects BEGIN ${usageAdd(HAS_TENANT("NEW"))} END;
  CREATE TRIGGER usage_totals_delete AFTER DELETE ON objects WHEN ${HAS_TENANT("OLD")} BEGIN ${usageRemove} END;
  CREATE TRIGGER usage_totals_update AFTER UPDATE ON objects WHEN ${chargeMoved("IS NOT")} BEGIN
    ${usageRemove}
    ${usageAdd(HAS_TENANT("NEW"))}
  END;
  CREATE TRIGGER server_loads_insert AFTER INSERT ON allocations BEGIN ${loadAdd} END;
  CREATE TRIGGER server_loads_delete AFTER DELETE ON allocations BEGIN ${loadRemove} END;
  CREATE TRIGGER server_loads_update AFTER UPDATE ON allocations BEGIN ${loadRemove} ${loadAdd} END;`;

const POSTGRES_TRIGGERS = `
  CREATE FUNCTION otterscale_usage_totals() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP <> 'INSERT' THEN ${usageRemove} END IF;
    IF TG_OP <> 'DELETE' THEN ${usageAdd(HAS_TENANT("NEW"))} END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER usage_totals_change AFTER INSERT OR DELETE ON objects FOR EACH ROW EXECUTE FUNCTION otterscale_usage_totals();
  CREATE TRIGGER usage_totals_update AFTER UPDATE ON objects FOR EACH ROW WHEN (${chargeMoved("IS DISTINCT FROM")}) EXECUTE FUNCTION otterscale_usage_totals();
  CREATE FUNCTION otterscale_server_loads() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP <> 'INSERT' THEN ${loadRemove} END IF;
    IF TG_OP <> 'DELETE' THEN ${loadAdd} END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER server_loads_change AFTER INSERT OR DELETE OR UPDATE ON allocations FOR EACH ROW EXECUTE FUNCTION otterscale_server_loads();`;

/** Migration 3: the totals tables, filled from the rows present, and the triggers that keep them. */
export const TOTALS_MIGRATION: { readonly sqlite: string; readonly postgres: string } = {
  sqlite: TABLES + SQLITE_TRIGGERS,
  postgres: TABLES + POSTGRES_TRIGGERS,
};

/** A tenant's usage in a group (one row; zeros before its first object): `usage` columns. Parameters: tenant, grp. */
export const USAGE_OF = `SELECT ${USAGE_COLUMNS.map((c) => `COALESCE(SUM(${c}), 0) AS ${c}`).join(", ")} FROM usage_totals WHERE tenant = ? AND grp = ?`;

/** Servers' loads, a row per server and GPU model (gpu_model NULL: none); append `AND server IN (...)` to narrow. */
export const LOADS = `SELECT server, NULLIF(gpu_model, '') AS gpu_model, ${list(LOAD_COLUMNS)} FROM server_loads WHERE n > 0`;

/** One server's load summed over its GPU models (one row). Parameter: server. */
export const SERVER_LOAD_OF = `SELECT ${LOAD_COLUMNS.map((c) => `COALESCE(SUM(${c}), 0) AS ${c}`).join(", ")} FROM server_loads WHERE server = ?`;

/** One GPU model's count on a server (one row, `gpus`). Parameters: server, model. */
export const MODEL_LOAD_OF = "SELECT COALESCE(SUM(gpus), 0) AS gpus FROM server_loads WHERE server = ? AND gpu_model = ?";

/** The kept totals and the rows' sums, in the same columns (`ledger check` compares them: totalsDrift). */
export const TOTALS_CHECK = {
  kept: {
    usage: `SELECT tenant, grp, ${list(USAGE_COLUMNS)} FROM usage_totals`,
    loads: `SELECT server, gpu_model, n, ${list(LOAD_COLUMNS)} FROM server_loads`,
  },
  rows: { usage: USAGE_FROM_ROWS, loads: LOADS_FROM_ROWS },
} as const;

type Row = Record<string, unknown>;

/**
 * Where the kept totals differ from the rows' sums, one line each (empty: none). A total of
 * zero (a tenant or server whose charges are all gone) is the same as no total.
 */
export function totalsDrift(kept: { usage: Row[]; loads: Row[] }, rows: { usage: Row[]; loads: Row[] }): string[] {
  const out: string[] = [];
  const compare = (what: string, keys: readonly string[], cols: readonly string[], a: Row[], b: Row[]) => {
    const index = (rs: Row[]) => new Map(rs.map((r) => [keys.map((k) => String(r[k])).join("/"), r]));
    const [ka, kb] = [index(a), index(b)];
    for (const key of [...new Set([...ka.keys(), ...kb.keys()])].sort()) {
      const diff = cols.filter((c) => Number(ka.get(key)?.[c] ?? 0) !== Number(kb.get(key)?.[c] ?? 0));
      if (diff.length) out.push(`${what} ${key}: ${diff.map((c) => `${c} kept ${Number(ka.get(key)?.[c] ?? 0)}, rows ${Number(kb.get(key)?.[c] ?? 0)}`).join("; ")}`);
    }
  };
  compare("usage of", ["tenant", "grp"], USAGE_COLUMNS, kept.usage, rows.usage);
  compare("load of", ["server", "gpu_model"], ["n", ...LOAD_COLUMNS], kept.loads, rows.loads);
  return out;
}
