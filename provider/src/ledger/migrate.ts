/**
 * `ledger migrate`: copies one ledger into another, empty one (typically the embedded SQLite
 * file into a team's PostgreSQL) and proves the copy: in the same target transaction it
 * recomputes every tenant's usage per group and every server's load and compares them with the
 * source's. Any difference, or rows changing in the source meanwhile, rolls the copy back.
 * Rows are copied as they are: generations, leases, pending states and audit sequence numbers
 * included, so an engine opened on the target continues exactly where the source stopped.
 * The target also takes the source's ledger id: a migrated ledger is the same ledger moved, not
 * a new one, so Terraform state and Pulumi stacks that remember the id keep working once
 * `ledger_url` points at the target. (The source keeps the id too: stop using it.)
 * Stop applies against the source while migrating; afterwards point `ledger_url` at the target.
 *
 * @example
 *   await copyLedger("sqlite:///home/me/.otterscale/ledger.db", "postgres://ops@db.internal/otterscale?sslmode=verify-full");
 */
import { OtterscaleError } from "../domain/errors";
import type { Usage } from "../domain/quota";
import { isPostgresUrl, openLedger, redactUrl } from "./open";
import type { Allocation, AuditEvent, Ledger, LedgerRecord, LedgerTx, ServerLoad } from "./records";
import { RECORD_COLUMNS, allocationToParams, insertAllocations, placeholders, recordToParams } from "./sql";
import { SqlTx, type RawWriter, type SqlDriver } from "./sql-tx";

/** What a ledger adds up to: compared between source and target. */
export interface LedgerTotals {
  readonly objects: number;
  readonly allocations: number;
  readonly audit: number;
  /** `tenant/group` -> usage. */
  readonly usage: ReadonlyMap<string, Usage>;
  /** server -> load. */
  readonly load: ReadonlyMap<string, ServerLoad>;
}

export interface CopySummary {
  /** Redacted URLs. */
  readonly from: string;
  readonly to: string;
  readonly objects: number;
  readonly allocations: number;
  readonly audit: number;
  /** Tenant/group pairs and servers whose totals were verified. */
  readonly tenantGroups: number;
  readonly servers: number;
}

interface Snapshot {
  readonly id: string;
  readonly records: LedgerRecord[];
  readonly allocations: Allocation[];
  readonly audit: AuditEvent[];
  readonly inventoryGeneration: number;
  readonly totals: LedgerTotals;
}

const AUDIT_PAGE = 10_000;

/** Copies `fromUrl` into the empty ledger at `toUrl` and verifies the totals. */
export async function copyLedger(fromUrl: string, toUrl: string): Promise<CopySummary> {
  const from = redactUrl(fromUrl);
  const to = redactUrl(toUrl);
  if (fromUrl === toUrl) throw new OtterscaleError("config", `ledger migrate: --from and --to are the same ledger (${from})`);
  const source = await openLedger(fromUrl);
  let snap: Snapshot;
  try {
    snap = await snapshotOf(source);
  } finally {
    await source.close();
  }
  await writeRaw(toUrl, async (db, dialect) => {
    const tx = new SqlTx(db);
    const [counts] = await db.all(
      "SELECT (SELECT COUNT(*) FROM objects) AS objects, (SELECT COUNT(*) FROM allocations) AS allocations, (SELECT COUNT(*) FROM audit) AS audit",
    );
    if (Number(counts.objects) + Number(counts.allocations) + Number(counts.audit) > 0) {
      throw new OtterscaleError(
        "config",
        `ledger migrate: the target ledger ${to} is not empty (${counts.objects} objects, ${counts.audit} audit events); migrate only into a new ledger`,
      );
    }
    for (const r of snap.records) {
      const params = recordToParams(r);
      await db.run(`INSERT INTO objects (${RECORD_COLUMNS}) VALUES ${placeholders(params.length)}`, params);
    }
    for (const a of snap.allocations) await db.run(insertAllocations(1), allocationToParams(a));
    for (const e of snap.audit) {
      await db.run("INSERT INTO audit (seq, at, op, kind, key, tenant, grp, delta, op_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        e.seq,
        e.at,
        e.op,
        e.kind,
        e.key,
        e.tenant,
        e.grp,
        JSON.stringify(e.delta),
        e.opId,
      ]);
    }
    // New events continue after the copied ones (SQLite's AUTOINCREMENT follows explicit values by itself).
    if (dialect === "postgres" && snap.audit.length) {
      await db.all("SELECT setval(pg_get_serial_sequence('audit', 'seq'), (SELECT MAX(seq) FROM audit))");
    }
    await db.run("UPDATE meta SET v = ? WHERE k = 'inventory_generation'", [String(snap.inventoryGeneration)]);
    await db.run("UPDATE meta SET v = ? WHERE k = 'ledger_id'", [snap.id]);
    const mismatch = compareTotals(snap.totals, await totalsOf(tx, snap.records, (await db.all("SELECT COUNT(*) AS n FROM audit"))[0].n));
    if (mismatch) throw new OtterscaleError("conflict", `ledger migrate: verification failed, nothing was written to ${to}: ${mismatch}`);
  });
  return {
    from,
    to,
    objects: snap.records.length,
    allocations: snap.allocations.length,
    audit: snap.audit.length,
    tenantGroups: snap.totals.usage.size,
    servers: snap.totals.load.size,
  };
}

/**
 * The first difference between two ledgers' totals, in words; undefined when they match.
 *
 * @example compareTotals(a, b) // "usage of tenant acme in group g: cpu 4000 in the source, 3000 in the target"
 */
export function compareTotals(expected: LedgerTotals, actual: LedgerTotals): string | undefined {
  for (const k of ["objects", "allocations", "audit"] as const) {
    if (expected[k] !== actual[k]) return `${k}: ${expected[k]} in the source, ${actual[k]} in the target`;
  }
  for (const [key, u] of expected.usage) {
    const [tenant, grp] = key.split("/");
    const differ = diffFlat(flatUsage(u), flatUsage(actual.usage.get(key)));
    if (differ) return `usage of tenant ${tenant} in group ${grp}: ${differ}`;
  }
  const servers = new Set([...expected.load.keys(), ...actual.load.keys()]);
  for (const s of [...servers].sort()) {
    const differ = diffFlat(flatLoad(expected.load.get(s)), flatLoad(actual.load.get(s)));
    if (differ) return `load of server ${s}: ${differ}`;
  }
  return undefined;
}

function flatUsage(u: Usage | undefined): Record<string, number> {
  if (!u) return {};
  return { ...u.resources, virtual_machines: u.virtualMachines, vclusters: u.vclusters, block_pools: u.blockPools };
}

function flatLoad(l: ServerLoad | undefined): Record<string, number> {
  if (!l) return {};
  return { ...l.allocated, ...Object.fromEntries(Object.entries(l.gpuModels).map(([m, n]) => [`gpus[${m}]`, n])) };
}

function diffFlat(a: Record<string, number>, b: Record<string, number>): string | undefined {
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if ((a[k] ?? 0) !== (b[k] ?? 0)) return `${k} ${a[k] ?? 0} in the source, ${b[k] ?? 0} in the target`;
  }
  return undefined;
}

/** Usage of every tenant/group that holds records, load of every server, row counts. */
async function totalsOf(tx: LedgerTx, records: readonly LedgerRecord[], audit: unknown): Promise<LedgerTotals> {
  const pairs = [...new Set(records.filter((r) => r.tenant !== null && r.grp !== null).map((r) => `${r.tenant}/${r.grp}`))].sort();
  const usage = new Map<string, Usage>();
  for (const p of pairs) {
    const [tenant, grp] = p.split("/");
    usage.set(p, await tx.usage(tenant, grp));
  }
  const [objects, allocations] = [(await tx.list()).length, (await tx.allocations()).length];
  return { objects, allocations, audit: Number(audit), usage, load: await tx.serverLoad() };
}

async function snapshotOf(source: Ledger): Promise<Snapshot> {
  const audit = await allAudit(source, 0);
  const snap = await source.read(async (tx) => {
    const records = await tx.list();
    return {
      records,
      allocations: await tx.allocations(),
      inventoryGeneration: await tx.inventoryGeneration(),
      totals: await totalsOf(tx, records, audit.length),
    };
  });
  // The audit trail is read outside that snapshot: if it grew, the source was being written.
  const later = await source.audit(audit.length ? audit[audit.length - 1].seq : 0, 1);
  if (later.length) {
    throw new OtterscaleError("conflict", `ledger migrate: ${redactUrl(source.url)} changed during the copy; stop applies against it and run the migration again`);
  }
  return { ...snap, audit, id: source.id };
}

async function allAudit(ledger: Ledger, since: number): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for (;;) {
    const page = await ledger.audit(since, AUDIT_PAGE);
    out.push(...page);
    if (page.length < AUDIT_PAGE) return out;
    since = page[page.length - 1].seq!;
  }
}

/** One write transaction on the target's raw SQL (the target is created if missing), all or nothing. */
async function writeRaw(url: string, fn: (db: SqlDriver, dialect: "sqlite" | "postgres") => Promise<void>): Promise<void> {
  // Both backends are RawWriters; the Ledger interface keeps that door closed to everyone else.
  const target = (await openLedger(url, { create: true })) as Ledger & RawWriter;
  try {
    await target.sqlTransaction((db) => fn(db, isPostgresUrl(url) ? "postgres" : "sqlite"));
  } finally {
    await target.close();
  }
}
