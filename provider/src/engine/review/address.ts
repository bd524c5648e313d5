/** Address order for deterministic blame. */
import type { PlannedChange } from "../contract";

/** Plain code-unit comparison of addresses (no locale): the same order on every machine. */
export const byAddress = (a: PlannedChange, b: PlannedChange): number => ((a.address ?? "") < (b.address ?? "") ? -1 : (a.address ?? "") > (b.address ?? "") ? 1 : 0);
