/**
 * Server capacity as placement sees it: `(total - reserved) * allocation_ratio` per dimension,
 * the OpenStack Placement formula, computed in exact integer thousandths.
 */
import { SCALE, toMilli, type Resources } from "../domain/resources";

/** The server attributes capacity depends on (snake_case, as in schema/server.json). */
export interface ServerCapacitySpec {
  readonly cpu_cores: number;
  readonly memory_gib: number;
  readonly storage_gib: number;
  readonly gpus?: readonly { readonly model: string; readonly count: number }[];
  readonly cpu_allocation_ratio?: number;
  readonly memory_allocation_ratio?: number;
  readonly reserved_cpu_cores?: number;
  readonly reserved_memory_gib?: number;
}

export interface ServerCapacity {
  readonly capacity: Resources;
  /** GPU capacity per model, in thousandths of a GPU. */
  readonly gpuModels: Readonly<Record<string, number>>;
}

/**
 * Capacity of one dimension in thousandths, rounded down to an integer.
 *
 * Both operands are exact integers in thousandths (the schema restricts amounts and ratios to
 * multiples of 0.001), so the product is an exact integer below 2^53 and integer division by
 * SCALE rounds down without any floating-point surprise. Reserving more than the total yields 0
 * rather than a negative capacity.
 *
 * Example: 10 cores, 2 reserved, ratio 1.5 -> (10000 - 2000) * 1500 / 1000 = 12000 (12 cores).
 */
export function dimensionCapacity(total: number, reserved = 0, ratio = 1): number {
  const net = Math.max(0, toMilli(total) - toMilli(reserved));
  const product = net * toMilli(ratio);
  return (product - (product % SCALE)) / SCALE;
}

/**
 * Placement capacity of a server from its spec. CPU and memory honour reservation and
 * allocation ratio; storage and GPUs are never overcommitted or reserved (ratio 1, reserved 0).
 * GPU entries of the same model are summed.
 *
 * Example: `{cpu_cores: 32, reserved_cpu_cores: 2, cpu_allocation_ratio: 4, memory_gib: 256,
 * reserved_memory_gib: 16, memory_allocation_ratio: 1.5, storage_gib: 1000,
 * gpus: [{model: "a100", count: 4}]}` ->
 * capacity `{cpu: 120000, memory: 360000, storage: 1000000, gpus: 4000}`,
 * gpuModels `{a100: 4000}`.
 */
export function capacityOf(server: ServerCapacitySpec): ServerCapacity {
  const gpuModels: Record<string, number> = {};
  let gpus = 0;
  for (const g of server.gpus ?? []) {
    const milli = toMilli(g.count);
    gpuModels[g.model] = (gpuModels[g.model] ?? 0) + milli;
    gpus += milli;
  }
  return {
    capacity: {
      cpu: dimensionCapacity(server.cpu_cores, server.reserved_cpu_cores, server.cpu_allocation_ratio),
      memory: dimensionCapacity(server.memory_gib, server.reserved_memory_gib, server.memory_allocation_ratio),
      storage: dimensionCapacity(server.storage_gib),
      gpus,
    },
    gpuModels,
  };
}
