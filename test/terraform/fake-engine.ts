/**
 * A small in-memory EngineApi for the Terraform layer's tests (the real engine is tested on its
 * own). It validates with the real schema (defaults applied), fills computed attributes
 * predictably, and has one review-time rule so plan errors can be observed: the VMs of a tenant
 * in a group may not exceed the quota's `cpu_cores` (quotas created or planned in the batch).
 */
import { SUMMARY } from "../../provider/src/engine/diagnostics";
import type { EngineApi, OperationOptions, PlannedChange, PlanResult, State, Diagnostic } from "../../provider/src/api";
import { schemaOf, type DataSourceKind, type ResourceKind } from "../../provider/src/catalog/catalog";
import { validateInput } from "../../provider/src/catalog/validate";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { identityOf } from "../../provider/src/terraform/pending";

export interface Call {
  readonly op: string;
  readonly kind: string;
  readonly id?: string;
  readonly args?: unknown;
  readonly opts?: OperationOptions;
  readonly changes?: readonly PlannedChange[];
}

export class FakeEngine implements EngineApi {
  /** Settable: tests point the provider at "another ledger" by changing it. */
  ledgerId = "fake-ledger-1";
  readonly ledgerLabel = "fake://ledger";

  /** Nobody recorded (null) for an object it holds; undefined (no such object) otherwise. */
  async ownerOf(kind: ResourceKind, id: string): Promise<string | null | undefined> {
    return this.objects.has(`${kind}/${id}`) ? null : undefined;
  }
  readonly objects = new Map<string, State>(); // `${kind}/${id}`
  readonly calls: Call[] = [];
  closed = false;

  private computed(kind: ResourceKind, spec: Record<string, unknown>, id: string): State {
    const out: State = { ...spec, id, status: "Running" };
    for (const [k, p] of Object.entries(schemaOf(kind).properties ?? {})) {
      if (!p.readOnly || k in out) continue;
      out[k] = p.type === "number" ? 0 : p.type === "array" ? [] : p.type === "string" ? `${k}-of-${id}` : null;
    }
    if (kind === "virtual_machine") Object.assign(out, { server: "srv-1", rack: "r1", zone: "z1", status: spec.run_strategy === "Halted" ? "Stopped" : "Running" });
    if (kind === "vcluster") Object.assign(out, { servers: ["srv-1"], endpoint: `https://${id}.vc.local`, kubeconfig: `kubeconfig-for-${id}`, status: spec.paused ? "Paused" : "Running" });
    if (kind === "block_pool") Object.assign(out, { servers: ["srv-1", "srv-2", "srv-3"], raw_gib: Number(spec.size_gib) * Number(spec.replicas ?? 3), replicas: spec.replicas ?? 3 });
    if (kind === "baremetal_group") out.member_servers = [...((spec.servers as string[]) ?? [])].sort();
    if (kind === "tenant_quota") out.used_cpu_cores = this.usedCpu(String(spec.tenant), String(spec.group));
    return out;
  }

  private usedCpu(tenant: string, group: string): number {
    let sum = 0;
    for (const [key, s] of this.objects) if (key.startsWith("virtual_machine/") && s.tenant === tenant && s.group === group) sum += Number(s.cpu_cores);
    return sum;
  }

  async create(kind: ResourceKind, args: unknown, opts?: OperationOptions): Promise<State> {
    this.calls.push({ op: "create", kind, args, ...(opts ? { opts } : {}) });
    const spec = validateInput<Record<string, unknown>>(kind, args);
    const id = identityOf(kind, spec)!;
    if (this.objects.has(`${kind}/${id}`)) throw new OtterscaleError("already_exists", `${kind} ${id} already exists`);
    const state = this.computed(kind, spec, id);
    this.objects.set(`${kind}/${id}`, state);
    return structuredClone(state);
  }

  async read(kind: ResourceKind, id: string): Promise<State | undefined> {
    this.calls.push({ op: "read", kind, id });
    const s = this.objects.get(`${kind}/${id}`);
    return s && structuredClone(s);
  }

  async update(kind: ResourceKind, id: string, args: unknown, opts?: OperationOptions): Promise<State> {
    this.calls.push({ op: "update", kind, id, args, ...(opts ? { opts } : {}) });
    if (!this.objects.has(`${kind}/${id}`)) throw new OtterscaleError("not_found", `${kind} ${id} not found`);
    const state = this.computed(kind, validateInput<Record<string, unknown>>(kind, args), id);
    this.objects.set(`${kind}/${id}`, state);
    return structuredClone(state);
  }

  async delete(kind: ResourceKind, id: string, opts?: OperationOptions): Promise<void> {
    this.calls.push({ op: "delete", kind, id, ...(opts ? { opts } : {}) });
    const s = this.objects.get(`${kind}/${id}`);
    if (s?.deletion_protection === true) {
      throw new OtterscaleError("protected", `block pool ${id} has deletion_protection = true; set it to false and apply first`, [{ path: "deletion_protection", message: "is true" }]);
    }
    this.objects.delete(`${kind}/${id}`);
  }

  async import(kind: ResourceKind, id: string): Promise<State> {
    this.calls.push({ op: "import", kind, id });
    const s = this.objects.get(`${kind}/${id}`);
    if (!s) throw new OtterscaleError("not_found", `no ${kind} with import ID ${JSON.stringify(id)}`);
    return structuredClone(s);
  }

  /** Review-time quota: VM cpu_cores per tenant/group against the quota's cpu_cores. */
  async plan(changes: readonly PlannedChange[]): Promise<PlanResult> {
    this.calls.push({ op: "plan", kind: "*", changes: structuredClone(changes) });
    const limits = new Map<string, number>();
    for (const [key, s] of this.objects) if (key.startsWith("tenant_quota/") && typeof s.cpu_cores === "number") limits.set(`${s.tenant}/${s.group}`, s.cpu_cores);
    for (const c of changes) if (c.kind === "tenant_quota" && typeof c.args?.cpu_cores === "number") limits.set(`${c.args.tenant}/${c.args.group}`, c.args.cpu_cores);
    const used = new Map<string, number>();
    for (const [key, s] of this.objects) {
      if (!key.startsWith("virtual_machine/")) continue;
      if (changes.some((c) => c.kind === "virtual_machine" && c.id === s.id)) continue; // replaced by the change
      const tg = `${s.tenant}/${s.group}`;
      used.set(tg, (used.get(tg) ?? 0) + Number(s.cpu_cores));
    }
    const diagnostics: Diagnostic[] = [];
    for (const c of changes) {
      if (c.kind !== "virtual_machine" || c.action === "delete" || typeof c.args?.cpu_cores !== "number") continue;
      const tg = `${c.args.tenant}/${c.args.group}`;
      const before = used.get(tg) ?? 0;
      used.set(tg, before + c.args.cpu_cores);
      const limit = limits.get(tg);
      if (limit !== undefined && before + c.args.cpu_cores > limit) {
        diagnostics.push({
          severity: "error",
          ...(c.address ? { address: c.address } : {}),
          path: "cpu_cores",
          code: "quota_exceeded",
          summary: SUMMARY.quota_exceeded,
          detail: `tenant ${String(c.args.tenant)} in group ${String(c.args.group)}: cpu_cores requested ${c.args.cpu_cores}, used ${before}, limit ${limit}`,
        });
      }
    }
    return { diagnostics, placements: {} };
  }

  async readDataSource(kind: DataSourceKind, args: unknown): Promise<State> {
    this.calls.push({ op: "readDataSource", kind, args });
    const a = args as Record<string, string>;
    if (kind === "tenant_usage") {
      const q = this.objects.get(`tenant_quota/${a.tenant}/${a.group}`);
      if (!q) throw new OtterscaleError("not_found", `tenant ${a.tenant} has no quota in group ${a.group}`, [{ path: "group", message: "no quota here" }]);
      return { ...q, id: `${a.tenant}/${a.group}`, used_cpu_cores: this.usedCpu(a.tenant, a.group) };
    }
    return { id: a.group, group: a.group, member_servers: [], total_cpu_cores: 0, free_cpu_cores: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
