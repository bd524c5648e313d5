/**
 * An in-memory LedgerTx: a copy of the ledger that plans (dry runs) mutate freely. The same
 * decision code runs over it as over the real ledger, so a plan predicts exactly what an apply
 * would decide. Usage per tenant/group and load per server are kept as running sums so that each
 * decision costs what the real ledger's indexed SUMs cost, not a scan of the whole copy.
 */
import type { ResourceKind } from "../catalog/catalog";
import { isInventoryKind } from "../kinds";
import type { Allocation, AllocationFilter, AuditEvent, LedgerRecord, LedgerTx, RecordFilter, ServerLoad } from "../ledger/records";
import { NO_USAGE, addUsage, type Usage } from "../domain/quota";

const id = (kind: string, key: string) => `${kind}\u0000${key}`;
const scopeOf = (r: LedgerRecord) => (r.tenant !== null && r.grp !== null ? `${r.tenant}\u0000${r.grp}` : undefined);

export class MemoryTx implements LedgerTx {
  private readonly records = new Map<string, LedgerRecord>();
  private readonly allocs = new Map<string, Allocation[]>();
  private readonly usageBy = new Map<string, Usage>();
  private readonly loadBy = new Map<string, ServerLoad>();
  private generation = 0;
  private auditSeq = 0;

  static async copyOf(tx: LedgerTx): Promise<MemoryTx> {
    const m = new MemoryTx();
    for (const r of await tx.list()) m.setRecord(id(r.kind, r.key), r);
    const byConsumer = new Map<string, Allocation[]>();
    for (const a of await tx.allocations()) {
      const k = id(a.kind, a.key);
      byConsumer.set(k, [...(byConsumer.get(k) ?? []), a]);
    }
    for (const [k, list] of byConsumer) m.setAllocs(k, list);
    m.generation = await tx.inventoryGeneration();
    return m;
  }

  // -- running sums

  private setRecord(k: string, r: LedgerRecord | undefined): void {
    const old = this.records.get(k);
    const oldScope = old && scopeOf(old);
    if (old && oldScope) this.usageBy.set(oldScope, addUsage(this.usageBy.get(oldScope) ?? NO_USAGE, old.charge, -1));
    if (r) {
      this.records.set(k, r);
      const scope = scopeOf(r);
      if (scope) this.usageBy.set(scope, addUsage(this.usageBy.get(scope) ?? NO_USAGE, r.charge));
    } else this.records.delete(k);
  }

  private setAllocs(k: string, list: readonly Allocation[] | undefined): void {
    for (const a of this.allocs.get(k) ?? []) this.addLoad(a, -1);
    if (list && list.length) {
      this.allocs.set(k, [...list]);
      for (const a of list) this.addLoad(a, 1);
    } else this.allocs.delete(k);
  }

  private addLoad(a: Allocation, sign: number): void {
    const cur = this.loadBy.get(a.server) ?? { allocated: { cpu: 0, memory: 0, storage: 0, gpus: 0 }, gpuModels: {} };
    const allocated = {
      cpu: cur.allocated.cpu + sign * a.resources.cpu,
      memory: cur.allocated.memory + sign * a.resources.memory,
      storage: cur.allocated.storage + sign * a.resources.storage,
      gpus: cur.allocated.gpus + sign * a.resources.gpus,
    };
    const gpuModels = { ...cur.gpuModels };
    if (a.gpuModel && a.resources.gpus > 0) gpuModels[a.gpuModel] = (gpuModels[a.gpuModel] ?? 0) + sign * a.resources.gpus;
    this.loadBy.set(a.server, { allocated, gpuModels });
  }

  // -- LedgerTx

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
    this.setRecord(id(r.kind, r.key), r);
    if (isInventoryKind(r.kind)) this.generation++;
  }

  async remove(kind: ResourceKind, key: string) {
    this.setRecord(id(kind, key), undefined);
    this.setAllocs(id(kind, key), undefined);
    if (isInventoryKind(kind)) this.generation++;
  }

  async setAllocations(kind: ResourceKind, key: string, allocations: readonly Allocation[]) {
    this.setAllocs(id(kind, key), allocations);
  }

  async allocations(f: AllocationFilter = {}) {
    const lists = f.consumer ? [this.allocs.get(id(f.consumer.kind, f.consumer.key)) ?? []] : [...this.allocs.values()];
    const want = f.servers ? new Set(f.servers) : undefined;
    const out: Allocation[] = [];
    for (const list of lists) {
      for (const a of list) {
        if (want && !want.has(a.server)) continue;
        if (f.antiAffinity) {
          const rec = this.records.get(id(a.kind, a.key));
          const aa = f.antiAffinity;
          if (!rec || rec.tenant !== aa.tenant || rec.grp !== aa.grp || rec.antiGroup !== aa.group) continue;
        }
        out.push(a);
      }
    }
    return out;
  }

  async serverLoad(servers?: readonly string[]) {
    const out = new Map<string, ServerLoad>();
    for (const s of servers ?? this.loadBy.keys()) {
      const l = this.loadBy.get(s);
      if (l && (l.allocated.cpu || l.allocated.memory || l.allocated.storage || l.allocated.gpus)) {
        out.set(s, { allocated: { ...l.allocated }, gpuModels: { ...l.gpuModels } });
      }
    }
    return out;
  }

  async usage(tenant: string, grp: string): Promise<Usage> {
    return this.usageBy.get(`${tenant}\u0000${grp}`) ?? NO_USAGE;
  }

  async renewLease(kind: ResourceKind, key: string, opId: string, until: number) {
    const r = this.records.get(id(kind, key));
    if (!r || r.opId !== opId || (r.leaseExpires ?? 0) < Date.now()) return false;
    this.records.set(id(kind, key), { ...r, leaseExpires: until });
    return true;
  }

  async appendAudit(_e: AuditEvent) {
    this.auditSeq++;
  }

  async lastAuditSeq() {
    return this.auditSeq;
  }

  async auditSince(): Promise<AuditEvent[]> {
    return [];
  }

  async inventoryGeneration() {
    return this.generation;
  }

  /**
   * Replaces what this copy holds for one object with the real ledger's current row and
   * allocations (undefined = removed): catches a plan's copy up with changes made since.
   */
  replace(kind: ResourceKind, key: string, record: LedgerRecord | undefined, allocations: readonly Allocation[]): void {
    this.setRecord(id(kind, key), record);
    this.setAllocs(id(kind, key), allocations);
    if (isInventoryKind(kind)) this.generation++;
  }
}
