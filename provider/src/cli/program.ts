/**
 * The `otterscale` command line: global options and the commands. Global options may be given
 * before or after the command (`otterscale -o json usage` = `otterscale usage -o json`).
 */
import { Command, Option } from "commander";
import { allocationsCommand } from "./commands/allocations";
import { auditCommand } from "./commands/audit";
import { controllerCommand } from "./commands/controller";
import { exportCommand } from "./commands/export";
import { inventoryCommand } from "./commands/inventory";
import { ledgerCommand } from "./commands/ledger";
import { reconcileCommand } from "./commands/reconcile";
import { reportCommand } from "./commands/report";
import { usageCommand } from "./commands/usage";
import type { Runner } from "./runner";

export const EXIT_CODE_HELP = `
Exit codes:
  0  success
  1  usage or configuration error (bad option, unreadable input file, bad URL)
  2  report: the change cannot apply; reconcile: findings left unsettled (dry run)
  3  the ledger or the controller cannot be reached or failed

Configuration: --ledger-url / OTTERSCALE_LEDGER_URL (default sqlite://$OTTERSCALE_HOME/ledger.db),
--controller-url / OTTERSCALE_CONTROLLER_URL (default gitops://$OTTERSCALE_HOME/manifests),
OTTERSCALE_HOME (default ~/.otterscale): the same settings the Terraform and Pulumi providers use.`;

export function buildProgram(run: Runner, version: string): Command {
  const program = new Command("otterscale")
    .description("Operate and review an otterscale estate: inventory, quotas, allocations, audit, reconcile, and the impact of a plan")
    .version(version, "--version")
    .option("--ledger-url <url>", "ledger URL (env OTTERSCALE_LEDGER_URL)")
    .option("--controller-url <url>", "controller URL (env OTTERSCALE_CONTROLLER_URL)")
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json"]).default("table"))
    .option("--no-color", "no ANSI colours (also: NO_COLOR, or output that is not a terminal)")
    .option("-q, --quiet", "no progress messages on stderr")
    .addHelpText("after", EXIT_CODE_HELP)
    .showHelpAfterError()
    .exitOverride();
  for (const cmd of [
    inventoryCommand(run),
    usageCommand(run),
    allocationsCommand(run),
    auditCommand(run),
    reconcileCommand(run),
    reportCommand(run),
    ledgerCommand(run),
    controllerCommand(run),
    exportCommand(run),
  ]) {
    program.addCommand(cmd);
  }
  // Errors inside subcommands (unknown option, missing argument) go through exitOverride too.
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}
