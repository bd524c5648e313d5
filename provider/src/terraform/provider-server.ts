/**
 * The provider's RPC handlers (the "framework server" layer) for managed resources: read, plan
 * (with the review session), apply, import, state upgrade; the rest is in provider-core.ts.
 * tfplugin6 request objects in, response objects out. Values are converted with
 * from-proto/to-proto; every failure becomes a diagnostic in the response, never a gRPC error.
 * The engine is injected (`EngineOpener`) and opened lazily on the first call that needs it.
 */
import { DRIFTED, type PlannedChange } from "../engine/contract";
import type { ResourceKind } from "../catalog/catalog";
import { typeNameOf, WORKLOAD_KINDS } from "../catalog/catalog";
import { resourceSpec, type ObjectSpec } from "./schema";
import { diagnosticsToProto, dynamicValue } from "./to-proto";
import { fromDynamicValue, fromRawState } from "./from-proto";
import { error, fromEngineDiagnostic, fromError, hasErrors, warning, type TfDiagnostic } from "./diagnostics";
import { argsOf, asUpdate, normalize, planResource, refreshedState, resolvePlanned, unknownPaths } from "./plan";
import { addressOf, identityOf } from "./pending";
import { ReviewSession } from "../engine/review/session";
import { timeoutMsOf } from "./timeouts";
import { capabilityDiagnostics, withWriteOnlyValues } from "./write-only";
import { matchStandIns, withConfiguredSecrets, withStandIns } from "./hashed";
import { isWhollyKnown, valuesEqual, type TfObject, type TfValue } from "./codec/types";
import { log } from "./log";
import { checkPrivate, importedPrivate, privateFor, settledPrivate, takeoverPending, withOwner } from "./private-state";
import { ProviderCore, str, unknownType, type Req, type Res } from "./provider-core";
export type { EngineOpener } from "./provider-core";

const kindOf = (spec: ObjectSpec) => spec.kind as ResourceKind;

const WORKLOADS: ReadonlySet<string> = new Set(WORKLOAD_KINDS);

export class ProviderServer extends ProviderCore {
  /** The changes of this run planned so far, judged together (engine/review: the one rulebook). */
  private readonly session = new ReviewSession(() => this.getEngine());
  /**
   * Addresses whose create this process applied on an object that already existed (a retry that
   * kept it). A delete of the same identity after it is the deposed copy of that very object
   * (create_before_destroy creates first): deleting it would destroy what the create just kept.
   */
  private readonly kept = new Set<string>();

  protected plannedCreate(kind: ResourceKind, id: string): boolean {
    const action = this.session.get(addressOf(typeNameOf(kind), id))?.action;
    return action === "create" || action === "replace";
  }

  async UpgradeResourceState(req: Req): Promise<Res> {
    const spec = resourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("resource", req.type_name)]) };
    // Read with the current type, it already has exactly that shape (what normalize would make of it).
    const state = fromRawState(req.raw_state, spec.type);
    return { upgraded_state: dynamicValue(state, spec.type), diagnostics: [] };
  }

  // ---- managed resources ---------------------------------------------------------------------

  async ReadResource(req: Req): Promise<Res> {
    const spec = resourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("resource", req.type_name)]) };
    const prior = fromDynamicValue(req.current_state, spec.type);
    const id = str((prior as TfObject | null)?.id);
    if (!prior || !id) return { new_state: req.current_state, diagnostics: [], private: req.private };
    try {
      const engine = await this.getEngine();
      checkPrivate(req.private, engine, `the state of ${spec.typeName} ${id}`);
      const owner = this.owner.of(req.private);
      // An object another workspace took over (terraform import there) reads as gone here; an
      // object this one imported stays visible until the apply takes it over.
      const read = await engine.read(kindOf(spec), id, takeoverPending(req.private) ? {} : { owner });
      const state = read === undefined ? null : refreshedState(spec, prior, read);
      if (read === undefined) log("debug", "resource gone, removing from state", { type: spec.typeName, id });
      const drift = read?.status === DRIFTED ? (engine.driftOf?.(kindOf(spec), id) ?? []) : [];
      const diags = drift.length ? [driftWarning(spec.typeName, id, drift)] : [];
      return { new_state: dynamicValue(state, spec.type), diagnostics: diagnosticsToProto(diags), private: privateFor(engine.ledgerId, req.private, owner) };
    } catch (e) {
      return { new_state: req.current_state, private: req.private, diagnostics: diagnosticsToProto(fromError(e, `reading ${spec.typeName} ${id}`)) };
    }
  }

  async PlanResourceChange(req: Req): Promise<Res> {
    const spec = resourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("resource", req.type_name)]) };
    const prior = fromDynamicValue(req.prior_state, spec.type);
    // A secret the configuration repeats unchanged after an import keeps its stand-in (hashed.ts).
    const config = matchStandIns(kindOf(spec), prior, fromDynamicValue(req.config, spec.type));
    let outcome = planResource(spec, prior, config);
    const takeover = !!prior && takeoverPending(req.prior_private);
    // An import does not take the object over by itself (a plan with import blocks must write
    // nothing): the apply after it does, so the plan shows an update.
    if (takeover && outcome.planned !== null && !outcome.changed) outcome = asUpdate(spec, outcome.planned as TfObject);
    const diags: TfDiagnostic[] = capabilityDiagnostics(kindOf(spec), config, req.client_capabilities);
    if (hasErrors(diags)) return { planned_state: req.prior_state, diagnostics: diagnosticsToProto(diags) };
    if (prior && req.prior_private?.length) {
      const engine = await this.getEngine().catch(() => undefined); // an unopenable engine is reported by the review below
      try {
        if (engine) checkPrivate(req.prior_private, engine, `the state of ${spec.typeName} ${str((prior as TfObject).id) ?? ""}`.trim());
      } catch (e) {
        return { planned_state: req.prior_state, diagnostics: diagnosticsToProto(fromError(e, `planning ${spec.typeName}`)) };
      }
    }
    const owner = this.owner.of(prior ? req.prior_private : undefined);
    if (outcome.planned !== null && outcome.changed) diags.push(...(await this.reviewChange(spec, prior, outcome.planned, outcome.requiresReplace.length > 0, owner, takeover)));
    // A null proposed state is a delete (plan_destroy): what apply would refuse (deletion_protection,
    // dependants, a quota in use) is refused here, naming the blocker, before anything is destroyed.
    else if (outcome.planned === null && prior) diags.push(...(await this.reviewDelete(spec, prior as TfObject, owner)));
    return {
      planned_state: dynamicValue(outcome.planned, spec.type),
      requires_replace: outcome.requiresReplace.map((name) => ({ steps: [{ attribute_name: name }] })),
      // The apply acts as the owner the plan checked (a new workspace's random id included).
      planned_private: outcome.planned === null ? req.prior_private : withOwner(req.prior_private, owner),
      diagnostics: diagnosticsToProto(diags),
    };
  }

  /** Asks the engine about this change together with the others planned in this process. */
  private async reviewChange(spec: ObjectSpec, prior: TfValue, planned: TfValue, replace: boolean, owner: string, takeover = false): Promise<TfDiagnostic[]> {
    const kind = kindOf(spec);
    const args = argsOf(spec, planned);
    const priorId = str((prior as TfObject | null)?.id);
    const identity = identityOf(kind, args) ?? priorId;
    const address = addressOf(spec.typeName, identity);
    const action: PlannedChange["action"] = !prior ? "create" : replace ? "replace" : "update";
    const unknown = unknownPaths(planned);
    const change = this.session.prepare({ action, kind, args, address, owner, ...(takeover ? { takeover } : {}), ...(priorId ? { id: priorId } : {}), ...(unknown.length ? { unknown } : {}) });
    try {
      // review_checks = "resource": the other workloads of this plan are left to apply time, but
      // servers, groups and quotas it creates still count (a VM needs its group and quota).
      const alone = this.reviewAlone ? { with: (c: PlannedChange) => !WORKLOADS.has(c.kind) } : {};
      return (await this.session.review(change, { remember: !!identity, ...alone })).map(fromEngineDiagnostic);
    } catch (e) {
      return fromError(e, `planning ${address}`, kind);
    }
  }

  /** Asks the engine whether deleting `prior` would be refused, together with the others planned in this process. */
  private async reviewDelete(spec: ObjectSpec, prior: TfObject, owner: string): Promise<TfDiagnostic[]> {
    const id = str(prior.id);
    if (!id) return [];
    const kind = kindOf(spec);
    const address = addressOf(spec.typeName, id);
    // The same identity planned as a current object: this is its deposed copy (a replacement left
    // half-done), whose delete never blocks a plan (engine/review/rules.ts).
    const current = this.session.get(address);
    const deposed = !!current && current.action !== "delete";
    const change: PlannedChange = { action: "delete", kind, id, address, owner, ...(deposed ? { deposed } : {}) };
    try {
      // Another workspace's object reads as gone here (its refresh drops it from state, and the
      // apply deletes nothing): there is nothing for this workspace to be refused.
      const holder = await (await this.getEngine()).ownerOf(kind, id);
      if (holder && holder !== owner) return [];
      return (await this.session.review(change, { remember: !deposed })).map(fromEngineDiagnostic);
    } catch (e) {
      return fromError(e, `planning the destroy of ${address}`, kind);
    }
  }

  async ApplyResourceChange(req: Req): Promise<Res> {
    const spec = resourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("resource", req.type_name)]) };
    const kind = kindOf(spec);
    const prior = fromDynamicValue(req.prior_state, spec.type) as TfObject | null;
    const planned = fromDynamicValue(req.planned_state, spec.type) as TfObject | null;
    const priorId = str(prior?.id);
    const identity = planned ? (identityOf(kind, argsOf(spec, planned)) ?? priorId) : priorId;
    const address = addressOf(spec.typeName, identity);
    // Terraform stores the response's private data even when the call fails: a failure that
    // keeps the prior object keeps its private data too (the ledger it belongs to, or the
    // foreign ledger that got it refused), else the next run would have forgotten it.
    const kept = prior ? { private: req.planned_private } : {};
    const engine = await this.getEngine().catch((e) => e as Error);
    if (engine instanceof Error) return { new_state: req.prior_state, ...kept, diagnostics: diagnosticsToProto(fromError(engine, "opening the engine")) };
    const owner = this.owner.of(req.planned_private);
    const takeover = !!prior && takeoverPending(req.planned_private);
    try {
      if (prior) checkPrivate(req.planned_private, engine, `the state of ${address}`);
      if (!planned) {
        if (this.kept.has(address)) {
          log("info", "not deleting: this run's create made the same object current (a deposed copy of it)", { address });
          return { new_state: dynamicValue(null, spec.type), diagnostics: [] };
        }
        if (priorId) await engine.delete(kind, priorId, this.opts(timeoutMsOf(prior, "delete"), owner));
        return { new_state: dynamicValue(null, spec.type), diagnostics: [] };
      }
      let result: unknown;
      // Write-only values, and secrets the plan holds as stand-ins, come from the configuration.
      const config = fromDynamicValue(req.config, spec.type);
      const args = withConfiguredSecrets(kind, withWriteOnlyValues(kind, argsOf(spec, planned), config), config);
      if (!prior) {
        // A create of what already exists is a retry that keeps the object (the deposed case below).
        const existed = identity !== undefined && (await engine.ownerOf(kind, identity)) !== undefined;
        result = await engine.create(kind, args, this.opts(timeoutMsOf(planned, "create"), owner));
        if (existed) this.kept.add(address);
      }
      else if (takeover || planResource(spec, prior, planned).changed) {
        result = await engine.update(kind, priorId ?? "", args, { ...this.opts(timeoutMsOf(planned, "update"), owner), ...(takeover ? { takeover } : {}) });
      } else result = prior; // only `timeouts` changed: nothing for the engine to do
      const state = resolvePlanned(planned, result as TfValue, spec.type);
      return { new_state: dynamicValue(state, spec.type), private: settledPrivate(engine.ledgerId, req.planned_private, owner), diagnostics: diagnosticsToProto(consistencyWarnings(spec, planned, result)) };
    } catch (e) {
      // This change will not happen: stop counting it in later checks of this run. (An applied
      // change stays in the batch: the engine's plan then finds it in the ledger and does not
      // count it twice, and the batch keeps growing so the engine can plan incrementally.)
      this.session.forget(address);
      // Create failed: nothing exists. Update/delete failed: the prior object is still there.
      return { new_state: prior ? req.prior_state : dynamicValue(null, spec.type), ...kept, diagnostics: diagnosticsToProto(fromError(e, `applying ${address}`, kind)) };
    }
  }

  async ImportResourceState(req: Req): Promise<Res> {
    const spec = resourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("resource", req.type_name)]) };
    try {
      const engine = await this.getEngine();
      // An import is the explicit way to take an object over. It writes nothing itself (Terraform
      // runs import blocks during plan): the next apply updates the object as this workspace's.
      const owner = this.owner.of(undefined);
      const imported = normalize(await engine.import(kindOf(spec), req.id), spec.type);
      const state = withStandIns(kindOf(spec), imported, (await engine.secretDigests?.(kindOf(spec), req.id)) ?? {});
      return { imported_resources: [{ type_name: req.type_name, state: dynamicValue(state, spec.type), private: importedPrivate(engine.ledgerId, owner, await engine.ownerOf(kindOf(spec), req.id)) }], diagnostics: [] };
    } catch (e) {
      return { diagnostics: diagnosticsToProto(fromError(e, `importing ${req.type_name} ${req.id}`)) };
    }
  }

  async MoveResourceState(req: Req): Promise<Res> {
    return { diagnostics: diagnosticsToProto([error("Move not supported", `otterscale resources cannot be moved from ${req.source_type_name}.`)]) };
  }

  // ---- data sources --------------------------------------------------------------------------

}

/**
 * After apply, the engine must agree with every known planned value; where it does not, the
 * planned value is kept (Terraform would reject the state otherwise) and the user is told.
 */
function consistencyWarnings(spec: ObjectSpec, planned: TfObject, actual: unknown): TfDiagnostic[] {
  if (!actual || typeof actual !== "object") return [];
  const out: TfDiagnostic[] = [];
  const act = normalize(actual, spec.type) as TfObject;
  for (const a of spec.attributes) {
    const p = planned[a.name];
    // An observed value (usage, membership) may move with the other changes of this apply: the
    // state keeps the planned snapshot until the next refresh, as documented; no warning.
    if (!a.computed || a.sensitive || a.observed || !isWhollyKnown(p) || p === null) continue;
    const x = act[a.name];
    if (x !== null && !valuesEqual(x, p, a.type)) {
      out.push(warning("Value changed during apply", `${a.name} is ${JSON.stringify(x)} in the backend but the plan promised ${JSON.stringify(p)}; the next refresh shows the new value.`, [a.name]));
    }
  }
  return out;
}

/** The warning a refresh shows for an object whose backend copy differs from the rendered one. */
function driftWarning(typeName: string, id: string, drift: readonly string[]): TfDiagnostic {
  const shown = drift.slice(0, 10);
  const more = drift.length > shown.length ? `\n  ... and ${drift.length - shown.length} more` : "";
  return warning(
    "Changed outside of otterscale",
    `${typeName} ${id} on the backend differs from the manifest otterscale rendered:\n  ${shown.join("\n  ")}${more}\n` +
      "The ledger keeps its placement and spec; apply re-applies the rendered manifest.",
  );
}
