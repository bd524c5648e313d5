/**
 * The review report as Markdown for a pull-request comment. Pure: an Impact in, text out.
 *
 * Shape:
 *   ## OtterScale capacity and quota impact
 *   **Cannot apply: 1 error.** 3 changes: 2 create, 1 update (terraform plan `plan.json`)
 *   ### Errors            (one bullet per error: address, code, message)
 *   ### Tenant quotas     (per tenant and group: dimension | before -> after | limit | bar)
 *   ### Group capacity    (per group: allocated before -> after of capacity)
 *   ### Placements        (servers that receive workloads, and which)
 *   ### Warnings
 */
import type { Diagnostic } from "../../api";
import { bar, change, num } from "../output/format";
import type { CapacityDimensionImpact, Impact } from "./impact";

export interface ReportMeta {
  /** "terraform plan" or "pulumi preview". */
  readonly source: string;
  readonly file: string;
}

/** Marker a CI job can look for to update its previous comment instead of adding another. */
export const REPORT_MARKER = "<!-- otterscale-report -->";

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
/** Table cells cannot hold `|` or newlines. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

function diagnosticLine(d: Diagnostic): string {
  const where = d.address ? `${code(d.address)}${d.path ? ` (${code(d.path)})` : ""}: ` : "";
  const text = d.detail && d.detail !== d.summary ? d.detail : d.summary;
  return `- ${where}**${cell(d.code)}**: ${cell(text)}`;
}

function capacityRows(dims: readonly CapacityDimensionImpact[]): string[] {
  return dims
    .filter((d) => d.capacity_after > 0 || d.capacity_before > 0 || d.allocated_after > 0 || d.allocated_before > 0)
    .map((d) => {
      const cap = change(d.capacity_before, d.capacity_after);
      return `| ${d.dimension} | ${change(d.allocated_before, d.allocated_after)} | ${cap} | \`${bar(d.allocated_after, d.capacity_after)}\` |`;
    });
}

export function renderMarkdown(impact: Impact, meta: ReportMeta): string {
  const out: string[] = [REPORT_MARKER, "## OtterScale capacity and quota impact", ""];
  const s = impact.summary;
  const counts = (["create", "update", "replace", "delete"] as const).filter((a) => s[a] > 0).map((a) => `${s[a]} ${a}`);
  const total = s.create + s.update + s.replace + s.delete;
  const verdict = impact.ok
    ? "**Can apply.**"
    : `**Cannot apply: ${impact.errors.length} error${impact.errors.length === 1 ? "" : "s"}.**`;
  out.push(
    `${verdict} ${total} change${total === 1 ? "" : "s"} to otterscale resources${counts.length ? `: ${counts.join(", ")}` : ""} (${meta.source} ${code(meta.file)}).`,
    "",
  );

  if (impact.errors.length) out.push("### Errors", "", ...impact.errors.map(diagnosticLine), "");

  if (impact.quotas.length) {
    out.push("### Tenant quotas", "");
    for (const q of impact.quotas) {
      const tag = q.status === "new" ? " (new quota)" : q.status === "deleted" ? " (quota deleted)" : "";
      out.push(`**${cell(q.tenant)}** in group **${cell(q.group)}**${tag}`, "", "| Dimension | Use before -> after | Limit | Use after |", "| --- | ---: | ---: | --- |");
      for (const d of q.dimensions) {
        if (d.before === 0 && d.after === 0 && (d.limit === null || d.limit === 0)) continue;
        const limit = d.limit_before === d.limit || q.status === "new" ? num(d.limit) : `${num(d.limit_before)} -> ${num(d.limit)}`;
        out.push(`| ${d.dimension} | ${change(d.before, d.after)} | ${d.limit === null ? "none" : limit} | \`${bar(d.after, d.limit)}\` |`);
      }
      out.push("");
    }
  }

  if (impact.groups.length) {
    out.push("### Group capacity", "");
    for (const g of impact.groups) {
      const members = g.members_before.join() === g.members_after.join() ? `${g.members_after.length} servers` : `${g.members_before.length} -> ${g.members_after.length} servers`;
      const tag = g.status === "new" ? ", new" : g.status === "deleted" ? ", deleted" : "";
      out.push(`**${cell(g.group)}** (${members}${tag})`, "", "| Dimension | Allocated before -> after | Capacity | Use after |", "| --- | ---: | ---: | --- |");
      out.push(...capacityRows(g.dimensions), "");
    }
  }

  if (impact.servers.length) {
    out.push("### Placements", "", "| Server | Receives | CPU cores | Memory GiB | Storage GiB | GPUs |", "| --- | --- | ---: | ---: | ---: | ---: |");
    for (const sv of impact.servers) {
      const use = sv.dimensions.map((d) => `${change(d.allocated_before, d.allocated_after)} / ${num(d.capacity_after)}`);
      out.push(`| ${cell(sv.server)} | ${sv.placements.map(code).join(", ")} | ${use.join(" | ")} |`);
    }
    out.push("");
  }

  if (impact.warnings.length) out.push("### Warnings", "", ...impact.warnings.map(diagnosticLine), "");
  if (total === 0) out.push("_No otterscale resources change in this plan._", "");
  return `${out.join("\n").replace(/\n+$/, "")}\n`;
}
