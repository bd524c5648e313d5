/**
 * What the serialized dynamic providers run, inside the Pulumi dynamic-provider host (or the
 * program process under mocks). It is `require`d at call time, never captured: the provider
 * objects in state hold only the kind, the path of this module and the configuration.
 *
 * Everything speaks camelCase outside and snake_case to the engine; quota and placement logic
 * stay in the engine (validate, plan, create, read, update, delete).
 */
import { UNKNOWN } from "./unknowns";
import { edgeError } from "./messages";

export { edgeError, UNKNOWN };
export { closeEngines, engineFor, openChecked, resolveSettings, type ProviderSettings } from "./runtime-engines";
export { toEngine, toOutputs } from "./runtime-convert";
export { check, pendingChanges } from "./runtime-check";
export { diff } from "./runtime-diff";
export { create, read, readDataSource, remove, update } from "./runtime-crud";
