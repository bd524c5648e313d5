/**
 * An in-memory LedgerTx: a copy of the ledger that plans (dry runs) mutate freely. The same
 * decision code runs over it as over the real ledger, so a plan predicts exactly what an apply
 * would decide.
 */
import type { ResourceKind } from "../schema/catalog";
import type { Allocation, AllocationFilter, AuditEvent, LedgerRecord, LedgerTx, RecordFilter, ServerLoad } from "../ledger/records";
import { NO_USAGE, addUsage, type Usage } from "../quota/quota";

const id = (kind: string, key: string) => `${kind}\u0000${key}`;

export class MemoryTx implements LedgerTx {
  private readonly records = new Map<string, LedgerRecord>();
  private readonly allocs = new Map<string, Allocation[]>();
  private generation = 0;

  static async copyOf(tx: LedgerTx): Promise<MemoryTx> {
    const m = new MemoryTx();
    for (const r of await tx.list()) m.records.set(id(r.kind, r.key), r);
    for (const a of await tx.allocations()) {
      const k = id(a.kind, a.key);
      m.allocs.set(k, [...(m.allocs.get(k) ?? []), a]);
    }
    m.generation = await tx.inventoryGeneration();
    return m;
  }

  async get(kind: ResourceKind, key: string) {
    return this.records.get(id(kind, key));
  }

  async list(f: RecordFilter = {}) {
    return [...this.records.values()]
      .filter(
        (r) =>
          (!f.kinds?.length || f.kinds.includes(r.kind)) &&
          (f.tenant === undefined || r.tenant === f.tenant) &&
          (f.grp === undefined || r.grp === f.grp) &&
          (!f.states?.length || f.states.includes(r.state)) &&
          (f.leaseBefore === undefined || (r.leaseExpires !== null && r.leaseExpires < f.leaseBefore)),
      )
      .sort((a, b) => (a.kind === b.kind ? a.key.localeCompare(b.key) : a.kind.localeCompare(b.kind)));
  }

  async put(r: LedgerRecord) {
    this.records.set(id(r.kind, r.key), r);
    if (r.kind === "server" || r.kind === "baremetal_group") this.generation++;
  }

  async remove(kind: ResourceKind, key: string) {
    this.records.delete(id(kind, key));
    this.allocs.delete(id(kind, key));
    if (kind === "server" || kind === "baremetal_group") this.generation++;
  }

  async setAllocations(kind: ResourceKind, key: string, allocations: readonly Allocation[]) {
    this.allocs.set(id(kind, key), [...allocations]);
  }

  async allocations(f: AllocationFilter = {}) {
    const out: Allocation[] = [];
    for (const [k, list] of this.allocs) {
      const rec = this.records.get(k);
      for (const a of list) {
        if (f.servers && !f.servers.includes(a.server)) continue;
        if (f.consumer && (a.kind !== f.consumer.kind || a.key !== f.consumer.key)) continue;
        if (f.antiAffinity) {
          const aa = f.antiAffinity;
          if (!rec || rec.tenant !== aa.tenant || rec.grp !== aa.grp || rec.antiGroup !== aa.group) continue;
        }
        out.push(a);
      }
    }
    return out;
  }

  async serverLoad(servers?: readonly string[]) {
    const want = servers ? new Set(servers) : undefined;
    const out = new Map<string, ServerLoad>();
    for (const list of this.allocs.values()) {
      for (const a of list) {
        if (want && !want.has(a.server)) continue;
        const load = out.get(a.server) ?? { allocated: { cpu: 0, memory: 0, storage: 0, gpus: 0 }, gpuModels: {} };
        load.allocated.cpu += a.resources.cpu;
        load.allocated.memory += a.resources.memory;
        load.allocated.storage += a.resources.storage;
        load.allocated.gpus += a.resources.gpus;
        if (a.gpuModel && a.resources.gpus > 0) load.gpuModels[a.gpuModel] = (load.gpuModels[a.gpuModel] ?? 0) + a.resources.gpus;
        out.set(a.server, load);
      }
    }
    return out;
  }

  async usage(tenant: string, grp: string): Promise<Usage> {
    let u = NO_USAGE;
    for (const r of this.records.values()) if (r.tenant === tenant && r.grp === grp) u = addUsage(u, r.charge);
    return u;
  }

  async appendAudit(_e: AuditEvent) {}

  async inventoryGeneration() {
    return this.generation;
  }
}
