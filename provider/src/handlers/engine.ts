/**
 * Opens the engine from configuration: the one entry point every front end uses.
 */
import { openControllers } from "../controllers/registry";
import { openLedger, shouldCreate } from "../ledger/open";
import { Engine } from "../engine/engine";
import { resolveConfig } from "../engine/config";
import type { EngineApi, EngineConfig } from "./api";

export async function openEngine(config: EngineConfig = {}): Promise<Engine> {
  const c = resolveConfig(config);
  const ledger = await openLedger(c.ledgerUrl, { create: shouldCreate(c.ledgerUrl, c.home, process.env) });
  try {
    const engine = new Engine(ledger, openControllers(c.controllerUrl), c.leaseMs);
    // A previous run may have crashed mid-operation: settle what it left before doing anything.
    await engine.reconcile();
    return engine;
  } catch (e) {
    await ledger.close();
    throw e;
  }
}

export type { EngineApi, EngineConfig };
