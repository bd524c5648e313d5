/**
 * Diagnostics as the Terraform layer collects them: errors become values, never exceptions at the
 * protocol. Engine `Diagnostic`s and `OtterscaleError`s are translated here, and only here.
 */
import type { Diagnostic as EngineDiagnostic } from "../api";
import { asDomainError, OtterscaleError } from "../domain/errors";
import { log } from "./log";
import { diagnosticsOf } from "../engine/diagnostics";
import type { ResourceKind } from "../catalog/catalog";

/** One step of an attribute path: attribute name, map key (string) or list index (number). */
export type PathStep = string | number;

export interface TfDiagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail: string;
  readonly path?: readonly PathStep[];
}


/**
 * Dotted path to steps. Digits-only segments are list indexes; other segments are attribute names
 * (`gpus.0.model` -> `["gpus", 0, "model"]`).
 */
export function parsePath(dotted: string | undefined): PathStep[] | undefined {
  if (!dotted) return undefined;
  return dotted.split(".").map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export const error = (summary: string, detail: string, path?: readonly PathStep[]): TfDiagnostic => ({ severity: "error", summary, detail, ...(path ? { path } : {}) });
export const warning = (summary: string, detail: string, path?: readonly PathStep[]): TfDiagnostic => ({ severity: "warning", summary, detail, ...(path ? { path } : {}) });

/** An engine diagnostic (from `plan`) as a Terraform diagnostic with its attribute path. */
export function fromEngineDiagnostic(d: EngineDiagnostic): TfDiagnostic {
  const path = parsePath(d.path);
  return { severity: d.severity, summary: d.summary, detail: d.detail, ...(path ? { path } : {}) };
}

/**
 * Anything thrown by the engine as diagnostics: one per problem that names an attribute (so
 * Terraform points at the line), else one carrying the whole message. Anything that is not an
 * engine error is `internal`: its message with a fix-it, its stack trace in the debug log only.
 */
export function fromError(raised: unknown, context: string, kind?: ResourceKind): TfDiagnostic[] {
  const e = asDomainError(raised, context);
  if (!OtterscaleError.isInstance(raised)) log("debug", "internal error", { context, stack: e.details.stack });
  return diagnosticsOf(e, kind).map(fromEngineDiagnostic);
}

export const hasErrors = (ds: readonly TfDiagnostic[]): boolean => ds.some((d) => d.severity === "error");
