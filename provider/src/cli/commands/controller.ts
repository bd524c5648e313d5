/** `otterscale controller claim`: marks the controller location as the ledger's (after a real loss). */
import { Command } from "commander";
import { EXIT } from "../exit-codes";
import type { Runner } from "../runner";

export function controllerCommand(run: Runner): Command {
  const controller = new Command("controller").description("the backend location (controller_url) the ledger's objects live in");
  controller
    .command("claim")
    .description("mark the controller location as this ledger's; only when it is right and its objects were really lost (plans then show them as missing)")
    .action(
      run.action<Record<string, never>>(async (ctx) => {
        await ctx.withEngine((e) => e.claimLocation());
        if (ctx.out.format === "json") ctx.out.json({ claimed: true });
        else ctx.out.text(`claimed the controller location for this ledger; run a plan to see what is missing`);
        return EXIT.ok;
      }),
    );
  return controller;
}
