/**
 * Engine errors as diagnostics: one summary per error code, the attribute path mapped onto the
 * attribute of the kind that carries the dimension. Front ends translate these, never re-word them.
 */
import { rulesOf } from "../kinds";
import { ERROR_CODES, OtterscaleError, asDomainError, displayPath, type ErrorCode } from "../domain/errors";
import type { ResourceKind } from "../catalog/catalog";
import type { Diagnostic } from "./contract";

/** Short, stable summaries per error code (the detail carries the numbers). */
export const SUMMARY: Readonly<Record<ErrorCode, string>> = Object.fromEntries(Object.entries(ERROR_CODES).map(([c, t]) => [c, t.summary])) as Record<ErrorCode, string>;

/** Diagnostics of an engine error, with attribute paths mapped onto the kind's own attributes. */
export function diagnosticsOf(raised: unknown, kind: ResourceKind | undefined, address?: string): Diagnostic[] {
  const e = asDomainError(raised, address ? `checking ${address}` : "checking the change");
  const map = kind ? rulesOf(kind).quotaPaths : undefined; // quota dimensions on the kind's own attributes
  const summary = summaryOf(e);
  if (e.code === "invalid_input" && e.problems.length) {
    return e.problems.map((p) => ({ severity: "error", address, path: p.path, code: e.code, summary, detail: p.path ? `${displayPath(p.path)}: ${p.message}` : p.message }));
  }
  const paths = [...new Set(e.problems.map((p) => (p.path && map ? (map[p.path] ?? (e.code === "quota_exceeded" ? undefined : p.path)) : p.path)))];
  const path = paths.length === 1 ? paths[0] : undefined;
  return [{ severity: "error", address, path, code: e.code, summary, detail: e.message, ...(e.remedy ? { pulumiDetail: e.inWords("pulumi") } : {}) }];
}

function summaryOf(e: OtterscaleError): string {
  return SUMMARY[e.code] ?? `otterscale: ${e.code}`;
}

