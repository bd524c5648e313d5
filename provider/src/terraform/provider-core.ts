/**
 * The provider's RPC handlers that are not about managed resources (provider-server.ts has those):
 * metadata and schemas, provider configuration and the lazily opened engine, validation, data
 * sources, ephemeral resources, and the lifecycle (stop, shutdown). tfplugin6 request objects in,
 * response objects out; every failure becomes a diagnostic, never a gRPC error.
 */
import { redactControllerUrl } from "../domain/redact";
import { type EngineApi, type EngineConfig, type OperationOptions } from "../api";
import type { DataSourceKind, EphemeralKind, ResourceKind } from "../catalog/catalog";
import { dataSourceSpec, ephemeralSpec, providerSpec, resourceSpec, specs } from "./schema";
import { openEphemeral } from "./ephemeral";
import { diagnosticsToProto, dynamicValue, schemaToProto } from "./to-proto";
import { fromDynamicValue } from "./from-proto";
import { error, fromError, type TfDiagnostic } from "./diagnostics";
import { argsOf, normalize } from "./plan";
import { validateConfig } from "./validate-config";
import { isUnknown, type TfObject, type TfValue } from "./codec/types";
import { log } from "./log";
import { WorkspaceOwner } from "./private-state";

export type EngineOpener = (config: EngineConfig) => Promise<EngineApi>;

export type Req = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Res = Record<string, unknown>;

export const str = (v: TfValue | undefined): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
/**
 * get_provider_schema_optional: the schema is static and calling GetProviderSchema sets nothing
 * up, so Terraform may reuse the schema it already has instead of asking every provider process
 * it starts during one command (a plan starts several). plan_destroy: deletes are planned too, so
 * `terraform plan -destroy` reports what apply would refuse (deletion_protection, dependants).
 */
const SERVER_CAPABILITIES = { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false } as const;

/** Everything but the managed resources: provider configuration, schemas, validation, data sources, ephemeral resources, lifecycle. */
export abstract class ProviderCore {
  private engineConfig: EngineConfig = {};
  private engine?: Promise<EngineApi>;
  /** Who this workspace is (the owner recorded on what it creates or imports). */
  protected readonly owner = new WorkspaceOwner();
  /** review_checks = "resource": check each change alone instead of with the plan's others. */
  protected reviewAlone = false;
  private stop = new AbortController();
  /** Set by `shutdown`: the process is going away and takes no new work. */
  private down = false;

  constructor(private readonly openEngine: EngineOpener) {}

  /** Whether this run plans to create (or replace) the object, so it does not exist yet (ephemeral resources). */
  protected abstract plannedCreate(kind: ResourceKind, id: string): boolean;

  // ---- metadata and schema -------------------------------------------------------------------

  async GetMetadata(): Promise<Res> {
    const { resources, dataSources } = specs();
    return {
      server_capabilities: SERVER_CAPABILITIES,
      resources: [...resources.keys()].map((type_name) => ({ type_name })),
      data_sources: [...dataSources.keys()].map((type_name) => ({ type_name })),
      functions: [],
      ephemeral_resources: [...specs().ephemeralResources.keys()].map((type_name) => ({ type_name })),
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
      ephemeral_resource_schemas: Object.fromEntries([...specs().ephemeralResources].map(([k, s]) => [k, schemaToProto(s)])),
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
    const gpuDevices = config?.gpu_devices;
    if (isUnknown(gpuDevices)) diags.push(error("Provider configuration not known", "gpu_devices is not known until apply; set it from values known at plan time.", ["gpu_devices"]));
    const devices = gpuDevices && typeof gpuDevices === "object" && !isUnknown(gpuDevices) ? (gpuDevices as Record<string, string>) : undefined;
    const vclusterChartVersion = pick("vcluster_chart_version", "OTTERSCALE_VCLUSTER_CHART_VERSION");
    this.engineConfig = {
      ...(ledgerUrl ? { ledgerUrl } : {}),
      ...(controllerUrl ? { controllerUrl } : {}),
      ...(devices ? { gpuDevices: devices } : {}),
      ...(vclusterChartVersion ? { vclusterChartVersion } : {}),
    };
    log("debug", "configured", { terraform_version: req.terraform_version, controller_url: controllerUrl ? redactControllerUrl(controllerUrl) : "(default)" });
    return { diagnostics: diagnosticsToProto(diags) };
  }

  protected getEngine(): Promise<EngineApi> {
    if (this.down) return Promise.reject(new Error("the provider is shutting down"));
    this.engine ??= this.openEngine(this.engineConfig).catch((e) => {
      this.engine = undefined; // a later call may retry (e.g. the ledger was locked)
      throw e;
    });
    return this.engine;
  }

  protected opts(timeoutMs: number | undefined, owner: string): OperationOptions {
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

  // ---- ephemeral resources (Terraform >= 1.10; see ephemeral.ts) -------------------------------

  async ValidateEphemeralResourceConfig(req: Req): Promise<Res> {
    const spec = ephemeralSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("ephemeral resource", req.type_name)]) };
    return { diagnostics: diagnosticsToProto(validateConfig(spec.kind as EphemeralKind, spec, fromDynamicValue(req.config, spec.type))) };
  }

  async OpenEphemeralResource(req: Req): Promise<Res> {
    const spec = ephemeralSpec(req.type_name);
    if (!spec) return { diagnostics: diagnosticsToProto([unknownType("ephemeral resource", req.type_name)]) };
    const config = fromDynamicValue(req.config, spec.type);
    try {
      const plannedCreate = (kind: ResourceKind, id: string) => this.plannedCreate(kind, id);
      const opened = await openEphemeral(spec.kind as EphemeralKind, { engine: await this.getEngine(), plannedCreate }, argsOf(spec, config));
      return { result: dynamicValue(normalize(opened, spec.type), spec.type), diagnostics: [] };
    } catch (e) {
      return { diagnostics: diagnosticsToProto(fromError(e, `opening ${spec.typeName}`)) };
    }
  }

  /** Nothing is leased (no renew_at is ever returned), so there is nothing to renew or close. */
  async RenewEphemeralResource(): Promise<Res> {
    return { diagnostics: [] };
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

export function unknownType(what: string, typeName: string): TfDiagnostic {
  return error(`Unknown ${what} type`, `The otterscale provider has no ${what} ${JSON.stringify(typeName)}.`);
}
