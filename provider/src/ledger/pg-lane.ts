/**
 * One-message write transactions, pipelined on a connection of their own. A speculative
 * transaction (speculation.ts) ends as one message: BEGIN with the ledger's lock, its checks and
 * writes as one statement, COMMIT. It needs nothing from the client while it runs, so several can
 * be on the wire at once: the server runs them one after another, each taking and releasing the
 * lock, and the process never waits a round trip between them. (The write connection, by
 * contrast, carries one transaction at a time: one that reads under the lock must wait for its
 * answers. The lock, taken by every transaction on either connection, is what serialises them.)
 */
import type { Pool, PoolClient, QueryConfig, QueryResult } from "pg";
import { isConnectionFailure } from "./pg-errors";
import { corked, ignore, notSent } from "./pg-conn";

/** What a caller needs to know of a message that failed: whether COMMIT had left (the outcome is then unknown on a lost connection). */
export interface LaneSend {
  committing: boolean;
  /** performance.now() when the server answered BEGIN (the lock was taken). */
  begunAt?: number;
}

export class CommitLane {
  private client?: Promise<PoolClient>;
  /** The connected client of `client`, to drop it synchronously. */
  private live?: PoolClient;

  constructor(private readonly pool: Pool) {}

  /** Sends `begin`, `statement` and COMMIT together; `statement`'s result once committed. */
  async send(begin: string, statement: QueryConfig, state: LaneSend): Promise<QueryResult> {
    try {
      return await this.sendOn(await this.connected(), begin, statement, state);
    } catch (e) {
      // A pooled connection can be dead without the pool knowing yet: when nothing left, once more on a fresh one.
      if (state.committing || !notSent(e)) throw e;
      return this.sendOn(await this.connected(), begin, statement, state);
    }
  }

  private async sendOn(client: PoolClient, begin: string, statement: QueryConfig, state: LaneSend): Promise<QueryResult> {
    const [begun, last, commit] = corked(client, () => [
      client.query(begin).then((r) => ((state.begunAt = performance.now()), r)),
      client.query(statement),
      client.query("COMMIT"),
    ]);
    state.committing = true;
    const [b, l, c] = await Promise.allSettled([begun, last, commit]);
    const failure = [b, l, c].find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (c.status === "rejected" && notSent(c.reason)) state.committing = false;
    if (failure) {
      if (isConnectionFailure(failure.reason) || notSent(failure.reason)) this.drop(client);
      throw failure.reason; // the first failure is the cause (a lock timeout at BEGIN, then the statement's)
    }
    if ((c as PromiseFulfilledResult<QueryResult>).value.command !== "COMMIT") throw new Error("the server rolled the transaction back at COMMIT");
    return (l as PromiseFulfilledResult<QueryResult>).value;
  }

  private connected(): Promise<PoolClient> {
    this.client ??= this.pool.connect().then(
      (c) => {
        c.on("error", ignore); // a dropped connection fails the messages in flight on their own
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

  private drop(client: PoolClient): void {
    if (this.live !== client) return; // already dropped by another message that failed with it
    this.client = this.live = undefined;
    client.removeListener("error", ignore);
    client.release(true);
  }

  async close(): Promise<void> {
    const c = await this.client?.catch(() => undefined);
    this.client = this.live = undefined;
    if (c) {
      c.removeListener("error", ignore);
      c.release();
    }
  }
}
