/**
 * The kind rulebook (docs/ARCHITECTURE.md, "The kind rulebook"), checked on the source: no code
 * outside provider/src/kinds/ and the schema branches on a kind's name, except what the allow-list
 * below names with its reason; every resource kind has rules, and their identity is the schema's.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { INVENTORY_KINDS, isInventoryKind, rulesOf, workloadRulesOf } from "../../provider/src/kinds";
import { rendererFor } from "../../provider/src/controllers/render";
import { RESOURCE_KINDS, WORKLOAD_KINDS, schemaOf } from "../../provider/src/catalog/catalog";
import { identityFields, keyOf, parseKey } from "../../provider/src/catalog/identity";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const SOURCES = ["provider/src", "sdk"].map((d) => path.join(ROOT, d));
const rel = (f: string) => path.relative(ROOT, f);

/** Where a kind's name may be branched on: the rulebook itself and the schema loader. */
const EXEMPT = [/^provider\/src\/kinds\//, /^provider\/src\/schema\//, /\.gen\.ts$/, /^sdk\/cdktf\/generated\//];

/**
 * What remains, file by file, with the exact count (a file that loses a branch must lower its
 * count here, so the list only shrinks) and why it is not a registry lookup yet.
 */
const ALLOWED: Readonly<Record<string, { count: number; reason: string }>> = {
  "provider/src/placement/domains.ts": { count: 1, reason: '`case "server"` is the failure domain "server", not the kind' },
};

const KIND = "(server|baremetal_group|tenant_quota|virtual_machine|vcluster|block_pool)";
/** `kind === "vcluster"`, `rec.kind !== 'server'`, `case "block_pool":`. */
const BRANCH = new RegExp(`\\bkind\\s*[!=]==?\\s*["'\`]${KIND}["'\`]|["'\`]${KIND}["'\`]\\s*[!=]==?\\s*[\\w.]*\\bkind\\b|\\bcase\\s+["'\`]${KIND}["'\`]\\s*:`, "g");

/** Kind-literal branches in `source`, one per match. */
export function kindBranches(source: string): number {
  return [...source.matchAll(BRANCH)].length;
}

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => path.join(e.parentPath, e.name));
}

describe("architecture: the kind rulebook", () => {
  it("no kind-literal branching outside kinds/ and the schema, except the allow-list (exact counts)", () => {
    const files = SOURCES.flatMap(tsFiles).filter((f) => !EXEMPT.some((re) => re.test(rel(f))));
    assert.ok(files.length > 100, `${files.length} files`);
    const found: Record<string, number> = {};
    for (const f of files) {
      const n = kindBranches(fs.readFileSync(f, "utf8"));
      if (n) found[rel(f)] = n;
    }
    const allowed = Object.fromEntries(Object.entries(ALLOWED).map(([f, a]) => [f, a.count]));
    assert.deepEqual(found, allowed, "a kind's rule belongs in provider/src/kinds/<kind>.ts: ask rulesOf(kind) instead of branching on its name");
  });

  it("the check itself catches a branch in each form (and not a kind merely named)", () => {
    const synthetic = [
      'if (rec.kind === "vcluster") return 1;',
      "if (kind !== 'server') throw new Error();",
      'switch (kind) {\n  case "block_pool":\n    break;\n}',
      'const q = "tenant_quota" === change.kind;',
      'await tx.get("tenant_quota", key); const d: Domain = "server";',
    ].join("\n");
    assert.equal(kindBranches(synthetic), 4);
    assert.equal(kindBranches('await tx.get("tenant_quota", key);'), 0);
  });

  it("every resource kind has rules, a renderer, and the class its ledger behaviour needs", () => {
    for (const kind of RESOURCE_KINDS) {
      const rules = rulesOf(kind);
      assert.equal(rules.kind, kind);
      assert.equal(typeof rules.project, "function", `${kind}: state projection`);
      assert.ok(rules.noun.length > 0, `${kind}: noun`);
      assert.equal(rendererFor(kind).kind, kind, `${kind}: renderer`);
    }
    // Workloads (the schema's catalog) and the registry agree; each declares its charge and placement.
    assert.deepEqual(RESOURCE_KINDS.filter((k) => rulesOf(k).class === "workload"), [...WORKLOAD_KINDS]);
    for (const kind of WORKLOAD_KINDS) assert.equal(typeof workloadRulesOf(kind).shape, "function");
    // The inventory generation follows servers and groups, and only them.
    assert.deepEqual([...INVENTORY_KINDS], ["server", "baremetal_group"]);
    assert.equal(isInventoryKind("virtual_machine"), false);
    assert.throws(() => rulesOf("bogus" as never), /no rules for bogus/);
  });

  it("inventory kinds belong to no tenant: one-part identity, a fixed namespace on Kubernetes", () => {
    for (const kind of RESOURCE_KINDS) {
      const inventory = isInventoryKind(kind);
      // gitops files them under _inventory by this rule, and every other kind under its tenant.
      assert.equal(identityFields(kind).includes("tenant"), !inventory, `${kind}: tenant in identity`);
      if (inventory) assert.ok(rendererFor(kind).kube.namespace, `${kind}: inventory objects live in one namespace`);
      assert.equal(rulesOf(kind).inventorySlot !== undefined, inventory, `${kind}: fills an Inventory map iff inventory`);
    }
  });

  it("identity is the schema's x-import-id (the registry does not keep its own)", () => {
    for (const kind of RESOURCE_KINDS) {
      const format = schemaOf(kind)["x-import-id"];
      assert.ok(format, `${kind} declares x-import-id`);
      assert.deepEqual(identityFields(kind), format.split("/"));
      const spec = Object.fromEntries(identityFields(kind).map((f) => [f, `v-${f}`]));
      assert.deepEqual(parseKey(kind, keyOf(kind, spec)), spec);
      // What a rule names as the object's group is among its attributes (or its identity).
      const ga = rulesOf(kind).groupAttribute;
      if (ga) assert.ok(ga in (schemaOf(kind).properties ?? {}), `${kind}: group attribute ${ga}`);
    }
  });
});
