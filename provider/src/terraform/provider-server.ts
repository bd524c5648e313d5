/**
 * The provider's RPC handlers (the "framework server" layer): tfplugin6 request objects in,
 * response objects out. Values are converted with from-proto/to-proto; every failure becomes a
 * diagnostic in the response, never a gRPC error. The engine is injected (`EngineOpener`) and
 * opened lazily on the first call that needs it.
 */
import { redactControllerUrl } from "../domain/redact";
import type { EngineApi, EngineConfig, OperationOptions, PlannedChange } from "../api";
import type { DataSourceKind, ResourceKind } from "../schema/catalog";
import { WORKLOAD_KINDS } from "../schema/catalog";
import { dataSourceSpec, providerSpec, resourceSpec, specs, type ObjectSpec } from "./schema";
import { diagnosticsToProto, dynamicValue, schemaToProto } from "./to-proto";
import { fromDynamicValue, fromRawState } from "./from-proto";
import { error, fromEngineDiagnostic, fromError, warning, type TfDiagnostic } from "./diagnostics";
import { argsOf, asUpdate, normalize, planResource, refreshedState, resolvePlanned, unknownPaths } from "./plan";
import { addressOf, identityOf } from "./pending";
import { ReviewSession } from "../engine/review/session";
import { timeoutMsOf } from "./timeouts";
import { validateConfig } from "./validate-config";
import { isUnknown, isWhollyKnown, valuesEqual, type TfObject, type TfValue } from "./codec/types";
import { log } from "./log";
import { checkPrivate, importedPrivate, privateFor, settledPrivate, takeoverPending, withOwner, WorkspaceOwner } from "./private-state";

export type EngineOpener = (config: EngineConfig) => Promise<EngineApi>;

type Req = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Res = Record<string, unknown>;

const kindOf = (spec: ObjectSpec) => spec.kind as ResourceKind;
const str = (v: TfValue | undefined): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

const WORKLOADS: ReadonlySet<string> = new Set(WORKLOAD_KINDS);

/**
 * get_provider_schema_optional: the schema is static and no call needs GetProviderSchema to have
 * run first, so Terraform may answer later provider processes of the same run (a plan starts
 * three) from the schema it cached from the first, instead of asking each process again.
 */
const SERVER_CAPABILITIES = { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false } as const;

export class ProviderServer {
  private engineConfig: EngineConfig = {};
  private engine?: Promise<EngineApi>;
  /** The changes of this run planned so far, judged together (engine/review: the one rulebook). */
  private readonly session = new ReviewSession(() => this.getEngine());
  /**
   * Addresses whose create this process applied. A delete of the same identity after it is the
   * deposed copy of that very object (create_before_destroy creates first; the create found the
   * object and adopted it as a retry): deleting it would destroy what the create just kept.
   */
  private readonly created = new Set<string>();
  /** Who this workspace is (the owner recorded on what it creates or imports). */
  private readonly owner = new WorkspaceOwner();
  /** review_checks = "resource": check each change alone instead of with the plan's others. */
  private reviewAlone = false;
  private stop = new AbortController();
  /** Set by `shutdown`: the process is going away and takes no new work. */
  private down = false;

  constructor(private readonly openEngine: EngineOpener) {}

  // ---- metadata and schema -------------------------------------------------------------------

  async GetMetadata(): Promise<Res> {
    const { resources, dataSources } = specs();
    return {
      server_capabilities: SERVER_CAPABILITIES,
      resources: [...resources.keys()].map((type_name) => ({ type_name })),
      data_sources: [...dataSources.keys()].map((type_name) => ({ type_name })),
      functions: [],
      ephemeral_resources: [],
      diagnostics: [],
    };
  }

  async GetProviderSchema(): Promise<Res> {
    const { resources, dataSources, provider } = specs();
    return {
      provider: schemaToProto(provider),
      resource_schemas: Object.fromEntries([...resources].map(([k, s]) => [k, schemaToProto(s)])),
      data_source_schemas: Object.fromEntries([...dataSources].map(([k, s]) => [k, schemaToProto(s)])),
      functions: {},
      ephemeral_resource_schemas: {},
      server_capabilities: SERVER_CAPABILITIES,
      diagnostics: [],
    };
  }

  // ---- provider configuration ----------------------------------------------------------------

  async ValidateProviderConfig(req: Req): Promise<Res> {
    const spec = providerSpec();
    return { diagnostics: diagnosticsToProto(validateConfig("provider", spec, fromDynamicValue(req.config, spec.type))) };
  }

  async ConfigureProvider(req: Req): Promise<Res> {
    const spec = providerSpec();
    const config = fromDynamicValue(req.config, spec.type) as TfObject | null;
    const diags: TfDiagnostic[] = [];
    const pick = (attr: string, env: string): string | undefined => {
      const v = config?.[attr];
      if (isUnknown(v)) diags.push(error("Provider configuration not known", `${attr} is not known until apply; set it from values known at plan time.`, [attr]));
      return str(v) ?? str(process.env[env]);
    };
    const ledgerUrl = pick("ledger_url", "OTTERSCALE_LEDGER_URL");
    const controllerUrl = pick("controller_url", "OTTERSCALE_CONTROLLER_URL");
    this.reviewAlone = pick("review_checks", "OTTERSCALE_REVIEW_CHECKS") === "resource";
    this.owner.configure(pick("owner", "OTTERSCALE_OWNER"));
    this.engineConfig = { ...(ledgerUrl ? { ledgerUrl } : {}), ...(controllerUrl ? { controllerUrl } : {}) };
    log("debug", "configured", { terraform_version: req.terraform_version, controller_url: controllerUrl ? redactControllerUrl(controllerUrl) : "(default)" });
    return { diagnostics: diagnosticsToProto(diags) };
  }

  private getEngine(): Promise<EngineApi> {
    if (this.down) return Promise.reject(new Error("the provider is shutting down"));
    this.engine ??= this.openEngine(this.engineConfig).catch((e) => {
      this.engine = undefined; // a later call may retry (e.g. the ledger was locked)
      throw e;
    });
    return this.engine;
  }

  private opts(timeoutMs: number | undefined, owner: string): OperationOptions {
    return { ...(timeoutMs ? { timeoutMs } : {}), signal: this.stop.signal, owner };
  }

  // ---- validation and state upgrade ----------------------------------------------------------

  async ValidateResourceConfig(req: Req): Promise<Res> {
    const spec = resourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("resource", req.type_name)]) };
    return { diagnostics: diagnosticsToProto(validateConfig(spec.kind as ResourceKind, spec, fromDynamicValue(req.config, spec.type))) };
  }

  async ValidateDataResourceConfig(req: Req): Promise<Res> {
    const spec = dataSourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("data source", req.type_name)]) };
    return { diagnostics: diagnosticsToProto(validateConfig(spec.kind as DataSourceKind, spec, fromDynamicValue(req.config, spec.type))) };
  }

  async UpgradeResourceState(req: Req): Promise<Res> {
    const spec = resourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("resource", req.type_name)]) };
    const state = normalize(fromRawState(req.raw_state, spec.type), spec.type);
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
      return { new_state: dynamicValue(state, spec.type), diagnostics: [], private: privateFor(engine.ledgerId, req.private, owner) };
    } catch (e) {
      return { new_state: req.current_state, private: req.private, diagnostics: diagnosticsToProto(fromError(e, `reading ${spec.typeName} ${id}`)) };
    }
  }

  async PlanResourceChange(req: Req): Promise<Res> {
    const spec = resourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("resource", req.type_name)]) };
    const prior = fromDynamicValue(req.prior_state, spec.type);
    const config = fromDynamicValue(req.config, spec.type);
    let outcome = planResource(spec, prior, config);
    const takeover = !!prior && takeoverPending(req.prior_private);
    // An import does not take the object over by itself (a plan with import blocks must write
    // nothing): the apply after it does, so the plan shows an update.
    if (takeover && outcome.planned !== null && !outcome.changed) outcome = asUpdate(spec, outcome.planned as TfObject);
    const diags: TfDiagnostic[] = [];
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
        if (this.created.has(address)) {
          log("info", "not deleting: this run's create made the same object current (a deposed copy of it)", { address });
          return { new_state: dynamicValue(null, spec.type), diagnostics: [] };
        }
        if (priorId) await engine.delete(kind, priorId, this.opts(timeoutMsOf(prior, "delete"), owner));
        return { new_state: dynamicValue(null, spec.type), diagnostics: [] };
      }
      let result: unknown;
      if (!prior) {
        result = await engine.create(kind, argsOf(spec, planned), this.opts(timeoutMsOf(planned, "create"), owner));
        this.created.add(address);
      }
      else if (takeover || planResource(spec, prior, planned).changed) {
        result = await engine.update(kind, priorId ?? "", argsOf(spec, planned), { ...this.opts(timeoutMsOf(planned, "update"), owner), ...(takeover ? { takeover } : {}) });
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
      const state = normalize(await engine.import(kindOf(spec), req.id), spec.type);
      return { imported_resources: [{ type_name: req.type_name, state: dynamicValue(state, spec.type), private: importedPrivate(engine.ledgerId, owner, await engine.ownerOf(kindOf(spec), req.id)) }], diagnostics: [] };
    } catch (e) {
      return { diagnostics: diagnosticsToProto(fromError(e, `importing ${req.type_name} ${req.id}`)) };
    }
  }

  async MoveResourceState(req: Req): Promise<Res> {
    return { diagnostics: diagnosticsToProto([error("Move not supported", `otterscale resources cannot be moved from ${req.source_type_name}.`)]) };
  }

  // ---- data sources --------------------------------------------------------------------------

  async ReadDataSource(req: Req): Promise<Res> {
    const spec = dataSourceSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("data source", req.type_name)]) };
    const config = fromDynamicValue(req.config, spec.type);
    try {
      const read = await (await this.getEngine()).readDataSource(spec.kind as DataSourceKind, argsOf(spec, config));
      const state = normalize(read, spec.type) as TfObject;
      for (const a of spec.attributes) if (!a.computed) state[a.name] = (config as TfObject)[a.name] ?? null; // config wins
      return { state: dynamicValue(state, spec.type), diagnostics: [] };
    } catch (e) {
      return { diagnostics: diagnosticsToProto(fromError(e, `reading data source ${spec.typeName}`)) };
    }
  }

  // ---- things this provider does not offer (answered, not left unimplemented) -----------------

  async GetFunctions(): Promise<Res> {
    return { functions: {}, diagnostics: [] };
  }

  async CallFunction(req: Req): Promise<Res> {
    return { error: { text: `otterscale provides no function ${JSON.stringify(req.name)}` } };
  }

  async ValidateEphemeralResourceConfig(req: Req): Promise<Res> {
    return { diagnostics: diagnosticsToProto([unknownType("ephemeral resource", req.type_name)]) };
  }

  async OpenEphemeralResource(req: Req): Promise<Res> {
    return { diagnostics: diagnosticsToProto([unknownType("ephemeral resource", req.type_name)]) };
  }

  async RenewEphemeralResource(req: Req): Promise<Res> {
    return { diagnostics: diagnosticsToProto([unknownType("ephemeral resource", req.type_name)]) };
  }

  async CloseEphemeralResource(): Promise<Res> {
    return { diagnostics: [] };
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Terraform asks running operations to stop (Ctrl-C): signal the engine, keep serving. */
  async StopProvider(): Promise<Res> {
    this.stop.abort(new Error("Terraform asked the provider to stop"));
    if (!this.down) this.stop = new AbortController();
    return { Error: "" };
  }

  /**
   * The process is going away (Terraform is gone, or SIGTERM): stops running operations as
   * StopProvider does, but for good, so a call that still arrives fails at once; waits for
   * `settled` (the calls in flight returning, each having released what it reserved); then closes
   * the engine, which waits for late backend calls to be undone.
   */
  async shutdown(reason: string, settled: () => Promise<void>): Promise<void> {
    this.down = true;
    this.stop.abort(new Error(reason));
    await settled();
    await this.close();
  }

  /** Closes the engine if it was opened. */
  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    if (engine) await (await engine).close();
  }
}

function unknownType(what: string, typeName: string): TfDiagnostic {
  return error(`Unknown ${what} type`, `The otterscale provider has no ${what} ${JSON.stringify(typeName)}.`);
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
    if (!a.computed || a.sensitive || !isWhollyKnown(p) || p === null) continue;
    const x = act[a.name];
    if (x !== null && !valuesEqual(x, p, a.type)) {
      out.push(warning("Value changed during apply", `${a.name} is ${JSON.stringify(x)} in the backend but the plan promised ${JSON.stringify(p)}; the next refresh shows the new value.`, [a.name]));
    }
  }
  return out;
}
