/** The refusals a workload decision throws: over quota, or no server fits. */
import { OtterscaleError, type Problem } from "../domain/errors";
import { describeViolation, describeViolations, type QuotaViolation } from "../domain/quota";

export function quotaError(tenant: string, group: string, violations: readonly QuotaViolation[]): OtterscaleError {
  return new OtterscaleError(
    "quota_exceeded",
    describeViolations(tenant, group, violations),
    violations.map((v) => ({
      // The quota dimension; front ends map it onto the attribute of the kind that carries it.
      path: v.dimension,
      message: `tenant ${tenant} in group ${group}: ${describeViolation(v)}`,
    })),
    { tenant, group, violations },
  );
}

export function unplaceable(subject: string, group: string, message: string, rejections: readonly { server: string; reason: string }[]) {
  const problems: Problem[] = rejections.map((r) => ({ message: `${r.server}: ${r.reason}` }));
  const lines = rejections.map((r) => `  - ${r.server}: ${r.reason}`).join("\n");
  return new OtterscaleError("unplaceable", `cannot place ${subject} in group ${group}: ${message}${lines ? `\n${lines}` : ""}`, problems, {
    group,
    rejections,
  });
}
