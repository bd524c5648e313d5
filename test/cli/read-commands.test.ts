/**
 * The read commands of the real CLI (a subprocess) over a ledger seeded through the engine:
 * their numbers equal what the engine reports, in tables and in JSON, and bad configuration or
 * usage gives the documented exit codes.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import type { Engine } from "../../provider/src/engine/engine";
import { seedEstate, server, tempHome, testEngine, vm } from "../support/estate";
import { cli, cliJson, rowsOf } from "./cli-harness";

interface ServerJson {
  name: string;
  rack: string;
  zone: string;
  maintenance: boolean;
  workloads: number;
  capacity: Record<string, number>;
  allocated: Record<string, number>;
  free: Record<string, number>;
}
interface QuotaJson {
  tenant: string;
  group: string;
  limits: Record<string, number | null>;
  used: Record<string, number>;
  headroom: Record<string, number | null>;
}
interface AllocationJson {
  kind: string;
  id: string;
  tenant: string;
  group: string;
  state: string;
  servers: string[];
  charge: Record<string, number>;
  placements: { replica: number; server: string; amounts: Record<string, number> }[];
}

const DIMS = ["cpu_cores", "memory_gib", "storage_gib", "gpus"] as const;

describe("otterscale CLI: inventory, usage, allocations, audit", function () {
  this.timeout(120_000);
  let home: string;
  let engine: Engine;

  before(async () => {
    ({ engine, home } = await testEngine());
    await seedEstate(engine, { quota: { cpu_cores: 32, memory_gib: 128, storage_gib: 1000, max_virtual_machines: 10 } });
    await engine.update("server", "s4", server("s4", { rack: "r2", zone: "z2", maintenance: true }));
    await engine.create("tenant_quota", { tenant: "globex", group: "g", cpu_cores: 8 });
    await engine.create("virtual_machine", vm("web-1", { cpu_cores: 4, memory_gib: 8, disk_gib: 50, placement: { anti_affinity_group: "web" } }));
    await engine.create("virtual_machine", vm("web-2", { cpu_cores: 4, memory_gib: 8, disk_gib: 50, placement: { anti_affinity_group: "web" } }));
    await engine.create("block_pool", { name: "data", tenant: "acme", group: "g", size_gib: 100, replicas: 2, deletion_protection: false });
  });
  after(() => engine.close());

  it("inventory --output json: every server's and group's numbers equal the engine's", async () => {
    const out = await cliJson<{ servers: ServerJson[]; groups: { name: string; members: string[]; total: Record<string, number>; allocated: Record<string, number>; free: Record<string, number> }[] }>(
      ["inventory"],
      { home },
    );
    assert.deepEqual(out.servers.map((s) => s.name), ["s1", "s2", "s3", "s4"]);
    for (const s of out.servers) {
      const st = (await engine.read("server", s.name))!;
      for (const d of DIMS) {
        assert.equal(s.allocated[d], st[`allocated_${d}`], `${s.name} allocated ${d}`);
        assert.equal(s.capacity[d] - s.allocated[d], s.free[d]);
      }
      assert.equal(s.capacity.cpu_cores, 16);
      assert.equal(s.maintenance, s.name === "s4");
    }
    // 2 VMs (4 cores each) on distinct servers, and the pool's 2 replicas of 100 GiB.
    assert.equal(out.servers.reduce((a, s) => a + s.allocated.cpu_cores, 0), 8);
    assert.equal(out.servers.reduce((a, s) => a + s.allocated.storage_gib, 0), 50 + 50 + 200);
    const cap = await engine.readDataSource("group_capacity", { group: "g" });
    assert.equal(out.groups.length, 1);
    assert.deepEqual(out.groups[0].members, cap.member_servers);
    for (const d of DIMS) {
      assert.equal(out.groups[0].total[d], cap[`total_${d}`]);
      assert.equal(out.groups[0].allocated[d], cap[`allocated_${d}`]);
      assert.equal(out.groups[0].free[d], cap[`free_${d}`]);
    }
  });

  it("inventory as a table: aligned rows with allocated/capacity (free) per dimension", async () => {
    const r = await cli(["inventory", "--no-color"], { home });
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(r.stdout);
    assert.deepEqual(rows[0], ["Servers (allocated/capacity)"]);
    assert.deepEqual(rows[1], ["SERVER", "RACK", "ZONE", "MAINTENANCE", "WORKLOADS", "CPU CORES", "MEMORY GIB", "STORAGE GIB", "GPUS", "OWNER"]);
    // Created through the engine API (no owner named): "-".
    assert.deepEqual(rows[5], ["s4", "r2", "z2", "yes", "0", "0/16 (16 free)", "0/64 (64 free)", "0/1000 (1000 free)", "0/0 (0 free)", "-"]);
    const web1 = (await engine.read("virtual_machine", "acme/web-1"))!.server as string;
    const line = rows.find((row) => row[0] === web1)!;
    assert.equal(line[5], "4/16 (12 free)");
    // Columns line up: every server line has the CPU cell ending at the same offset.
    const lines = r.stdout.split("\n").slice(1, 6);
    const ends = lines.slice(1).map((l) => l.indexOf("(", l.indexOf("/")));
    assert.equal(new Set(ends).size, 1, `misaligned:\n${lines.join("\n")}`);
    const groupRow = rows.find((row) => row[0] === "g")!;
    assert.deepEqual(groupRow, ["g", "binpack", "4", "8/64 (56 free)", "16/256 (240 free)", "300/4000 (3700 free)", "0/0 (0 free)", "s1,s2,s3,s4", "-"]);
  });

  it("usage: quotas, use and headroom equal the tenant_usage data source; filters work", async () => {
    const all = await cliJson<{ quotas: QuotaJson[] }>(["usage"], { home });
    assert.deepEqual(all.quotas.map((q) => `${q.tenant}/${q.group}`), ["acme/g", "globex/g"]);
    for (const q of all.quotas) {
      const ds = await engine.readDataSource("tenant_usage", { tenant: q.tenant, group: q.group });
      for (const d of [...DIMS, "virtual_machines", "vclusters", "block_pools"]) {
        assert.equal(q.used[d], ds[`used_${d}`], `${q.tenant} used ${d}`);
        const limit = ds[d.startsWith("cpu") || d.startsWith("mem") || d.startsWith("sto") || d === "gpus" ? d : `max_${d}`];
        assert.equal(q.limits[d], limit, `${q.tenant} limit ${d}`);
        assert.equal(q.headroom[d], limit === null ? null : (limit as number) - q.used[d]);
      }
    }
    const acme = all.quotas[0];
    assert.deepEqual(acme.used, { cpu_cores: 8, memory_gib: 16, storage_gib: 200, gpus: 0, virtual_machines: 2, vclusters: 0, block_pools: 1 });
    const only = await cliJson<{ quotas: QuotaJson[] }>(["usage", "--tenant", "globex"], { home });
    assert.deepEqual(only.quotas.map((q) => q.tenant), ["globex"]);
    const none = await cliJson<{ quotas: QuotaJson[] }>(["usage", "--group", "nope"], { home });
    assert.deepEqual(none.quotas, []);

    const r = await cli(["usage", "--tenant", "acme"], { home });
    assert.equal(r.code, 0);
    const rows = rowsOf(r.stdout);
    assert.deepEqual(rows[0], ["TENANT", "GROUP", "DIMENSION", "USED", "LIMIT", "HEADROOM", "USE"]);
    // 8 of 32 cores = 25% -> 2.5 cells, rounded to 3.
    assert.deepEqual(rows[1], ["acme", "g", "cpu_cores", "8", "32", "24", "███░░░░░░░ 25%"]);
    assert.deepEqual(rows.find((row) => row[2] === "block_pools"), ["acme", "g", "block_pools", "1", "none", "unlimited", "no limit"]);
  });

  it("allocations: who holds what where, filtered by tenant, group and server", async () => {
    const out = await cliJson<{ allocations: AllocationJson[] }>(["allocations"], { home });
    assert.deepEqual(out.allocations.map((a) => `${a.kind} ${a.id} ${a.state}`), ["block_pool acme/data active", "virtual_machine acme/web-1 active", "virtual_machine acme/web-2 active"]);
    for (const a of out.allocations) {
      const st = (await engine.read(a.kind as "virtual_machine", a.id))!;
      assert.deepEqual(a.servers, a.kind === "virtual_machine" ? [st.server] : st.servers);
    }
    const web1 = out.allocations.find((a) => a.id === "acme/web-1")!;
    assert.deepEqual(web1.charge, { cpu_cores: 4, memory_gib: 8, storage_gib: 50, gpus: 0, virtual_machines: 1, vclusters: 0, block_pools: 0 });
    assert.deepEqual(web1.placements.map((p) => p.amounts), [{ cpu_cores: 4, memory_gib: 8, storage_gib: 50, gpus: 0 }]);
    const pool = out.allocations.find((a) => a.id === "acme/data")!;
    assert.deepEqual(pool.placements.map((p) => p.amounts.storage_gib), [100, 100]);

    const onServer = await cliJson<{ allocations: AllocationJson[] }>(["allocations", "--server", web1.servers[0]], { home });
    assert.ok(onServer.allocations.every((a) => a.servers.includes(web1.servers[0])));
    assert.ok(onServer.allocations.some((a) => a.id === "acme/web-1"));
    assert.ok(!onServer.allocations.some((a) => a.id === "acme/web-2"), "web-2 is on another server (anti-affinity)");
    assert.deepEqual((await cliJson<{ allocations: AllocationJson[] }>(["allocations", "--tenant", "globex"], { home })).allocations, []);

    const r = await cli(["allocations", "--tenant", "acme"], { home });
    const rows = rowsOf(r.stdout);
    assert.deepEqual(rows[0], ["KIND", "TENANT", "NAME", "GROUP", "STATE", "CPU CORES", "MEMORY GIB", "STORAGE GIB", "GPUS", "SERVERS", "OWNER"]);
    assert.deepEqual(rows[2], ["virtual_machine", "acme", "web-1", "g", "active", "4", "8", "50", "0", web1.servers[0], "-"]);
  });

  it("audit: the trail with --since (duration or ISO time) and --tenant", async () => {
    const all = (await engine.ledger.audit()).length;
    const out = await cliJson<{ events: { seq: number; op: string; id: string; tenant: string | null; delta: Record<string, unknown> }[] }>(["audit", "--since", "1h"], { home });
    assert.equal(out.events.length, all);
    const reserve = out.events.find((e) => e.op === "reserve" && e.id === "acme/web-1")!;
    assert.deepEqual({ ...reserve.delta, servers: undefined }, { cpu_cores: 4, memory_gib: 8, storage_gib: 50, virtual_machines: 1, servers: undefined });
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.deepEqual((await cliJson<{ events: unknown[] }>(["audit", "--since", future], { home })).events, []);
    const globex = await cliJson<{ events: { tenant: string }[] }>(["audit", "--tenant", "globex"], { home });
    assert.ok(globex.events.length >= 2 && globex.events.every((e) => e.tenant === "globex"));
    const last = await cliJson<{ events: { seq: number }[] }>(["audit", "--limit", "2"], { home });
    assert.deepEqual(last.events.map((e) => e.seq), out.events.slice(-2).map((e) => e.seq));

    const bad = await cli(["audit", "--since", "yesterday-ish"], { home });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--since "yesterday-ish": expected an ISO 8601 time or a duration/);
  });

  it("ledger migrate: copies the ledger into a new one that the CLI then reads identically; a non-empty target is refused", async () => {
    const target = `sqlite://${path.join(tempHome(), "copy.db")}`;
    const r = await cli(["ledger", "migrate", "--from", `sqlite://${path.join(home, "ledger.db")}`, "--to", target], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^copied sqlite:\/\/.*ledger\.db -> sqlite:\/\/.*copy\.db: \d+ objects, 4 allocations, \d+ audit events$/m);
    const original = await cliJson(["usage"], { home });
    const copied = await cliJson(["usage", "--ledger-url", target], { home });
    assert.deepEqual(copied, original);
    const again = await cli(["ledger", "migrate", "--from", `sqlite://${path.join(home, "ledger.db")}`, "--to", target], { home });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not empty/);
  });

  it("exit codes: usage errors 1, unreachable ledger 3; --help 0; the bin/otterscale wrapper behaves the same", async () => {
    const unknown = await cli(["inventory", "--bogus"], { home });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown option '--bogus'/);
    const badFormat = await cli(["usage", "--output", "yaml"], { home });
    assert.equal(badFormat.code, 1);
    const scheme = await cli(["usage", "--ledger-url", "mysql://db/ledger"], { home });
    assert.equal(scheme.code, 1);
    assert.match(scheme.stderr, /unsupported scheme/);
    const missing = await cli(["inventory"], { home: path.join(tempHome(), "not-there") });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no ledger at .*not-there\/ledger\.db/);
    const refused = await cli(["inventory", "--ledger-url", "postgres://ops:s3cret@127.0.0.1:1/otterscale"], { home });
    assert.equal(refused.code, 3, refused.stderr);
    assert.doesNotMatch(refused.stderr + refused.stdout, /s3cret/, "never print the password");
    const asJson = await cli(["inventory", "-o", "json"], { home: path.join(tempHome(), "not-there") });
    assert.equal(JSON.parse(asJson.stdout).error.exit_code, 3);
    const help = await cli(["--help"], { home });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:\n {2}0 {2}success/);

    const direct = await cli(["usage", "--tenant", "acme", "--no-color"], { home });
    const wrapped = await cli(["usage", "--tenant", "acme", "--no-color"], { home, wrapper: true });
    assert.equal(wrapped.code, 0, wrapped.stderr);
    assert.equal(wrapped.stdout, direct.stdout);
    // The env fallback: OTTERSCALE_LEDGER_URL wins over OTTERSCALE_HOME.
    const viaEnv = await cliJson<{ quotas: unknown[] }>(["usage"], { home: tempHome(), env: { OTTERSCALE_LEDGER_URL: `sqlite://${path.join(home, "ledger.db")}` } });
    assert.equal(viaEnv.quotas.length, 2);
  });
});
