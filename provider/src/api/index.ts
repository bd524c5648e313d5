/**
 * The one door into the engine for every front end (Terraform, Pulumi, CDKTF helpers, the CLI):
 * opening an engine, the contract it speaks, the read models it answers with, and ledger
 * administration. Front ends import from here and never from ledger/ or controllers/ (a test
 * checks the import graph). Opening writes nothing (reads never write): rows a crashed run left
 * behind are settled by the first mutation, or by `otterscale reconcile --apply`.
 */
import { openControllers } from "../controllers/registry";
import { copyLedger, type CopySummary } from "../ledger/migrate";
import { initLedger, openLedger, redactUrl, shouldCreate, type InitResult } from "../ledger/open";
import { Engine } from "../engine/engine";
import { resolveConfig } from "../engine/config";
import type { EngineConfig } from "../engine/contract";

/**
 * The engine over the configured ledger and controllers. `createLedger`: true creates a missing
 * ledger, false never does, unset creates only the embedded default location, so a mistyped
 * ledger_url never becomes a new, empty ledger.
 */
export async function openEngine(config: EngineConfig = {}): Promise<Engine> {
  const c = resolveConfig(config);
  // The ledger first: when it does not exist, nothing else (a manifests directory) is made either.
  const ledger = await openLedger(c.ledgerUrl, { create: config.createLedger ?? shouldCreate(c.ledgerUrl, c.home, process.env) });
  try {
    return new Engine(ledger, openControllers(c.controllerUrl), c.leaseMs, { gpuDevices: c.gpuDevices, vclusterChartVersion: c.vclusterChartVersion });
  } catch (e) {
    await ledger.close();
    throw e;
  }
}

/** Ledger administration: only `otterscale ledger init` and `ledger migrate --to` create ledgers. */
export const ledgerAdmin = {
  init: (url: string): Promise<InitResult> => initLedger(url),
  /** The id and label of an existing ledger (refuses one that does not exist). */
  async identify(url: string): Promise<{ url: string; id: string }> {
    const l = await openLedger(url);
    await l.close();
    return { url: l.url, id: l.id };
  },
  migrate: (from: string, to: string): Promise<CopySummary> => copyLedger(from, to),
  /** Whether the ledger's usage and load totals equal the sums of its rows (a read: writes nothing). */
  async check(url: string): Promise<{ url: string; id: string; drift: string[] }> {
    const l = await openLedger(url);
    try {
      return { url: l.url, id: l.id, drift: await l.read(async (tx) => (await tx.totalsDrift?.()) ?? []) };
    } finally {
      await l.close();
    }
  },
  /** A ledger URL for messages, password hidden. */
  label: (url: string): string => redactUrl(url),
};

export type { Engine };
export type * from "../engine/contract";
export { DRIFTED } from "../engine/contract";
/** The kind rulebook: front ends ask it instead of branching on kind names. */
export { rulesOf, isInventoryKind, type KindRules } from "../kinds";
export type { AuditEvent, AuditFilter, Snapshot } from "../engine/queries";
export { QUOTA_DIMENSIONS, RESOURCE_DIMENSIONS } from "../engine/views";
export type * from "../engine/views";

/** Hand-off: write rendered objects into a directory in the gitops controller's layout (`otterscale export`). */
export { exportManifests } from "../controllers/gitops/export";

/** The Secret (namespace, name, key) where the backend keeps an object's credentials, for kinds that have them (a vCluster's kubeconfig). */
export { credentialsSecretOf } from "../controllers/render";
