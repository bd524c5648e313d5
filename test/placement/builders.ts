/**
 * Fixture builders for placement tests: amounts in human units (cores, GiB, GPUs), converted to
 * thousandths the way the ledger would.
 */
import { resources } from "../../provider/src/domain/resources";
import type { Candidate, PlacementRequest } from "../../provider/src/placement";

/** [cpu cores, memory GiB, storage GiB, gpus] */
export type Amounts = readonly [number, number, number?, number?];

export interface ServerOptions {
  readonly rack?: string;
  readonly zone?: string;
  readonly maintenance?: boolean;
  /** model -> [capacity, allocated] in GPUs. Default when the server has GPUs: all `a100`. */
  readonly gpuModels?: Readonly<Record<string, readonly [number, number]>>;
}

const res = (a: Amounts) => resources(a[0], a[1], a[2] ?? 0, a[3] ?? 0);

/** A candidate with `capacity` and `allocated` given as [cores, GiB, GiB, GPUs]. */
export function server(name: string, capacity: Amounts, allocated: Amounts = [0, 0], opts: ServerOptions = {}): Candidate {
  const gpus = capacity[3] ?? 0;
  const models = opts.gpuModels ?? (gpus > 0 ? { a100: [gpus, allocated[3] ?? 0] as const } : {});
  const gpuModels: Record<string, { capacity: number; allocated: number }> = {};
  for (const [model, [cap, used]] of Object.entries(models)) gpuModels[model] = { capacity: cap * 1000, allocated: used * 1000 };
  return {
    name,
    hostname: `${name}.lab`,
    ...(opts.rack !== undefined ? { rack: opts.rack } : {}),
    ...(opts.zone !== undefined ? { zone: opts.zone } : {}),
    maintenance: opts.maintenance ?? false,
    capacity: res(capacity),
    allocated: res(allocated),
    gpuModels,
  };
}

/** A single-replica binpack request for `demand` unless overridden. */
export function request(demand: Amounts, overrides: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    consumer: "virtual_machine acme/web",
    demand: res(demand),
    replicas: 1,
    distinctDomain: "server",
    strategy: "binpack",
    ...overrides,
  };
}
