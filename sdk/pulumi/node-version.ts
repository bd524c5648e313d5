/**
 * The Node.js the engine needs, said before anything fails for lack of it. Pulumi runs programs
 * and the dynamic-provider host with the `node` on PATH, which on many machines is older than the
 * engine needs (the embedded ledger uses the built-in `node:sqlite`): without this check the only
 * message would be `No such built-in module: node:sqlite`.
 */
import { OtterscaleError } from "../../provider/src/domain/errors";

/** package.json `engines.node` (">=22"); a test keeps the two equal. */
export const MIN_NODE_MAJOR = 22;

/** Throws a `config` error naming the version found and how to get a newer one. */
export function requireSupportedNode(version: string = process.versions.node): void {
  if (Number(version.split(".")[0]) >= MIN_NODE_MAJOR) return;
  throw new OtterscaleError(
    "config",
    `otterscale-iac needs Node.js >= ${MIN_NODE_MAJOR} (found ${version}). Pulumi runs the program and its dynamic providers with the \`node\` on PATH: ` +
      "put a newer one first, e.g. `export PATH=$PWD/node_modules/.bin:$PATH` with the `node` package installed as a devDependency",
  );
}
