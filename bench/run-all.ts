/** Runs every benchmark in sequence and prints their figures. `npm run bench`. */
import { main as placement } from "./placement.bench";
import { main as ledger } from "./ledger.bench";

async function run() {
  await placement();
  console.log("");
  await ledger();
}

run().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
