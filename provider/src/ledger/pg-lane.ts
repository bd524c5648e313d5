/**
 * One-message write transactions, on a connection of their own, committed in groups. A
 * speculative transaction (speculation.ts) ends as one message: BEGIN with the ledger's lock, its
 * checks and writes as one statement, COMMIT. It needs nothing from the client while it runs, so
 * the ones a process has ready at the same moment can share one BEGIN, one lock and one COMMIT:
 * the lock changes hands (between processes, each hand-over a server process to wake) once per
 * group instead of once per transaction. (The write connection, by contrast, carries one
 * transaction at a time: one that reads under the lock must wait for its answers. The lock, taken
 * by every transaction on either connection, is what serialises them.)
 */
import type { Pool, PoolClient, QueryConfig, QueryResult } from "pg";
import { isConnectionFailure } from "./pg-errors";
import { commitSent, corked, ignore, notSent, pipelinedCommit } from "./pg-conn";
import { RolledBackWithOthers } from "./write-queue";

/** What a caller needs to know of a message that failed: whether COMMIT had left (the outcome is then unknown on a lost connection). */
export interface LaneSend {
  committing: boolean;
  /** performance.now() when the server answered BEGIN (the lock was taken). */
  begunAt?: number;
}

/** At most this many transactions share one BEGIN and COMMIT. */
const MAX_GROUP = 32;
/**
 * How many times the rest of a group goes out again after one of its statements failed: a resend
 * is one round trip with the lock held only by the server, a run under the lock holds it across
 * three.
 */
const MAX_RESENDS = 6;

/** A group's answer: every statement's result, or an error per member (`failed`: the one statement that failed). */
type Outcome = { readonly results: QueryResult[] } | { readonly errors: unknown[]; readonly failed?: number };

interface Member {
  readonly statement: QueryConfig;
  readonly deadline?: number;
  readonly state: LaneSend;
  readonly resolve: (r: QueryResult) => void;
  readonly reject: (e: unknown) => void;
}

export class CommitLane {
  private readonly waiting: Member[] = [];
  private sending = false;
  /** The current flush (settles every member it sends; never rejects): close() waits for it. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly conn: PipelinedConnection,
    /** BEGIN with the ledger's lock, waited for until the deadline. */
    private readonly begin: (deadline: number | undefined) => string,
  ) {}

  /**
   * Commits `statement` in a transaction of its own or, when others are waiting, with them:
   * while one group is on the wire the next gathers, and goes out as one BEGIN, one lock, the
   * statements in turn (each sees those before it) and one COMMIT. If one statement fails, the
   * group is rolled back: that one gets its error, the others RolledBackWithOthers.
   */
  send(deadline: number | undefined, statement: QueryConfig, state: LaneSend): Promise<QueryResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ statement, deadline, state, resolve, reject });
      if (!this.sending) this.flushing = this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.sending = true;
    try {
      while (this.waiting.length) await this.sendGroup(this.waiting.splice(0, MAX_GROUP));
    } finally {
      this.sending = false;
    }
  }

  /**
   * Settles every member; never throws. When one statement fails, the group was rolled back for
   * it alone: that member gets its error and the rest go out again as a new group (each still
   * one transaction, checked anew), a bounded number of times.
   */
  private async sendGroup(group: readonly Member[]): Promise<void> {
    let pending = group;
    for (let resend = 0; pending.length; resend++) {
      const outcome = await this.attempt(pending);
      if ("results" in outcome) return pending.forEach((m, i) => m.resolve(outcome.results[i]));
      if (outcome.failed === undefined || resend >= MAX_RESENDS) return pending.forEach((m, i) => m.reject(outcome.errors[i]));
      pending[outcome.failed].reject(outcome.errors[outcome.failed]);
      pending = pending.filter((_, i) => i !== outcome.failed);
    }
  }

  private async attempt(group: readonly Member[]): Promise<Outcome> {
    try {
      const outcome = await this.sendOn(await this.conn.connected(), group);
      // A pooled connection can be dead without the pool knowing yet: when nothing left, once more on a fresh one.
      if ("errors" in outcome && group.every((m) => !m.state.committing) && outcome.errors.some(notSent)) return await this.sendOn(await this.conn.connected(), group);
      return outcome;
    } catch (e) {
      return { errors: group.map(() => e) }; // could not connect
    }
  }

  private async sendOn(client: PoolClient, group: readonly Member[]): Promise<Outcome> {
    const deadlines = group.flatMap((m) => (m.deadline === undefined ? [] : [m.deadline]));
    // The earliest deadline: no member waits for the lock past its own.
    const earliest = deadlines.length ? Math.min(...deadlines) : undefined;
    for (const m of group) m.state.committing = true;
    const { begun: b, statements: ls, commit: c } = await pipelinedCommit(client, this.begin(earliest), group.map((m) => m.statement), () => {
      const now = performance.now();
      for (const m of group) m.state.begunAt = now;
    });
    if (!commitSent(c)) for (const m of group) m.state.committing = false;
    const rejected = (r: PromiseSettledResult<unknown>): r is PromiseRejectedResult => r.status === "rejected";
    const lost = [b, c, ...ls].find((r) => rejected(r) && (isConnectionFailure(r.reason) || notSent(r.reason))) as PromiseRejectedResult | undefined;
    if (lost) {
      this.conn.drop(client);
      return { errors: group.map(() => lost.reason) };
    }
    // A lock timeout at BEGIN is the earliest deadline's: a member that may wait longer was only
    // rolled back with it (nothing ran), and runs again under the lock until its own deadline.
    if (rejected(b)) return { errors: group.map((m) => (earliest === undefined || m.deadline === earliest ? b.reason : new RolledBackWithOthers())) };
    const failed = ls.findIndex(rejected);
    if (failed >= 0) return { errors: group.map((_, i) => (i === failed ? (ls[i] as PromiseRejectedResult).reason : new RolledBackWithOthers())), failed };
    if (rejected(c)) return { errors: group.map(() => c.reason) };
    if (c.value.command !== "COMMIT") return { errors: group.map(() => new Error("the server rolled the transaction back at COMMIT")) };
    return { results: ls.map((l) => (l as PromiseFulfilledResult<QueryResult>).value) };
  }

  /**
   * Releases the lane's connection once every transaction already handed to the lane is settled
   * (the ledger refuses new ones once closing). Released earlier, a group still queued would take
   * the connection from the pool again and never give it back: the pool's end() would wait forever.
   */
  async close(): Promise<void> {
    await this.flushing;
    await this.conn.close();
  }
}

/**
 * One pooled connection in pipeline mode, kept for the ledger's life and replaced when it drops:
 * statements that need no round trip between them share it without waiting for each other.
 */
export class PipelinedConnection {
  private client?: Promise<PoolClient>;
  /** The connected client of `client`, to drop it synchronously. */
  private live?: PoolClient;
  /** Drops the client when its connection ends or fails, so the next statement starts on a fresh one. */
  private readonly lost = () => {
    if (this.live) this.drop(this.live);
  };

  constructor(private readonly pool: Pool) {}

  /** One statement on its own (no transaction), sharing the connection with any others in flight. */
  async query(statement: QueryConfig): Promise<QueryResult> {
    const client = await this.connected();
    try {
      return await corked(client, () => client.query(statement));
    } catch (e) {
      if (isConnectionFailure(e) || notSent(e)) this.drop(client);
      throw e;
    }
  }

  connected(): Promise<PoolClient> {
    this.client ??= this.pool.connect().then(
      (c) => {
        // A connection that ends (the server restarted, an idle timeout) fails the messages in
        // flight on their own; the next ones must not be sent on it.
        c.on("error", this.lost);
        c.on("end", this.lost);
        this.live = c;
        return c;
      },
      (e: unknown) => {
        this.client = undefined;
        throw e;
      },
    );
    return this.client;
  }

  drop(client: PoolClient): void {
    if (this.live !== client) return; // already dropped by another message that failed with it
    this.client = this.live = undefined;
    client.removeListener("end", this.lost);
    client.release(true);
    client.on("error", ignore); // keep swallowing late errors of the released socket
    client.removeListener("error", this.lost);
  }

  async close(): Promise<void> {
    const c = await this.client?.catch(() => undefined);
    this.client = this.live = undefined;
    if (c) {
      c.removeListener("end", this.lost);
      c.removeListener("error", this.lost);
      c.release();
    }
  }
}
