/**
 * Opens the engine from configuration: the one entry point every front end uses. Opening writes
 * nothing (reads never write): rows a crashed run left behind are settled by the first mutation,
 * or by `otterscale reconcile --apply`.
 */
import { openControllers } from "../controllers/registry";
import { openLedger, shouldCreate } from "../ledger/open";
import { Engine } from "../engine/engine";
import { resolveConfig } from "../engine/config";
import type { EngineApi, EngineConfig } from "./api";

export async function openEngine(config: EngineConfig = {}): Promise<Engine> {
  const c = resolveConfig(config);
  // Only the embedded default location (or an explicit request) is created on first use: a
  // mistyped ledger_url must never become a new, empty ledger.
  const ledger = await openLedger(c.ledgerUrl, { create: config.createLedger === true || shouldCreate(c.ledgerUrl, c.home, process.env) });
  try {
    return new Engine(ledger, openControllers(c.controllerUrl), c.leaseMs, c.render);
  } catch (e) {
    await ledger.close();
    throw e;
  }
}

export type { EngineApi, EngineConfig };
