/**
 * Where the write transactions of a PostgreSQL ledger spend their time, for benchmarks and
 * profiling: how long each waited for its lock, how long it then held it (lock acquired -> COMMIT
 * done: the critical section), and which statements ran inside. Off unless a caller assigns
 * `ledger.stats = new WriteStats()`; costs nothing otherwise.
 */

/** A statement's label: its first words (the verb and table), enough to group by. */
export function statementLabel(sql: string): string {
  // A batch (postgres.ts batchSql): "BATCH INSERT objects + INSERT audit".
  if (sql.startsWith("WITH w0 AS (")) {
    const parts = [...sql.matchAll(/w\d+ AS \((\w+ (?:INTO |FROM )?\w+)/g)].map((m) => m[1].replace(/ (INTO|FROM) /, " "));
    return `BATCH ${parts.join(" + ")}${sql.endsWith(" + COMMIT") ? " + COMMIT" : ""}`;
  }
  const words = sql.replace(/\s+/g, " ").trim().split(" ");
  const verb = words[0].toUpperCase();
  const table = words.findIndex((w, i) => i > 0 && /^(FROM|INTO|UPDATE)$/i.test(words[i - 1]));
  return table > 0 ? `${verb} ${words[table]}` : words.slice(0, 2).join(" ");
}

export interface WriteStatsSummary {
  readonly transactions: number;
  /** Ledger transactions (callers' `transaction()` calls) run inside them: more than one when grouped. */
  readonly jobs: number;
  /** Total time the lock was held, ms. */
  readonly totalHoldMs: number;
  /** Per transaction, in ms. */
  readonly medianWaitMs: number;
  readonly medianHoldMs: number;
  readonly meanHoldMs: number;
  readonly statementsPerTx: number;
  /** Mean ms per transaction spent in each statement label (COMMIT included), largest first. */
  readonly perTx: readonly { readonly label: string; readonly count: number; readonly ms: number }[];
  /** Transactions by lock mode. */
  readonly modes: Readonly<Record<string, number>>;
  /** Speculative transactions (speculation.ts) by outcome: committed, or "missed: why" (then run again under the lock). */
  readonly speculations: Readonly<Record<string, number>>;
}

export class WriteStats {
  private readonly waits: number[] = [];
  private readonly holds: number[] = [];
  private statements = 0;
  private jobs = 0;
  private readonly bySql = new Map<string, { count: number; ms: number }>();
  private readonly modes: Record<string, number> = {};
  private readonly speculations: Record<string, number> = {};

  speculation(outcome: string): void {
    this.speculations[outcome] = (this.speculations[outcome] ?? 0) + 1;
  }

  /**
   * One statement inside a held transaction. Kept by its text and labelled in `summary()`: the
   * label's regular expressions, run per statement, cost a benchmark's every process about 2% of
   * its CPU (only one process's figures are printed).
   */
  statement(sql: string, ms: number): void {
    this.statements++;
    const s = this.bySql.get(sql);
    if (s) {
      s.count++;
      s.ms += ms;
    } else this.bySql.set(sql, { count: 1, ms });
  }

  /** One database transaction running `jobs` ledger transactions: lock wait, then hold (lock acquired -> committed or rolled back). */
  transaction(mode: string, waitMs: number, holdMs: number, jobs: number): void {
    this.jobs += jobs;
    this.waits.push(waitMs);
    this.holds.push(holdMs);
    this.modes[mode] = (this.modes[mode] ?? 0) + 1;
  }

  private byLabel(): Map<string, { count: number; ms: number }> {
    const out = new Map<string, { count: number; ms: number }>();
    for (const [sql, s] of this.bySql) {
      const label = statementLabel(sql);
      const sum = out.get(label) ?? { count: 0, ms: 0 };
      sum.count += s.count;
      sum.ms += s.ms;
      out.set(label, sum);
    }
    return out;
  }

  summary(): WriteStatsSummary {
    const n = this.holds.length || 1;
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    return {
      transactions: this.holds.length,
      jobs: this.jobs,
      totalHoldMs: this.holds.reduce((a, b) => a + b, 0),
      medianWaitMs: med(this.waits),
      medianHoldMs: med(this.holds),
      meanHoldMs: this.holds.reduce((a, b) => a + b, 0) / n,
      statementsPerTx: this.statements / n,
      perTx: [...this.byLabel().entries()].map(([label, s]) => ({ label, count: s.count / n, ms: s.ms / n })).sort((a, b) => b.ms - a.ms),
      modes: { ...this.modes },
      speculations: { ...this.speculations },
    };
  }
}
