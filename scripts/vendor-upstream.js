#!/usr/bin/env node
/**
 * Vendors the upstream schemas the renderers are validated against into test/fixtures/upstream/
 * and writes test/fixtures/upstream/SOURCES (repo, tag, commit, path, extraction, sha256).
 *
 * Usage: node scripts/vendor-upstream.js <mirrors-dir>
 * where <mirrors-dir>/<owner>+<name>/repo is a bare git clone of each upstream repository (the
 * layout the session's `fetch` tool produces). Content is never edited: a CRD's served version's
 * openAPIV3Schema is parsed out of its upstream file and written as JSON (same content, smaller
 * file); kubernetes core definitions are copied as a subset of the swagger `definitions` map.
 * tests recompute the sha256 of every vendored file (test/controllers/upstream-schemas.test.ts).
 */
"use strict";
const { execFileSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const YAML = require("yaml");

const OUT = path.join(__dirname, "..", "test", "fixtures", "upstream");
const mirrors = process.argv[2];
if (!mirrors) {
  console.error("usage: node scripts/vendor-upstream.js <mirrors-dir>");
  process.exit(2);
}

/** The vcluster chart versions we support (keep in step with schema/vcluster.json). */
const VCLUSTER_VERSIONS = ["0.24.2", "0.26.5", "0.36.1"];

const gitDir = (repo) => path.join(mirrors, repo.replace("/", "+"), "repo");
const git = (repo, ...args) => execFileSync("git", ["-C", gitDir(repo), ...args], { maxBuffer: 1 << 30 }).toString("utf8");
const sha256 = (s) => crypto.createHash("sha256").update(s).digest("hex");

const sources = [];
function vendor(file, content, src) {
  fs.writeFileSync(path.join(OUT, file), content);
  const commit = git(src.repo, "rev-parse", `${src.tag}^{commit}`).trim();
  const upstream = sha256(git(src.repo, "show", `${src.tag}:${src.path}`));
  sources.push({ file, repo: src.repo, tag: src.tag, commit, path: src.path, upstream_sha256: upstream, extract: src.extract, sha256: sha256(content) });
}
const json = (v) => `${JSON.stringify(v, null, 1)}\n`;

/** The openAPIV3Schema of `version` in a CRD document. */
function crdSchema(crd, version) {
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v || !v.served) throw new Error(`${crd.metadata.name}: version ${version} not served`);
  return v.schema.openAPIV3Schema;
}
function crdIn(text, name) {
  const doc = YAML.parseAllDocuments(text).map((d) => d.toJSON()).find((d) => d && d.kind === "CustomResourceDefinition" && d.metadata.name === name);
  if (!doc) throw new Error(`CRD ${name} not found`);
  return doc;
}

fs.mkdirSync(OUT, { recursive: true });

// KubeVirt: virt-operator builds its CRDs in Go; the schemas live as YAML in a generated map.
{
  const src = { repo: "kubevirt/kubevirt", tag: "v1.9.0", path: "pkg/virt-operator/resource/generate/components/validations_generated.go" };
  const go = git(src.repo, "show", `${src.tag}:${src.path}`);
  const m = /\n\t"virtualmachine": `([^`]*)`,\n/.exec(go);
  if (!m) throw new Error("kubevirt virtualmachine schema not found");
  const schema = YAML.parse(m[1]).openAPIV3Schema;
  vendor("kubevirt-v1.9.0-virtualmachine.schema.json", json(schema), { ...src, extract: 'CRDsValidation["virtualmachine"] .openAPIV3Schema (kubevirt.io/v1 VirtualMachine, what virt-operator installs)' });
}
// Rook CephBlockPool.
{
  const src = { repo: "rook/rook", tag: "v1.20.6", path: "deploy/examples/crds.yaml" };
  const crd = crdIn(git(src.repo, "show", `${src.tag}:${src.path}`), "cephblockpools.ceph.rook.io");
  vendor("rook-v1.20.6-cephblockpool.schema.json", json(crdSchema(crd, "v1")), { ...src, extract: "CRD cephblockpools.ceph.rook.io .spec.versions[v1].schema.openAPIV3Schema" });
}
// Flux HelmRelease.
{
  const src = { repo: "fluxcd/helm-controller", tag: "v1.6.3", path: "config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml" };
  const crd = crdIn(git(src.repo, "show", `${src.tag}:${src.path}`), "helmreleases.helm.toolkit.fluxcd.io");
  vendor("flux-helm-controller-v1.6.3-helmrelease.schema.json", json(crdSchema(crd, "v2")), { ...src, extract: "CRD helmreleases.helm.toolkit.fluxcd.io .spec.versions[v2].schema.openAPIV3Schema" });
}
// Metal3 BareMetalHost.
{
  const src = { repo: "metal3-io/baremetal-operator", tag: "v0.13.2", path: "config/base/crds/bases/metal3.io_baremetalhosts.yaml" };
  const crd = crdIn(git(src.repo, "show", `${src.tag}:${src.path}`), "baremetalhosts.metal3.io");
  vendor("metal3-v0.13.2-baremetalhost.schema.json", json(crdSchema(crd, "v1alpha1")), { ...src, extract: "CRD baremetalhosts.metal3.io .spec.versions[v1alpha1].schema.openAPIV3Schema" });
}
// Kubernetes core types: the swagger the JS client (our @kubernetes/client-node) is generated
// from, a verbatim copy of kubernetes/kubernetes api/openapi-spec/swagger.json at v1.35.0 (see its
// `settings`). Only the definitions our manifests reach are kept.
{
  const src = { repo: "kubernetes-client/javascript", tag: "2.0.0", path: "src/gen/swagger.json.unprocessed" };
  const all = JSON.parse(git(src.repo, "show", `${src.tag}:${src.path}`)).definitions;
  const roots = ["io.k8s.api.core.v1.ResourceQuota", "io.k8s.api.core.v1.Secret", "io.k8s.api.core.v1.Namespace", "io.k8s.api.storage.v1.StorageClass", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"];
  const keep = {};
  const walk = (name) => {
    if (keep[name]) return;
    if (!all[name]) throw new Error(`definition ${name} missing`);
    keep[name] = all[name];
    JSON.stringify(all[name], (k, v) => {
      if (k === "$ref" && typeof v === "string") walk(v.replace("#/definitions/", ""));
      return v;
    });
  };
  roots.forEach(walk);
  const sorted = Object.fromEntries(Object.keys(keep).sort().map((k) => [k, keep[k]]));
  vendor("kubernetes-v1.35.0-definitions.json", json({ definitions: sorted }), {
    ...src,
    extract: `definitions reachable from ${roots.join(", ")} (kubernetes/kubernetes v1.35.0 api/openapi-spec/swagger.json per the repo's settings KUBERNETES_BRANCH)`,
  });
}
// vcluster chart: values.schema.json and values.yaml (the defaults Helm merges under ours).
for (const v of VCLUSTER_VERSIONS) {
  const tag = `v${v}`;
  for (const f of ["values.schema.json", "values.yaml"]) {
    const src = { repo: "loft-sh/vcluster", tag, path: `chart/${f}` };
    vendor(`vcluster-${v}.${f}`, git(src.repo, "show", `${tag}:${src.path}`), { ...src, extract: "verbatim" });
  }
}

const header = [
  "# Upstream schemas vendored by scripts/vendor-upstream.js; test/controllers/upstream-schemas.test.ts",
  "# recomputes sha256 of each file. upstream_sha256 is the hash of the whole upstream file at that commit.",
  "# Our own ServerGroup CRD is not vendored: it lives in deploy/crds/servergroups.inventory.otterscale.io.yaml.",
  "",
].join("\n");
fs.writeFileSync(path.join(OUT, "SOURCES"), header + YAML.stringify(sources, { lineWidth: 0 }));
console.log(`vendored ${sources.length} files into ${OUT}`);
