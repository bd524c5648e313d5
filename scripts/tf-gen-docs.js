#!/usr/bin/env node
// Generates registry-style docs (docs/index.md, docs/resources/*.md, docs/data-sources/*.md) from
// schema/ through the BUILT catalog and Terraform schema (dist/provider/src/terraform/schema.js),
// so docs say exactly what the provider serves. Run `npm run build && node scripts/tf-gen-docs.js`;
// test/terraform checks the committed docs are current. `--dist DIR` reads another build.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");

function load(distDir) {
  const dist = distDir ?? path.join(ROOT, "dist");
  return {
    tf: require(path.join(dist, "provider/src/terraform/schema.js")),
    catalog: require(path.join(dist, "provider/src/catalog/catalog.js")),
  };
}

const SAMPLES = {
  name: { server: "node-01", baremetal_group: "general", virtual_machine: "web-1", vcluster: "dev", block_pool: "data" },
  tenant: "team-a",
  group: "general",
  cpu_cores: { server: 64, virtual_machine: 4, tenant_quota: 128 },
  memory_gib: { server: 512, virtual_machine: 16, tenant_quota: 1024 },
  storage_gib: { server: 8000, tenant_quota: 20000 },
  disk_gib: 50,
  size_gib: 500,
  rack: "r1",
  zone: "zone-a",
  image: "quay.io/containerdisks/ubuntu:24.04",
  servers: ["node-01", "node-02"],
  max_virtual_machines: 50,
  kubernetes_version: "v1.31.4",
  control_plane_replicas: 3,
};

/** Extra optional attributes worth showing in each kind's example. */
const SHOWN = {
  server: ["rack", "zone", "labels"],
  baremetal_group: ["servers", "selector"],
  tenant_quota: ["cpu_cores", "memory_gib", "storage_gib", "max_virtual_machines"],
  virtual_machine: ["image", "placement"],
  vcluster: ["kubernetes_version", "control_plane_replicas"],
  block_pool: ["failure_domain"],
  servers: ["group", "labels", "min_free_cpu_cores"],
};
const NESTED_SAMPLES = {
  labels: '{ pool = "general" }',
  selector: '{\n    labels = { pool = "general" }\n  }',
  placement: '{\n    anti_affinity_group = "web"\n    spread_domain       = "rack"\n  }',
};

function sample(kind, attr) {
  const s = SAMPLES[attr.name];
  const v = s !== undefined && !Array.isArray(s) && typeof s === "object" ? s[kind] : s;
  if (v !== undefined) return JSON.stringify(v).replace(/","/g, '", "');
  if (NESTED_SAMPLES[attr.name]) return NESTED_SAMPLES[attr.name];
  if (attr.default !== undefined) return JSON.stringify(attr.default);
  return attr.type === "number" ? "1" : attr.type === "bool" ? "true" : '"example"';
}

function exampleOf(kind, spec, block) {
  const shown = spec.attributes.filter((a) => a.required || (SHOWN[kind] ?? []).includes(a.name));
  const width = Math.max(...shown.map((a) => a.name.length));
  const lines = shown.map((a) => `  ${a.name.padEnd(width)} = ${sample(kind, a)}`);
  if (spec.blocks.some((b) => b.name === "timeouts") && ["virtual_machine", "vcluster", "block_pool"].includes(kind)) {
    lines.push("", "  timeouts {", '    create = "15m"', "  }");
  }
  return `${block} "${spec.typeName}" "example" {\n${lines.join("\n")}\n}`;
}

function typeLabel(a) {
  if (a.nested) return { single: "Attributes", list: "Attributes List", set: "Attributes Set", map: "Attributes Map" }[a.nested.nesting];
  const t = a.type;
  if (typeof t === "string") return { string: "String", number: "Number", bool: "Boolean", dynamic: "Dynamic" }[t];
  const inner = typeof t[1] === "string" ? typeLabel({ type: t[1] }) : "Object";
  return `${{ list: "List", set: "Set", map: "Map" }[t[0]]} of ${inner}`;
}

function line(a, anchorPrefix, forceNew) {
  const notes = [];
  if (a.allowed) notes.push(`Must be one of ${a.allowed.map((v) => `\`${v}\``).join(", ")}.`);
  if (a.default !== undefined) notes.push(`Defaults to \`${JSON.stringify(a.default)}\`.`);
  if (forceNew && a.forceNew && !/forces replacement/i.test(a.description)) notes.push("Changing this forces a new resource.");
  if (a.observed) notes.push("Other resources change it too: a snapshot as of the last refresh (see [fresh values](../index.md#fresh-usage-and-capacity-values)).");
  const nested = a.nested ? ` (see [below for nested schema](#${anchorPrefix}--${a.name}))` : "";
  const desc = [a.description, ...notes].filter(Boolean).join(" ");
  const writeOnly = a.writeOnly ? ", [Write-only](https://developer.hashicorp.com/terraform/language/resources/ephemeral#write-only-arguments)" : "";
  return `- \`${a.name}\` (${typeLabel(a)}${a.sensitive ? ", Sensitive" : ""}${writeOnly}) ${desc}${nested}`;
}

function section(title, attrs, anchorPrefix, forceNew) {
  return attrs.length ? `### ${title}\n\n${attrs.map((a) => line(a, anchorPrefix, forceNew)).join("\n")}\n` : "";
}

function groups(attrs) {
  return {
    required: attrs.filter((a) => a.required),
    optional: attrs.filter((a) => a.optional),
    readOnly: attrs.filter((a) => a.computed && !a.optional),
  };
}

function nestedSections(attrs, prefix, forceNew) {
  const out = [];
  for (const a of attrs) {
    if (!a.nested) continue;
    const g = groups(a.nested.attributes);
    out.push(
      `<a id="${prefix}--${a.name}"></a>\n### Nested Schema for \`${a.name}\`\n\n` +
        [section("Required", g.required, `${prefix}--${a.name}`, forceNew), section("Optional", g.optional, `${prefix}--${a.name}`, forceNew), section("Read-Only", g.readOnly, `${prefix}--${a.name}`, forceNew)]
          .filter(Boolean)
          .join("\n")
          .replace(/^### /gm, "#### "),
      ...nestedSections(a.nested.attributes, `${prefix}--${a.name}`, forceNew),
    );
  }
  return out;
}

/**
 * Hand-written usage notes for a page (scripts/docs-notes/<page path>), appended after the
 * generated reference: patterns that no schema field can say (how to feed the kubernetes
 * provider, when computed values are fresh).
 */
function notes(rel) {
  const file = path.join(__dirname, "docs-notes", rel);
  return fs.existsSync(file) ? `\n${fs.readFileSync(file, "utf8").trimEnd()}\n` : "";
}

const firstSentence = (s) => (/^(.*?\.)(\s|$)/.exec(s)?.[1] ?? s);

function page({ spec, kind, what, block, importId }) {
  const g = groups(spec.attributes);
  const blocks = spec.blocks.map((b) => `- \`${b.name}\` (Block, Optional) ${b.description} (see [below for nested schema](#nestedblock--${b.name}))`);
  const parts = [
    `---\npage_title: "${spec.typeName} ${what} - otterscale"\nsubcategory: ""\ndescription: |-\n  ${firstSentence(spec.description)}\n---\n`,
    `# ${spec.typeName} (${what})\n\n${spec.description}\n`,
    `## Example Usage\n\n\`\`\`terraform\n${exampleOf(kind, spec, block)}\n\`\`\`\n`,
    `## Argument Reference\n`,
    section("Required", g.required, "nestedatt", block === "resource"),
    section("Optional", g.optional, "nestedatt", block === "resource") + (blocks.length ? `${blocks.join("\n")}\n` : ""),
    `## Attribute Reference\n\nIn addition to the arguments above, these attributes are exported (read-only):\n`,
    section("Read-Only", g.readOnly, "nestedatt", false),
    ...nestedSections(spec.attributes, "nestedatt", block === "resource"),
    ...spec.blocks.map(
      (b) =>
        `<a id="nestedblock--${b.name}"></a>\n### Nested Schema for \`${b.name}\`\n\n#### Optional\n\n${b.attributes.map((a) => line(a, "nestedblock", false)).join("\n")}\n`,
    ),
  ];
  if (importId) {
    const idSample = importId.replace("name", SAMPLES.name[kind] ?? "example").replace("tenant", SAMPLES.tenant).replace("group", SAMPLES.group);
    parts.push(
      `## Import\n\nImport an existing object by its ID, \`${importId}\`:\n\n\`\`\`shell\nterraform import ${spec.typeName}.example ${idSample}\n\`\`\`\n\nOr with an \`import\` block (Terraform >= 1.5):\n\n\`\`\`terraform\nimport {\n  to = ${spec.typeName}.example\n  id = "${idSample}"\n}\n\`\`\`\n`,
    );
  }
  return `${parts.filter(Boolean).join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

function indexPage(tf, catalog) {
  const spec = tf.providerSpec();
  const env = Object.entries(catalog.schemaOf("provider").properties).map(([k, p]) => `- \`${p["x-env"]}\`: fallback for \`${k}\`.`);
  const links = (kinds, dir) => kinds.map((k) => `- [\`${catalog.typeNameOf(k)}\`](${dir}/${slug(catalog, k)}.md)`).join("\n");
  return `---
page_title: "otterscale Provider"
subcategory: ""
description: |-
  Declare servers, baremetal groups, tenant quotas and workloads of an OtterScale-style private cloud.
---

# otterscale Provider

Declare servers, baremetal groups, tenant quotas and workloads (KubeVirt VMs, vClusters, Ceph block
pools) of an OtterScale-style private cloud. Every create or update runs validation, the tenant
quota check, placement and an atomic reservation in the ledger before the backend controller is
called, and \`terraform plan\` already fails when a resource - or the creates of the whole plan
together - would exceed a quota or cannot be placed.

${spec.description}

## Example Usage

\`\`\`terraform
terraform {
  required_providers {
    otterscale = {
      source  = "otterscale/otterscale"
      version = "~> 0.1"
    }
  }
}

provider "otterscale" {
  # Both optional: embedded SQLite ledger and GitOps manifests under $OTTERSCALE_HOME by default.
  ledger_url     = "sqlite:///var/lib/otterscale/ledger.db"
  controller_url = "gitops:///var/lib/otterscale/manifests"
}
\`\`\`

${section("Optional", groups(spec.attributes).optional, "nestedatt", false)}
## Environment variables

${env.join("\n")}
- \`OTTERSCALE_HOME\`: directory of the embedded defaults (default \`~/.otterscale\`).

## Resources

${links(catalog.RESOURCE_KINDS, "resources")}

## Data Sources

${links(catalog.DATA_SOURCE_KINDS, "data-sources")}

## Ephemeral Resources

${links(catalog.EPHEMERAL_KINDS, "ephemeral-resources")}
${notes("index.md")}`.replace(/\n{3,}/g, "\n\n");
}

/** A page's file name: the type name without the provider prefix (as the registry expects). */
const slug = (catalog, kind) => catalog.typeNameOf(kind).replace(/^otterscale_/, "");

/** Every docs file: relative path -> content. */
function render(distDir) {
  const { tf, catalog } = load(distDir);
  const files = { "index.md": indexPage(tf, catalog) };
  for (const kind of catalog.RESOURCE_KINDS) {
    const spec = tf.resourceSpec(catalog.typeNameOf(kind));
    files[`resources/${kind}.md`] = page({ spec, kind, what: "Resource", block: "resource", importId: catalog.schemaOf(kind)["x-import-id"] });
  }
  for (const kind of catalog.DATA_SOURCE_KINDS) {
    const spec = tf.dataSourceSpec(catalog.typeNameOf(kind));
    files[`data-sources/${slug(catalog, kind)}.md`] = page({ spec, kind, what: "Data Source", block: "data" });
  }
  for (const kind of catalog.EPHEMERAL_KINDS) {
    const spec = tf.ephemeralSpec(catalog.typeNameOf(kind));
    files[`ephemeral-resources/${kind}.md`] = page({ spec, kind, what: "Ephemeral Resource", block: "ephemeral" });
  }
  for (const [rel, text] of Object.entries(files)) if (rel !== "index.md") files[rel] = text + notes(rel);
  return files;
}

module.exports = { render };

if (require.main === module) {
  const i = process.argv.indexOf("--dist");
  const files = render(i > 0 ? path.resolve(process.argv[i + 1]) : undefined);
  for (const [rel, content] of Object.entries(files)) {
    const out = path.join(ROOT, "docs", rel);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, content);
  }
  process.stdout.write(`wrote ${Object.keys(files).length} files under docs/\n`);
}
