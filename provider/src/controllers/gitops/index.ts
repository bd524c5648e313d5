export { GitopsControllers, GitopsKindController, manifestToYaml } from "./controller";
export { fileOf, keyOf, INVENTORY_DIR } from "./paths";
export { exportManifests, exportPlan, type ExportedFile, type ManifestsByKind } from "./export";
