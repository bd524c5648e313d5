/**
 * Backend controllers: the per-kind interface (types), the adapter registry chosen by
 * `controller_url`, and the manifest renderers that adapters share (incl. drift comparison).
 */
export type { ControllerContext, Controllers, DesiredObject, KindController, ObservedObject, PlacedServer } from "./types";
export { defaultControllerUrl, openControllers } from "./registry";
export { carriedFields, describeDrift, driftOf, renderedDrift, observeManifest, renderAttached, renderManifest, renderManifests, rendererFor, sharedRendering, type FieldDrift, type Manifest } from "./render";
export { GitopsControllers, manifestToYaml } from "./gitops";
