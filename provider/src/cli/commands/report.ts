/**
 * `otterscale report --terraform-plan plan.json | --pulumi-preview preview.json`: what a
 * reviewed change does to quotas and capacity, as Markdown for a pull-request comment (or JSON).
 * Exit 2 when the change cannot apply.
 */
import * as fs from "node:fs";
import { Command } from "commander";
import { CliError, EXIT } from "../exit-codes";
import type { Runner } from "../runner";
import { impactOf } from "../report/impact";
import { renderMarkdown } from "../report/markdown";
import { orderChanges } from "../../engine/review/order";
import { parsePulumiPreview } from "../report/pulumi-preview";
import { parseTerraformPlan, type ParsedChanges } from "../report/terraform-plan";

interface ReportOptions {
  readonly terraformPlan?: string;
  readonly pulumiPreview?: string;
}

/** Reads and parses a JSON file (`-` = stdin); a missing file or bad JSON is a usage error. */
export function readJson(file: string, what: string, hint: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${what} ${file} is not JSON; ${hint}`);
  }
}

function changesOf(o: ReportOptions): { parsed: ParsedChanges; source: string; file: string } {
  if (!!o.terraformPlan === !!o.pulumiPreview) throw new CliError("report: give exactly one of --terraform-plan <plan.json> or --pulumi-preview <preview.json>");
  if (o.terraformPlan) {
    const doc = readJson(o.terraformPlan, "terraform plan", "produce it with `terraform plan -out plan.tfplan && terraform show -json plan.tfplan > plan.json`");
    return { parsed: parseTerraformPlan(doc), source: "terraform plan", file: o.terraformPlan };
  }
  const doc = readJson(o.pulumiPreview!, "pulumi preview", "produce it with `pulumi preview --json > preview.json`");
  return { parsed: parsePulumiPreview(doc), source: "pulumi preview", file: o.pulumiPreview! };
}

export function reportCommand(run: Runner): Command {
  return new Command("report")
    .description("capacity and quota impact of a terraform plan or pulumi preview, as Markdown for a PR comment; exit 2 when it cannot apply")
    .option("--terraform-plan <file>", "output of `terraform show -json plan.tfplan` (- for stdin)")
    .option("--pulumi-preview <file>", "output of `pulumi preview --json` (- for stdin)")
    .action(
      run.action<ReportOptions>(async (ctx, o) => {
        const { parsed, source, file } = changesOf(o);
        const changes = orderChanges(parsed.changes);
        ctx.out.progress(`report: planning ${changes.length} otterscale change${changes.length === 1 ? "" : "s"} (${parsed.skipped} other resource changes skipped)`);
        const planned = await ctx.withEngine((e) => impactOf(e, changes));
        // A plan the front end could not finish is never approved, whatever our checks say.
        const upstream = (parsed.upstreamErrors ?? []).map((detail) => ({ severity: "error" as const, code: "plan_errored", summary: `${source} failed`, detail }));
        const impact = upstream.length ? { ...planned, ok: false, errors: [...upstream, ...planned.errors] } : planned;
        if (ctx.out.format === "json") ctx.out.json({ source, file, ...impact });
        else ctx.out.text(renderMarkdown(impact, { source, file }).replace(/\n$/, ""));
        return impact.ok ? EXIT.ok : EXIT.findings;
      }),
    );
}
