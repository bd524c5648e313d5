/** Public API of otterscale-iac's engine. */
export { openEngine } from "./api";
export type { EngineApi, EngineConfig, PlannedChange, PlanResult, Diagnostic, State, OperationOptions } from "./api";
export { Engine } from "./engine/engine";
export { diagnosticsOf, SUMMARY } from "./engine/diagnostics";
export { OtterscaleError, type ErrorCode, type Problem } from "./domain/errors";
export { RESOURCE_KINDS, DATA_SOURCE_KINDS, schemaOf, inputSchemaOf, forceNewAttributes, sensitivePaths, typeNameOf } from "./catalog/catalog";
export type { ResourceKind, DataSourceKind } from "./catalog/catalog";
export { validateInput, problemsOf } from "./catalog/validate";
export * from "./catalog/types.gen";
