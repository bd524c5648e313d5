/** Builders for ledger rows and audit events in tests that talk to a ledger directly (below the engine). */
import { NO_USAGE, UNBOUNDED } from "../../provider/src/domain/quota";
import type { AuditEvent, DecisionBounds, LedgerRecord } from "../../provider/src/ledger/records";

/** An active VM of tenant acme in group g charging 4 cores and 8 GiB (thousandths), generation 1. */
export const ledgerRecord = (key: string, extra: Partial<LedgerRecord> = {}): LedgerRecord => ({
  kind: "virtual_machine",
  key,
  tenant: "acme",
  grp: "g",
  spec: { name: key },
  secrets: {},
  computed: {},
  state: "active",
  charge: { resources: { cpu: 4000, memory: 8000, storage: 0, gpus: 0 }, virtualMachines: 1, vclusters: 0, blockPools: 0 },
  antiGroup: null,
  opId: null,
  leaseExpires: null,
  prev: null,
  generation: 1,
  createdAt: 1,
  updatedAt: 1,
  owner: null,
  ...extra,
});

/** The audit event a test appends with its writes (every ledger mutation must be audited). */
export const auditEvent = (key: string, extra: Partial<AuditEvent> = {}): AuditEvent => ({
  at: 1,
  op: "reserve",
  kind: "virtual_machine",
  key,
  tenant: "acme",
  grp: "g",
  delta: {},
  opId: null,
  ...extra,
});

/** The bounds a speculative reservation of acme in g declares: cpu at most `cpu` thousandths, VMs and other resources unbounded, no servers. */
export const acmeBounds = (cpu = UNBOUNDED): DecisionBounds => ({
  usage: { tenant: "acme", grp: "g", atMost: { ...NO_USAGE, virtualMachines: UNBOUNDED, resources: { cpu, memory: UNBOUNDED, storage: UNBOUNDED, gpus: UNBOUNDED } } },
  servers: [],
});
