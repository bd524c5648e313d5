/**
 * Readers never wait for a writer, and a writer waits for another one only until its deadline,
 * without freezing the event loop: while another PROCESS holds the SQLite ledger's write lock
 * (lock-holder.ts), reads, opening the ledger and a read-only CLI command answer at once, and a
 * write with a 300 ms deadline fails with `busy` naming the ledger after about 300 ms while
 * timers keep firing. PostgreSQL: the same with another client holding the advisory write lock.
 * The time bounds are correctness bounds (waited the deadline, not the 30 s default), not a benchmark.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { backoffMs, retryUntil } from "../../provider/src/ledger/busy";
import { Mutex } from "../../provider/src/lib/mutex";
import { openLedger } from "../../provider/src/ledger/open";
import type { AuditEvent, Ledger, LedgerRecord } from "../../provider/src/ledger/records";
import { cli } from "../cli/cli-harness";
import { rejects, tempHome } from "../support/estate";
import { auditEvent, ledgerRecord } from "../support/ledger";
import { sharedPostgres } from "../support/postgres";

const record = (key: string) => ledgerRecord(key, { kind: "server", tenant: null, grp: null });
const audit = (key: string) => auditEvent(key, { kind: "server", tenant: null, grp: null });

/** A write of one server row with its audit event. */
const writeServer = (ledger: Ledger, key: string, deadline?: number) =>
  ledger.transaction(
    async (tx) => {
      await tx.put(record(key));
      await tx.appendAudit(audit(key));
    },
    deadline === undefined ? {} : { deadline },
  );

/** Times `p`; also counts 10 ms timer ticks meanwhile and the longest gap between them (event-loop responsiveness). */
async function timed<T>(p: () => Promise<T>): Promise<{ ms: number; ticks: number; maxGap: number; result?: T; error?: unknown }> {
  let ticks = 0;
  let last = Date.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const t0 = Date.now();
  try {
    const result = await p();
    return { ms: Date.now() - t0, ticks, maxGap: Math.max(maxGap, Date.now() - last), result };
  } catch (error) {
    return { ms: Date.now() - t0, ticks, maxGap: Math.max(maxGap, Date.now() - last), error };
  } finally {
    clearInterval(timer);
  }
}

/** Busy errors name the ledger and say what happened. */
function assertBusy(error: unknown, label: string, source: string) {
  const e = error as { code?: string; message?: string; details?: Record<string, unknown> };
  assert.equal(e?.code, "busy", String(e?.message ?? error));
  const quoted = label.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  assert.match(e.message!, new RegExp(`^ledger busy: ${quoted} is locked by another writer; waited \\d+ ms \\(${source}\\); nothing was written; retry$`));
  assert.equal(e.details?.phase, "lock");
}

describe("ledger busy: the write lock (pure parts)", () => {
  it("backs off from 5 ms doubling to 100 ms, jittered into [50%, 100%]", () => {
    // base 5 * 2^attempt, capped at 100: 5, 10, 20, 40, 80, 100, 100
    assert.deepEqual([0, 1, 2, 3, 4, 5, 12].map((a) => backoffMs(a, () => 0.999999)), [5, 10, 20, 40, 80, 100, 100]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 12].map((a) => backoffMs(a, () => 0)), [3, 5, 10, 20, 40, 50, 50]);
  });

  it("retryUntil gives up at the deadline, never sleeping past it", async () => {
    let tries = 0;
    const t0 = Date.now();
    assert.equal(await retryUntil(() => (tries++, false), t0 + 120), false);
    const ms = Date.now() - t0;
    assert.ok(ms >= 115 && ms < 400, `${ms} ms`);
    assert.ok(tries >= 3, `${tries} tries`);
    assert.equal(await retryUntil(() => ++tries > 5, Date.now() + 10_000), true);
  });

  it("a mutex waiter gives up at its deadline and leaves the queue; the others keep their turn", async () => {
    const m = new Mutex();
    const first = (await m.acquire())!;
    const order: string[] = [];
    const late = m.acquire(Date.now() + 30);
    const patient = m.acquire().then((release) => {
      order.push("patient");
      release!();
    });
    assert.equal(await late, undefined);
    order.push("late gave up");
    first();
    await patient;
    assert.deepEqual(order, ["late gave up", "patient"]);
    const again = await m.acquire(Date.now() + 10);
    assert.ok(again, "free again");
    again();
  });
});

describe("ledger busy: SQLite, another process holds the write lock", function () {
  this.timeout(60_000);
  let home: string;
  let url: string;
  let ledger: Ledger;
  let holder: ChildProcess | undefined;

  before(async () => {
    home = tempHome("otterscale-busy-");
    url = `sqlite://${path.join(home, "ledger.db")}`;
    ledger = await openLedger(url, { create: true });
    await writeServer(ledger, "s1");
    holder = spawn(process.execPath, [path.join(__dirname, "lock-holder.js"), path.join(home, "ledger.db")], { stdio: ["pipe", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      holder!.stdout!.on("data", (b: Buffer) => b.toString().includes("locked") && resolve());
      holder!.on("exit", (code) => reject(new Error(`lock holder exited ${code}`)));
    });
  });
  after(async () => {
    holder?.kill("SIGKILL");
    await ledger?.close().catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("(a) reads, audit and opening the ledger answer at once", async () => {
    const read = await timed(() => ledger.read((tx) => tx.list()));
    assert.deepEqual((read.result as LedgerRecord[]).map((r) => r.key), ["s1"]);
    const events = await timed(() => ledger.audit());
    assert.equal((events.result as AuditEvent[]).length, 1);
    const opened = await timed(async () => {
      const other = await openLedger(url);
      const id = other.id;
      await other.close();
      return id;
    });
    assert.equal(opened.result, ledger.id, String(opened.error));
    // Waiting for the lock would take the 30 s default; a snapshot read takes milliseconds.
    for (const [what, t] of [["read", read], ["audit", events], ["open", opened]] as const) assert.ok(t.ms < 1_000, `${what} took ${t.ms} ms`);
  });

  it("(a) a read-only CLI command answers at once", async () => {
    const t0 = Date.now();
    const r = await cli(["-o", "json", "usage", "--ledger-url", url], { home });
    const ms = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { quotas: [] });
    // Process start-up included; a CLI that waited for the lock would fail with busy after 30 s.
    assert.ok(ms < 10_000, `otterscale usage took ${ms} ms`);
  });

  it("(b)+(c) a write with a 300 ms deadline fails with busy naming the ledger after ~300 ms; timers keep firing meanwhile", async () => {
    const t = await timed(() => writeServer(ledger, "s2", Date.now() + 300));
    assertBusy(t.error, url, "deadline from timeouts");
    assert.ok(t.ms >= 250 && t.ms < 2_000, `waited ${t.ms} ms`);
    const waited = Number(/waited (\d+) ms/.exec((t.error as Error).message)![1]);
    assert.ok(waited >= 250 && waited < 2_000, `message says ${waited} ms`);
    // A driver-level busy timeout would have frozen the loop for the whole wait (0 ticks).
    assert.ok(t.ticks >= 10, `${t.ticks} ticks of 10 ms in ${t.ms} ms`);
    assert.ok(t.maxGap < 200, `the event loop stalled for ${t.maxGap} ms`);
    assert.deepEqual((await ledger.read((tx) => tx.list())).map((r) => r.key), ["s1"], "nothing was written");
  });

  it("an expired deadline fails at once; once the lock is released, the write goes through", async () => {
    const expired = await timed(() => writeServer(ledger, "s2", Date.now() - 1));
    assertBusy(expired.error, url, "deadline from timeouts");
    assert.ok(expired.ms < 500, `${expired.ms} ms`);
    holder!.stdin!.end();
    await new Promise((r) => holder!.once("exit", r));
    holder = undefined;
    await writeServer(ledger, "s2", Date.now() + 5_000);
    assert.deepEqual((await ledger.read((tx) => tx.list())).map((r) => r.key), ["s1", "s2"]);
  });
});

describe("ledger busy: SQLite in one process", function () {
  this.timeout(30_000);
  let home: string;
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it("a read does not queue behind this process's open write transaction; a second writer waits its deadline", async () => {
    home = tempHome("otterscale-busy-");
    const url = `sqlite://${path.join(home, "ledger.db")}`;
    const ledger = await openLedger(url, { create: true });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const writing = ledger.transaction(async (tx) => {
      await tx.put(record("s1"));
      await tx.appendAudit(audit("s1"));
      entered();
      await held;
    });
    await inside;
    try {
      const read = await timed(() => ledger.read((tx) => tx.list()));
      assert.deepEqual(read.result, [], "the snapshot does not see the uncommitted write");
      assert.ok(read.ms < 1_000, `${read.ms} ms`);
      const second = await timed(() => writeServer(ledger, "s2", Date.now() + 200));
      assertBusy(second.error, url, "deadline from timeouts");
      assert.ok(second.ms >= 150 && second.ms < 2_000, `${second.ms} ms`);
    } finally {
      release();
      await writing;
    }
    assert.deepEqual((await ledger.read((tx) => tx.list())).map((r) => r.key), ["s1"]);
    await ledger.close();
  });
});

describe("ledger busy: PostgreSQL, another client holds the advisory write lock", function () {
  this.timeout(60_000);
  let holder: Client | undefined;
  let ledger: Ledger | undefined;
  after(async () => {
    await holder?.end().catch(() => undefined);
    await ledger?.close().catch(() => undefined);
  });

  it("a read does not wait; a write with a 300 ms deadline gets busy naming the ledger; released, it goes through", async () => {
    const url = await (await sharedPostgres()).createDatabase();
    ledger = await openLedger(url);
    await writeServer(ledger, "s1");
    holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT pg_advisory_xact_lock($1, 1)", [0x6f747472]);

    const read = await timed(() => ledger!.read((tx) => tx.list()));
    assert.deepEqual((read.result as LedgerRecord[]).map((r) => r.key), ["s1"], String(read.error));
    assert.ok(read.ms < 1_000, `read took ${read.ms} ms`);

    const t = await timed(() => writeServer(ledger!, "s2", Date.now() + 300));
    assertBusy(t.error, url, "deadline from timeouts");
    assert.ok(t.ms >= 250 && t.ms < 2_000, `waited ${t.ms} ms`);
    assert.ok(t.maxGap < 200, `the event loop stalled for ${t.maxGap} ms`);

    await holder.query("COMMIT");
    await writeServer(ledger, "s2", Date.now() + 5_000);
    assert.deepEqual((await ledger.read((tx) => tx.list())).map((r) => r.key), ["s1", "s2"]);
  });

  it("without a deadline the URL's lock_timeout is the limit, named in the message", async () => {
    const url = await (await sharedPostgres()).createDatabase();
    const l = await openLedger(`${url}?lock_timeout=150`);
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      await c.query("BEGIN");
      await c.query("SELECT pg_advisory_xact_lock($1, 1)", [0x6f747472]);
      const err = await rejects(writeServer(l, "s1"));
      assertBusy(err, `${url}?lock_timeout=150`, "lock_timeout 150 ms");
    } finally {
      await c.end();
      await l.close();
    }
  });
});
