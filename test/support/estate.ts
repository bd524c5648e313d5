/**
 * Test fixtures: a fresh OTTERSCALE_HOME per test, an engine on either ledger backend (the
 * embedded SQLite default, or a fresh database on the test run's real PostgreSQL server), and
 * builders for the estate every test starts from.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { openEngine } from "../../provider/src/api";
import { Engine } from "../../provider/src/engine/engine";
import type { Controllers, KindController } from "../../provider/src/controllers/types";
import type { ResourceKind } from "../../provider/src/catalog/catalog";
import { Client } from "pg";
import { sharedPostgres } from "./postgres";
import { testTempDir } from "./temp";

/** A fresh OTTERSCALE_HOME, removed after the test run (see temp.ts). */
export function tempHome(name = "home-"): string {
  return testTempDir(name);
}

export type Backend = "sqlite" | "postgres";
/** Every ledger backend; engine suites run once per entry. */
export const BACKENDS: readonly Backend[] = ["sqlite", "postgres"];

/** Where a test home's ledger lives once `ledgerUrlFor` chose it (so reopening finds the same one). */
const URL_FILE = "ledger-url";

/**
 * The ledger URL of a test home: `sqlite://<home>/ledger.db`, or for postgres a fresh database
 * on the shared test server, created on first call and remembered in the home.
 */
export async function ledgerUrlFor(home: string, backend?: Backend): Promise<string> {
  const remembered = path.join(home, URL_FILE);
  if (fs.existsSync(remembered)) return fs.readFileSync(remembered, "utf8");
  const url = backend === "postgres" ? await (await sharedPostgres()).createDatabase() : `sqlite://${path.join(home, "ledger.db")}`;
  fs.writeFileSync(remembered, url);
  return url;
}

/** The adapters the engine suites can run against: files under the home, or hand-off (nothing written). */
export type ControllerKind = "gitops" | "handoff";

/** `gitops://<home>/manifests` or `handoff://`. */
export function controllerUrlFor(home: string, controller: ControllerKind = "gitops"): string {
  return controller === "handoff" ? "handoff://" : `gitops://${path.join(home, "manifests")}`;
}

export async function testEngine(home = tempHome(), backend: Backend = "sqlite", controller: ControllerKind = "gitops"): Promise<{ engine: Engine; home: string; ledgerUrl: string }> {
  const ledgerUrl = await ledgerUrlFor(home, backend);
  const engine = await openEngine({ home, ledgerUrl, controllerUrl: controllerUrlFor(home, controller) });
  return { engine, home, ledgerUrl };
}

/** Files under a test home other than the ledger's own (the SQLite file, its WAL and the remembered URL). */
export function filesBesidesLedger(home: string): string[] {
  const ledger = /^(ledger\.db(-wal|-shm|-journal)?|ledger-url)$/;
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out.push(path.relative(home, p) + "/");
        walk(p);
      } else if (!(d === home && ledger.test(e.name))) out.push(path.relative(home, p));
    }
  };
  walk(home);
  return out.sort();
}

/**
 * Everything the ledger of a home stores, as text (to prove secrets are absent): the SQLite
 * file and its WAL, or every table of the PostgreSQL database.
 */
export async function ledgerText(home: string): Promise<string> {
  const url = await ledgerUrlFor(home);
  if (url.startsWith("sqlite://")) {
    const db = path.join(home, "ledger.db");
    return [db, `${db}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString("latin1")).join("");
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const out: string[] = [];
    for (const t of ["objects", "allocations", "audit", "meta"]) out.push(...(await client.query(`SELECT t::text AS row FROM ${t} t`)).rows.map((r) => String(r.row)));
    return out.join("\n");
  } finally {
    await client.end();
  }
}

export const server = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  cpu_cores: 16,
  memory_gib: 64,
  storage_gib: 1000,
  ...extra,
});

export const vm = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  tenant: "acme",
  group: "g",
  cpu_cores: 2,
  memory_gib: 4,
  disk_gib: 10,
  ...extra,
});

/**
 * Servers s1..sN (racks r1/r2 alternating, zones z1/z2 by halves), group `g` over all of them and
 * a quota for tenant acme.
 */
export async function seedEstate(engine: Engine, opts: { servers?: number; quota?: Record<string, unknown>; server?: Record<string, unknown> } = {}) {
  const n = opts.servers ?? 4;
  const names: string[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `s${i}`;
    names.push(name);
    await engine.create("server", server(name, { rack: `r${((i - 1) % 2) + 1}`, zone: i <= n / 2 ? "z1" : "z2", ...opts.server }));
  }
  await engine.create("baremetal_group", { name: "g", servers: names });
  await engine.create("tenant_quota", { tenant: "acme", group: "g", cpu_cores: 1000, memory_gib: 10000, storage_gib: 100000, ...opts.quota });
  return names;
}

/** Manifest files under the gitops directory (of one kind, when given), relative paths, sorted. */
export function manifests(home: string, kind?: string): string[] {
  const root = path.join(home, "manifests");
  const out: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".yaml") && (!kind || p.includes(`/${kind}/`))) out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** Wraps controllers so a test can make a kind's calls fail or hang. */
export function faultyControllers(inner: Controllers, fault: (op: "apply" | "get" | "delete", kind: ResourceKind, key: string) => Promise<void> | void): Controllers {
  return {
    url: inner.url,
    location: inner.location,
    forKind(kind: ResourceKind): KindController {
      const c = inner.forKind(kind);
      return {
        apply: async (obj, ctx) => {
          await fault("apply", kind, obj.key);
          return c.apply(obj, ctx);
        },
        get: async (key, ctx) => {
          await fault("get", kind, key);
          return c.get(key, ctx);
        },
        delete: async (key, ctx) => {
          await fault("delete", kind, key);
          return c.delete(key, ctx);
        },
        list: (ctx) => c.list(ctx),
        ...(c.listOwned ? { listOwned: (ctx) => c.listOwned!(ctx) } : {}),
      };
    },
  };
}

export async function rejects(p: Promise<unknown>): Promise<{ code: string; message: string; problems: { path?: string; message: string }[] }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error("expected the operation to fail, but it succeeded");
}
