/**
 * MAAS machine lifecycle names (`status_name`) in our `status` vocabulary, and the groups of
 * states the adapter reacts to. Pure tables.
 */

const STATUS: Readonly<Record<string, string>> = {
  New: "New",
  Commissioning: "Commissioning",
  Testing: "Commissioning",
  Ready: "Ready",
  Allocated: "Allocated",
  Deploying: "Deploying",
  Deployed: "Deployed",
  Releasing: "Releasing",
  "Disk erasing": "Releasing",
  "Failed commissioning": "Failed",
  "Failed testing": "Failed",
  "Failed deployment": "Failed",
  "Failed releasing": "Failed",
  "Failed disk erasing": "Failed",
  "Failed entering rescue mode": "Failed",
  "Failed exiting rescue mode": "Failed",
  Broken: "Broken",
  "Entering rescue mode": "Maintenance",
  "Rescue mode": "Maintenance",
  "Exiting rescue mode": "Maintenance",
};

/**
 * Our status for a MAAS status name; unknown names pass through unchanged.
 *
 * Example: `Failed commissioning` -> `Failed`; `Testing` -> `Commissioning`; `Deployed` -> `Deployed`.
 */
export function statusFromMaas(statusName: string): string {
  return STATUS[statusName] ?? statusName;
}

/** States from which `op=commission` (re)starts commissioning on apply. */
export const NEEDS_COMMISSIONING: ReadonlySet<string> = new Set(["New", "Failed commissioning", "Failed testing"]);
/** Commissioning finished: the machine is in the pool (or already in use). */
export const COMMISSIONED: ReadonlySet<string> = new Set(["Ready", "Allocated", "Deploying", "Deployed"]);
/** Commissioning ended badly. */
export const COMMISSIONING_FAILED: ReadonlySet<string> = new Set(["Failed commissioning", "Failed testing"]);
/** In use: must be released before it can be deleted. */
export const IN_USE: ReadonlySet<string> = new Set(["Allocated", "Deploying", "Deployed", "Failed deployment"]);
/** Release in progress. */
export const RELEASING: ReadonlySet<string> = new Set(["Releasing", "Disk erasing"]);
