/**
 * Runs every benchmark in sequence and prints their figures: `npm run bench`.
 * Each benchmark file also runs on its own (`npm run bench:<name>`).
 */
import { main as placement } from "./placement.bench";
import { main as placementEngine } from "./placement-engine.bench";
import { main as ledger } from "./ledger.bench";
import { main as ledgerPg } from "./ledger-pg.bench";
import { main as pulumi } from "./pulumi.bench";
import { main as terraform } from "./terraform.bench";
import { main as review } from "./review.bench";

async function run() {
  const only = process.argv.slice(2);
  const all: [string, () => Promise<unknown>][] = [
    ["placement", placement],
    ["placement-engine", placementEngine],
    ["ledger", ledger],
    ["ledger-pg", ledgerPg],
    ["pulumi", pulumi],
    ["terraform", () => terraform({ runs: 20 })],
    ["review", review],
  ];
  for (const [name, bench] of all) {
    if (only.length && !only.includes(name)) continue;
    console.log(`\n=== ${name} ===`);
    await bench();
  }
}

run().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
