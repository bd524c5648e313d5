/**
 * A review session: how a front end's batch grows and in which order its changes are judged.
 * Terraform (one PlanResourceChange per resource) and the Pulumi dynamic provider (one Check per
 * resource) feed it one change at a time; the session keeps the changes accepted so far and asks
 * the engine's Planner about each new one together with them (rules.ts says what they count on).
 *
 * Blame is deterministic: changes that arrive together (Terraform and Pulumi plan independent
 * resources in parallel) are collected for a short quiet period (`waveMs`) and judged in the
 * rulebook's order (order.ts: dependants' deletes first, inventory before what uses it, then by
 * address), so when they cross a limit together the last ones in address order are refused, whatever
 * order the calls happened to arrive in. (A plan wider than Terraform's -parallelism, default 10,
 * arrives in several waves; blame is by address within each wave.)
 *
 * A workload's delete sorts first in any wave and never changes another workload delete's verdict,
 * so it is judged on arrival (order.ts, judgedOnArrival): a destroy does not wait out the waves.
 *
 * Example: VMs e, b, a, d, c arrive together, 2 cores each, limit 8 -> a, b, c, d pass and e is
 * refused, every run.
 */
import type { Diagnostic, PlannedChange, PlanResult } from "../contract";
import { batchWith } from "../batch";
import { judgedOnArrival, orderChanges } from "./order";

export interface SessionPlanner {
  plan(changes: readonly PlannedChange[]): Promise<PlanResult>;
}

export interface ReviewRequest {
  /** False for a change whose identity is not known yet: judged now, never kept for later checks. */
  readonly remember?: boolean;
  /** Which accepted changes to judge it with (default all; Terraform's review_checks = "resource" narrows it). */
  readonly with?: (other: PlannedChange) => boolean;
}

interface Waiting {
  readonly change: PlannedChange;
  readonly request: ReviewRequest;
  readonly resolve: (d: Diagnostic[]) => void;
  readonly reject: (e: unknown) => void;
}

/** Quiet time that closes a wave of concurrent reviews, and the longest a wave stays open. */
export const WAVE_MS = 30;
const WAVE_MAX_MS = 500;


export class ReviewSession {
  private readonly entries = new Map<string, PlannedChange>();
  private wave: Waiting[] = [];
  private timer?: NodeJS.Timeout;
  private opened = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly planner: () => Promise<SessionPlanner>,
    private readonly waveMs = WAVE_MS,
  ) {}

  /** `change` as it will be recorded: a replace stays a replace when the front end re-plans it as a create. */
  prepare(change: PlannedChange): PlannedChange {
    const previous = change.address ? this.entries.get(change.address) : undefined;
    if (previous?.action === "replace" && change.action === "create") return { ...change, action: "replace", ...(previous.id ? { id: previous.id } : {}) };
    return change;
  }

  /**
   * The diagnostics of `change` (those of its address, and those of no address), judged together
   * with the changes accepted before it. A change without errors is accepted (kept for the
   * checks after it) unless `remember` is false.
   */
  review(change: PlannedChange, request: ReviewRequest = {}): Promise<Diagnostic[]> {
    return new Promise((resolve, reject) => {
      // Sorted first in any wave and judged alone (order.ts): no need to wait for the wave.
      if (judgedOnArrival(change)) {
        const alone: Waiting[] = [{ change, request, resolve, reject }];
        this.chain = this.chain.then(() => this.judge(alone));
        return;
      }
      if (!this.wave.length) this.opened = Date.now();
      this.wave.push({ change, request, resolve, reject });
      clearTimeout(this.timer);
      const wait = Math.max(0, Math.min(this.waveMs, this.opened + WAVE_MAX_MS - Date.now()));
      this.timer = setTimeout(() => this.close(), wait);
    });
  }

  /** Closes the current wave: its changes are judged in address order, after any wave before it. */
  private close(): void {
    const byChange = new Map(this.wave.map((w) => [w.change, w]));
    const wave = orderChanges(this.wave.map((w) => w.change)).map((c) => byChange.get(c)!);
    this.wave = [];
    this.chain = this.chain.then(() => this.judge(wave));
  }

  /**
   * The batch `change` is judged in: every accepted change in first-accepted order, `change` in its
   * own place when re-planned (Terraform plans again at apply time), else last. A stable order lets
   * the Planner continue from its previous plan instead of replanning everything.
   */
  batchWith(change: PlannedChange): PlannedChange[] {
    return change.address ? batchWith(this.entries, change.address, change) : [...this.entries.values(), change];
  }

  private async judge(wave: readonly Waiting[]): Promise<void> {
    for (const w of wave) {
      try {
        const { change, request } = w;
        const batch = this.batchWith(change).filter((c) => c === change || !request.with || request.with(c));
        const result = await (await this.planner()).plan(batch);
        const mine = result.diagnostics.filter((d) => d.address === undefined || d.address === change.address);
        if (!mine.some((d) => d.severity === "error") && request.remember !== false) this.remember(change);
        w.resolve(mine);
      } catch (e) {
        w.reject(e);
      }
    }
  }

  /** Keeps a change under its address for the checks after it. */
  remember(change: PlannedChange): void {
    if (change.address) this.entries.set(change.address, change);
  }

  get(address: string): PlannedChange | undefined {
    return this.entries.get(address);
  }

  /** This change will not happen (its apply failed): later checks stop counting it. */
  forget(address: string): void {
    this.entries.delete(address);
  }

  /** The accepted changes, in the order they were first accepted. */
  pending(): PlannedChange[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }
}
