/**
 * Diagnostics as the Terraform layer collects them: errors become values, never exceptions at the
 * protocol. Engine `Diagnostic`s and `OtterscaleError`s are translated here, and only here.
 */
import type { Diagnostic as EngineDiagnostic } from "../handlers/api";
import { OtterscaleError, type ErrorCode } from "../domain/errors";

/** One step of an attribute path: attribute name, map key (string) or list index (number). */
export type PathStep = string | number;

export interface TfDiagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail: string;
  readonly path?: readonly PathStep[];
}

const SUMMARY: Record<ErrorCode, string> = {
  invalid_input: "Invalid attribute value",
  not_found: "Not found",
  already_exists: "Already exists",
  quota_exceeded: "Quota exceeded",
  unplaceable: "Cannot place resource",
  in_use: "Resource in use",
  protected: "Deletion protected",
  conflict: "Concurrent change",
  controller_failed: "Backend controller failed",
  timeout: "Operation timed out",
  config: "Invalid provider configuration",
};

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
 * Terraform points at the line), else one carrying the whole message. Unexpected errors keep
 * their message but never a stack trace.
 */
export function fromError(e: unknown, context: string): TfDiagnostic[] {
  if (OtterscaleError.isInstance(e)) {
    const summary = SUMMARY[e.code] ?? "Error";
    const withPath = e.problems.filter((p) => p.path);
    if (withPath.length && withPath.length === e.problems.length) {
      return withPath.map((p) => error(summary, `${p.path}: ${p.message}`, parsePath(p.path)));
    }
    return [error(summary, e.message)];
  }
  const message = e instanceof Error ? e.message : String(e);
  return [error(`Unexpected error while ${context}`, message)];
}

export const hasErrors = (ds: readonly TfDiagnostic[]): boolean => ds.some((d) => d.severity === "error");
