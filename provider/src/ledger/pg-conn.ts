/**
 * One PostgreSQL transaction's connection and the SQL driver SqlTx runs on it: prepared
 * statements, batched writes (one statement for several tables), and the pipelining that puts a
 * transaction's BEGIN (with the write lock) on the wire with its first statement and its COMMIT
 * with its last writes.
 */
import type { PoolClient, QueryConfig, QueryResult } from "pg";
import { isConnectionFailure } from "./pg-errors";
import type { WriteStats } from "./pg-stats";
import type { Row } from "./sql";
import { UnexpectedRowCount, type SqlDriver, type Statement } from "./write-queue";

/** `?` placeholders (the shared SQL) to `$1..$n`, leaving quoted literals alone. */
export function toDollarParams(sql: string): string {
  let n = 0;
  let quoted = false;
  let out = "";
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === "?" && !quoted ? `$${++n}` : ch;
  }
  return out;
}

/** Statement text -> prepared statement name and `$n` text (prepared once per connection by `pg`). */
const statements = new Map<string, { readonly name: string; readonly text: string }>();
export function prepared(sql: string, values: readonly unknown[]): QueryConfig {
  let s = statements.get(sql);
  if (!s) statements.set(sql, (s = { name: `otterscale_${statements.size + 1}`, text: toDollarParams(sql) }));
  return { name: s.name, text: s.text, values: values as unknown[] };
}

export function driverOf(conn: Conn, stats?: WriteStats): SqlDriver {
  const query = stats
    ? async (sql: string, params: readonly unknown[]) => {
        const t0 = performance.now();
        try {
          return await conn.query(prepared(sql, params));
        } finally {
          stats.statement(sql, performance.now() - t0);
        }
      }
    : (sql: string, params: readonly unknown[]) => conn.query(prepared(sql, params));
  return {
    all: async (sql, params = []) => (await query(sql, params)).rows as Row[],
    run: async (sql, params = []) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
    batch: async (statements) => {
      const [row] = (await query(batchSql(statements), statements.flatMap((s) => s.params))).rows as Row[];
      return statements.map((_, i) => Number(row[`n${i}`]));
    },
    commitWith: (statements) => commitBatch(statements, (cfg) => conn.queryAndCommit(cfg), stats),
  };
}

/**
 * `statements` as one checked batch sent with COMMIT by `send` (the write connection's last
 * statement, or a commit-lane message); each one's row count. A statement whose count is not the
 * one it expects rolls the transaction back: `UnexpectedRowCount` names it.
 */
export async function commitBatch(statements: readonly Statement[], send: (cfg: QueryConfig) => Promise<QueryResult>, stats?: WriteStats): Promise<number[]> {
  const sql = batchSql(statements, true);
  const t0 = performance.now();
  try {
    const [row] = (await send(prepared(sql, statements.flatMap((s) => s.params)))).rows as Row[];
    return statements.map((_, i) => Number(row[`n${i}`]));
  } catch (e) {
    const failed = /otterscale: unexpected row count in w(\d+)/.exec(String((e as Error).message));
    throw failed ? new UnexpectedRowCount(Number(failed[1])) : e;
  } finally {
    stats?.statement(`${sql} + COMMIT`, performance.now() - t0);
  }
}

/**
 * Writes on different tables as one statement: each a data-modifying WITH query, all run to
 * completion against one snapshot (none sees another's rows: hence different tables), and the
 * row count of each. Placeholders stay in order, so the parameters are the statements' in turn.
 */
export function batchSql(statements: readonly Statement[], check = false): string {
  const parts = statements.map((s, i) => `w${i} AS (${s.sql}${s.read ? "" : " RETURNING 1"})`);
  const counts = statements.map((_, i) => `(SELECT COUNT(*) FROM w${i}) AS n${i}`);
  // `check`: the server refuses (an error, so a COMMIT sent behind it rolls back) when a
  // statement changed another number of rows than it expects. The cast of a computed text to
  // INTEGER is SQL's way to raise; the text names the statement.
  const expected = statements.flatMap((s, i) => (check && s.expect !== undefined ? [`WHEN (SELECT COUNT(*) FROM w${i}) <> ${s.expect} THEN 'otterscale: unexpected row count in w${i}'`] : []));
  // First, and a CASE stops at its first failing WHEN: a failed check raises before a later
  // write of the batch runs (the server computes each count when first asked for it), so it is
  // the error reported, not, say, the unique violation of an insert the check was there to stop.
  if (expected.length) counts.unshift(`CAST(CASE ${expected.join(" ")} ELSE '0' END AS INTEGER) AS checked`);
  return `WITH ${parts.join(", ")} SELECT ${counts.join(", ")}`;
}

/**
 * The connection of one transaction. Its BEGIN (with the write lock) is sent lazily, together
 * with the transaction's first statement: on a write connection (`pipeline` mode) both leave in
 * one round trip, and the server runs the statement after the lock is taken (a READ COMMITTED
 * statement's snapshot is taken when it starts, so it sees every write committed before the
 * lock). A transaction that runs no statement begins nothing.
 */
export class Conn {
  private pendingBegin?: string;
  /** When BEGIN (and the lock) completed: performance.now(). */
  begunAt?: number;

  constructor(
    public client: PoolClient,
    begin: string,
    /** A pipeline-mode connection: BEGIN and the first statement need not wait for each other. */
    private readonly pipelined: boolean,
    /** A fresh connection, when the one we hold turns out dead before anything ran on it. */
    private readonly reconnect: () => Promise<PoolClient>,
  ) {
    this.pendingBegin = begin;
  }

  /** The client went back to the pool (a dead one, while a fresh one was being connected). */
  private released = false;

  /** A fresh connection for the dead one (released first: the write pool holds one). */
  private async swap(): Promise<void> {
    await this.abort();
    this.client = await this.reconnect();
    this.released = false;
  }

  /** ROLLBACK and hand the connection back, once. */
  async abort(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await abort(this.client);
  }

  /** Hand the connection back after COMMIT. */
  release(): void {
    this.released = true;
    release(this.client);
  }

  get begun(): boolean {
    return this.pendingBegin === undefined;
  }

  /** COMMIT was sent (its outcome is unknown if the connection fails now). */
  committing = false;
  /** The transaction ended with `queryAndCommit`. */
  committed = false;

  /**
   * The transaction's last statement and COMMIT in one round trip (pipeline mode), BEGIN too
   * when nothing ran before: a transaction that only writes is one round trip, and the write
   * lock is held only while the server runs it. When the statement fails, the server answers
   * the COMMIT by rolling back. Retried on a fresh connection only when nothing was sent (a
   * pooled connection found dead): once sent, a lost connection leaves the outcome unknown.
   */
  async queryAndCommit(cfg: QueryConfig): Promise<QueryResult> {
    if (!this.pipelined) {
      const r = await this.query(cfg);
      this.committing = true;
      await this.client.query("COMMIT");
      this.committed = true;
      return r;
    }
    const begin = this.pendingBegin;
    this.pendingBegin = undefined;
    try {
      return await this.sendAndCommit(begin, cfg);
    } catch (e) {
      if (begin === undefined || !notSent(e)) throw e;
      await this.swap();
      return this.sendAndCommit(begin, cfg);
    }
  }

  private async sendAndCommit(begin: string | undefined, cfg: QueryConfig): Promise<QueryResult> {
    this.committing = true;
    const { begun: b, statements: [l], commit: c } = await pipelinedCommit(this.client, begin, [cfg], () => (this.begunAt = performance.now()));
    this.committed = c.status === "fulfilled" && c.value.command === "COMMIT";
    if (!commitSent(c)) this.committing = false;
    // The first failure is the cause (a lock timeout at BEGIN, then the statement's); COMMIT's answer was ROLLBACK.
    for (const r of [b, l, c]) if (r.status === "rejected") throw r.reason;
    if (!this.committed) throw new Error("the server rolled the transaction back at COMMIT");
    return (l as PromiseFulfilledResult<QueryResult>).value;
  }

  async query(cfg: QueryConfig | string): Promise<QueryResult> {
    const begin = this.pendingBegin;
    if (begin === undefined) return this.client.query(cfg as QueryConfig);
    this.pendingBegin = undefined;
    try {
      return await this.beginWith(begin, cfg);
    } catch (e) {
      // A pooled connection can be dead without the pool knowing yet (server restarted, network
      // blip). Nothing has run: begin once more on a fresh connection.
      if (!isConnectionFailure(e)) throw e;
      await this.swap();
      return this.beginWith(begin, cfg);
    }
  }

  /** Sends BEGIN and the first statement without waiting in between; a failed BEGIN (lock timeout) is the error reported. */
  private async beginWith(begin: string, cfg: QueryConfig | string): Promise<QueryResult> {
    if (!this.pipelined) {
      await this.client.query(begin);
      this.begunAt = performance.now();
      return this.client.query(cfg as QueryConfig);
    }
    const [begun, first] = corked(this.client, () => [this.client.query(begin), this.client.query(cfg as QueryConfig)]);
    first.catch(ignore); // awaited below, once BEGIN succeeded
    await begun;
    this.begunAt = performance.now();
    return first;
  }
}

export function ignore(): void {}

/**
 * BEGIN (unless the transaction has begun), `statements` and COMMIT on the wire together, in one
 * write; each one's answer once all have come (`onBegun` when BEGIN's did: the lock was taken).
 * After a failed statement the server answers the rest with errors and COMMIT with ROLLBACK.
 */
export async function pipelinedCommit(client: PoolClient, begin: string | undefined, statements: readonly QueryConfig[], onBegun: () => void) {
  const [begun, sent, commit] = corked(client, () => [
    begin === undefined ? Promise.resolve(undefined) : client.query(begin).then((r) => (onBegun(), r)),
    statements.map((s) => client.query(s)),
    client.query("COMMIT"),
  ]);
  const [b, c, ...ls] = await Promise.allSettled([begun, commit, ...sent]);
  return { begun: b, statements: ls, commit: c };
}

/**
 * False when COMMIT never left: a client that already lost its connection refuses to send, and
 * the server rolls the transaction back, so the outcome is known (not "may have been saved").
 */
export function commitSent(commit: PromiseSettledResult<unknown>): boolean {
  return !(commit.status === "rejected" && notSent(commit.reason));
}

/**
 * Runs `send` (which queues queries on `client`) with its socket corked: node-pg writes each
 * protocol message (parse, bind, execute, sync...) on its own, and a pipelined burst of three
 * queries would otherwise cost a dozen small writes, about a third of a reservation's CPU.
 */
export function corked<T>(client: PoolClient, send: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream;
  stream?.cork?.();
  try {
    return send();
  } finally {
    stream?.uncork?.();
  }
}



/**
 * ROLLBACK explicitly so a domain error (quota, placement...) leaves nothing behind, then hand
 * the connection back; if it is broken, the server has already aborted the transaction and the
 * connection is discarded.
 */
export async function abort(client: PoolClient): Promise<void> {
  const ok = await client.query("ROLLBACK").then(
    () => true,
    () => false,
  );
  release(client, !ok);
}

export function release(client: PoolClient, destroy = false): void {
  client.removeListener("error", ignore);
  client.release(destroy ? true : undefined);
}

/** node-pg's refusal to send on a client whose connection is already gone: nothing reached the server. */
export function notSent(e: unknown): boolean {
  return /not queryable|Client was closed/.test(String((e as Error | undefined)?.message));
}
