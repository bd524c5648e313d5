/**
 * `otterscale export --dir <repo> [--prune] [--input <file>|-]`: writes handed-off objects into a
 * GitOps repository in the gitops controller's layout, byte for byte. The input is the value of
 * a Terraform output that groups `manifests` by kind and id (examples/terraform-handoff/export):
 *
 *   terraform output -json manifests | otterscale export --dir ../fleet-repo/otterscale
 *
 * Nothing is read from or written to the ledger: the workspace's state is the source.
 */
import * as path from "node:path";
import { Command } from "commander";
import { exportManifests } from "../../api";
import { CliError, EXIT } from "../exit-codes";
import type { Runner } from "../runner";
import { readJson } from "./report";

interface ExportOptions {
  readonly dir?: string;
  readonly input: string;
  readonly prune?: boolean;
}

/** `terraform output -json` without a name wraps each value as `{ value, type, sensitive }`: unwrap one. */
function valueOf(doc: unknown): unknown {
  const o = doc as Record<string, unknown> | null;
  if (o && typeof o === "object" && "value" in o && "type" in o) return o.value;
  return doc;
}

export function exportCommand(run: Runner): Command {
  return new Command("export")
    .description("write handed-off manifests (a terraform output of `manifests` by kind and id) into a GitOps directory, in the gitops controller's layout")
    .option("--dir <dir>", "directory to write into (created when missing)")
    .option("--input <file>", "JSON input; - = stdin", "-")
    .option("--prune", "remove files of the layout that the input no longer holds (objects destroyed since the last export)")
    .action(
      run.action<ExportOptions>(async (ctx, o) => {
        if (!o.dir) throw new CliError("export: --dir <directory> is required");
        const input = valueOf(readJson(o.input, "input", "produce it with `terraform output -json manifests`"));
        const root = path.resolve(o.dir);
        const { written, removed } = await exportManifests(root, input, { prune: o.prune });
        if (ctx.out.format === "json") ctx.out.json({ written: written.map((f) => path.relative(root, f.file)), removed: removed.map((f) => path.relative(root, f)) });
        else ctx.out.text(`wrote ${written.length} manifest file${written.length === 1 ? "" : "s"} under ${root}${removed.length ? `, removed ${removed.length}` : ""}`);
        return EXIT.ok;
      }),
    );
}
