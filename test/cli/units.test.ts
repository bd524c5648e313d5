/**
 * The CLI's pure pieces, table-driven: text bars, --since, the table formatter, dependency-safe
 * ordering and the two plan parsers' edge cases (actions, unknowns, replacements, names).
 */
import { strict as assert } from "node:assert";
import type { PlannedChange } from "../../provider/src/api";
import { bar, num, parseSince } from "../../provider/src/cli/output/format";
import { formatTable } from "../../provider/src/cli/output/table";
import { orderChanges } from "../../provider/src/engine/review/order";
import { PULUMI_UNKNOWN } from "../../provider/src/cli/report/args";
import { parsePulumiPreview } from "../../provider/src/cli/report/pulumi-preview";
import { parseTerraformPlan } from "../../provider/src/cli/report/terraform-plan";

describe("CLI pure helpers", () => {
  it("bar: 10 cells of used/limit, rounded, with the percentage", () => {
    const cases: [number, number | null, string][] = [
      [13, 25, "█████░░░░░ 52%"], // 0.52 * 10 = 5.2 -> 5 cells
      [8, 32, "███░░░░░░░ 25%"], // 2.5 -> 3 (round half up)
      [0, 10, "░░░░░░░░░░ 0%"],
      [30, 25, "██████████ 120%"], // over the limit: full bar, the real percentage
      [5, null, "no limit"],
      [0, 0, "0 allowed"],
      [1, 0, "over (limit 0)"],
    ];
    for (const [used, limit, want] of cases) assert.equal(bar(used, limit), want, `bar(${used}, ${limit})`);
    assert.equal(num(0.1 + 0.2), "0.3");
  });

  it("parseSince: durations back from now, ISO times, and nothing else", () => {
    const now = 10_000_000;
    assert.equal(parseSince("1h30m", now), now - 5_400_000);
    assert.equal(parseSince("90s", now), now - 90_000);
    assert.equal(parseSince("2d", now), now - 172_800_000);
    assert.equal(parseSince("2025-01-31T12:00:00Z", now), Date.UTC(2025, 0, 31, 12));
    assert.equal(parseSince("yesterday", now), undefined);
    assert.equal(parseSince("1x", now), undefined);
  });

  it("formatTable: left text, right numbers, no trailing blanks", () => {
    assert.deepEqual(
      formatTable(
        [{ header: "NAME" }, { header: "CPU", align: "right" }, { header: "NOTE" }],
        [
          ["s1", 4, "a"],
          ["s10", 16, null],
        ],
      ),
      ["NAME  CPU  NOTE", "s1      4  a", "s10    16"],
    );
  });

  it("orderChanges: deletes (dependants first), then inventory, quotas, workloads; updates before creates", () => {
    const c = (action: PlannedChange["action"], kind: PlannedChange["kind"], address: string): PlannedChange => ({ action, kind, address });
    const ordered = orderChanges([
      c("create", "virtual_machine", "vm.a"),
      c("delete", "tenant_quota", "quota.q"),
      c("create", "server", "server.s"),
      c("delete", "virtual_machine", "vm.b"),
      c("update", "tenant_quota", "quota.p"),
      c("create", "block_pool", "pool.x"),
      c("update", "virtual_machine", "vm.c"),
      c("delete", "server", "server.t"),
      c("create", "baremetal_group", "group.g"),
    ]);
    assert.deepEqual(
      ordered.map((x) => x.address),
      // Ties (the creates of vm.a and pool.x) go by address, whatever order they came in.
      ["vm.b", "quota.q", "server.t", "server.s", "group.g", "quota.p", "vm.c", "pool.x", "vm.a"],
    );
  });

  it("parseTerraformPlan: actions, identities, computed and unknown attributes dropped, other providers skipped", () => {
    const rc = (address: string, type: string, actions: string[], before: unknown, after: unknown, mode = "managed") => ({ address, mode, type, change: { actions, before, after } });
    const { changes, skipped } = parseTerraformPlan({
      format_version: "1.2",
      resource_changes: [
        rc("otterscale_virtual_machine.a", "otterscale_virtual_machine", ["create"], null, { name: "a", tenant: "t", group: "g", cpu_cores: 2, memory_gib: 4, disk_gib: 1, server: null, placement: { server: null, spread_domain: "rack" }, timeouts: null }),
        rc("otterscale_virtual_machine.b", "otterscale_virtual_machine", ["delete", "create"], { id: "t/b", name: "b" }, { name: "b", tenant: "t", group: "g2", cpu_cores: 1, memory_gib: 1, disk_gib: 1 }),
        rc("otterscale_tenant_quota.q", "otterscale_tenant_quota", ["update"], { id: "t/g", used_cpu_cores: 3 }, { tenant: "t", group: "g", cpu_cores: 8, used_cpu_cores: 3 }),
        rc("otterscale_server.old", "otterscale_server", ["delete"], { name: "old" }, null),
        rc("otterscale_server.same", "otterscale_server", ["no-op"], { name: "same" }, { name: "same" }),
        rc("data.otterscale_tenant_usage.u", "otterscale_tenant_usage", ["read"], null, {}, "data"),
        rc("random_id.x", "random_id", ["create"], null, {}),
      ],
    });
    assert.equal(skipped, 3);
    assert.deepEqual(changes, [
      { action: "create", kind: "virtual_machine", address: "otterscale_virtual_machine.a", args: { name: "a", tenant: "t", group: "g", cpu_cores: 2, memory_gib: 4, disk_gib: 1, placement: { spread_domain: "rack" } } },
      { action: "replace", kind: "virtual_machine", address: "otterscale_virtual_machine.b", id: "t/b", args: { name: "b", tenant: "t", group: "g2", cpu_cores: 1, memory_gib: 1, disk_gib: 1 } },
      { action: "update", kind: "tenant_quota", address: "otterscale_tenant_quota.q", id: "t/g", args: { tenant: "t", group: "g", cpu_cores: 8 } },
      { action: "delete", kind: "server", address: "otterscale_server.old", id: "old" },
    ]);
  });

  it("parsePulumiPreview: a replacement's three steps fold into one; camelCase, secrets and unknowns handled", () => {
    const urn = "urn:pulumi:dev::p::pulumi-nodejs:dynamic/otterscale:Server::n1";
    const state = (inputs: Record<string, unknown>, id?: string) => ({ type: "pulumi-nodejs:dynamic/otterscale:Server", ...(id ? { id } : {}), inputs });
    const { changes, skipped } = parsePulumiPreview({
      steps: [
        { op: "delete-replaced", urn, oldState: state({ name: "n1" }, "n1") },
        { op: "replace", urn, oldState: state({ name: "n1" }, "n1"), newState: state({ __provider: "x", name: "n1", cpuCores: 8, memoryGib: 32, storageGib: 100, labels: { node_type: "gpu" }, rack: PULUMI_UNKNOWN, bmc: { address: "10.0.0.1", password: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "pw" } } }) },
        { op: "create-replacement", urn, oldState: state({ name: "n1" }, "n1"), newState: state({ name: "n1", cpuCores: 8, memoryGib: 32, storageGib: 100 }) },
        { op: "same", urn: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", newState: { type: "pulumi:pulumi:Stack" } },
      ],
      changeSummary: { replace: 1, same: 1 },
    });
    assert.equal(skipped, 1);
    assert.deepEqual(changes, [
      { action: "replace", kind: "server", address: "Server::n1", id: "n1", args: { name: "n1", cpu_cores: 8, memory_gib: 32, storage_gib: 100, labels: { node_type: "gpu" }, bmc: { address: "10.0.0.1", password: "pw" } }, unknown: ["rack"] },
    ]);
  });

  it("create-before-destroy replacements (Terraform and Pulumi): the new object is planned while the old one still exists", () => {
    const tf = parseTerraformPlan({
      format_version: "1.2",
      resource_changes: [
        {
          address: "otterscale_virtual_machine.web",
          mode: "managed",
          type: "otterscale_virtual_machine",
          change: {
            actions: ["create", "delete"],
            before: { id: "acme/web-1", name: "web-1", tenant: "acme", group: "g" },
            after: { name: "web-1b", tenant: "acme", group: "g", cpu_cores: 1, memory_gib: 1, disk_gib: 990 },
            after_unknown: { id: true, server: true },
          },
        },
      ],
    });
    assert.deepEqual(
      orderChanges(tf.changes).map((c) => [c.action, c.address, c.id ?? null, c.createFirst ?? false]),
      // One replace that creates first: the rulebook keeps the old object counted (engine/review/rules.ts).
      [["replace", "otterscale_virtual_machine.web", "acme/web-1", true]],
    );
    assert.deepEqual(tf.changes[0].unknown, ["id", "server"]);
    const urn = "urn:pulumi:dev::p::pulumi-nodejs:dynamic/otterscale:VirtualMachine::web";
    const st = (inputs: Record<string, unknown>, id?: string) => ({ type: "pulumi-nodejs:dynamic/otterscale:VirtualMachine", ...(id ? { id } : {}), inputs });
    const pu = parsePulumiPreview({
      steps: [
        { op: "create-replacement", urn, oldState: st({ name: "web-1" }, "acme/web-1"), newState: st({ name: "web-1b", tenant: "acme", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 990 }) },
        { op: "replace", urn, oldState: st({ name: "web-1" }, "acme/web-1"), newState: st({ name: "web-1b", tenant: "acme", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 990 }) },
        { op: "delete-replaced", urn, oldState: st({ name: "web-1" }, "acme/web-1") },
      ],
    });
    assert.deepEqual(
      orderChanges(pu.changes).map((c) => [c.action, c.id ?? null, c.createFirst ?? false]),
      [["replace", "acme/web-1", true]],
    );
  });
});
