/**
 * The `yaml` library, loaded on first use. A refresh of unchanged gitops files (they are compared
 * as text, gitops/plain-yaml.ts) and the renders of most kinds never need it, and loading it cost
 * ~25 ms of every provider process that opened the engine, a no-change plan's included.
 */
export const yamlLib = (): typeof import("yaml") => require("yaml") as typeof import("yaml");
