/**
 * The vcluster chart version: provider default (config, then env OTTERSCALE_VCLUSTER_CHART_VERSION,
 * then schema/provider.json's default), overridable per resource, checked against the supported
 * list; the engine hands the default to the renderer and the HelmRelease pins it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { resolveConfig } from "../../provider/src/engine/config";
import { openEngine } from "../../provider/src/api";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { schemaOf } from "../../provider/src/catalog/catalog";
import { resolveSettings } from "../../sdk/pulumi/runtime";
import { ledgerUrlFor, manifests, seedEstate, tempHome } from "../support/estate";
import { describeViolations, validateManifest } from "../support/upstream-schemas";

const DEFAULT = (schemaOf("provider").properties!.vcluster_chart_version as { default: string }).default;

describe("vcluster chart version", function () {
  this.timeout(60_000);

  it("resolves config, then env, then the schema default; an unsupported one is a config error naming the field", () => {
    assert.equal(resolveConfig({ home: "/h" }, {}).vclusterChartVersion, DEFAULT);
    assert.equal(resolveConfig({ home: "/h" }, { OTTERSCALE_VCLUSTER_CHART_VERSION: "0.24.2" }).vclusterChartVersion, "0.24.2");
    assert.equal(resolveConfig({ home: "/h", vclusterChartVersion: "0.26.5" }, { OTTERSCALE_VCLUSTER_CHART_VERSION: "0.24.2" }).vclusterChartVersion, "0.26.5");
    assert.throws(
      () => resolveConfig({ home: "/h" }, { OTTERSCALE_VCLUSTER_CHART_VERSION: "0.19.0" }),
      (e: unknown) => OtterscaleError.isInstance(e) && e.code === "config" && /vcluster_chart_version "0\.19\.0" is not supported; use one of: 0\.24\.2, 0\.26\.5, 0\.36\.1/.test(e.message),
    );
  });

  it("Pulumi: otterscale:vclusterChartVersion from the provider's settings or the stack config, then the env", () => {
    const env = { OTTERSCALE_HOME: "/h", OTTERSCALE_VCLUSTER_CHART_VERSION: "0.24.2" };
    assert.equal(resolveSettings({}, env).vclusterChartVersion, "0.24.2");
    assert.equal(resolveSettings({}, { ...env, PULUMI_CONFIG: JSON.stringify({ "otterscale:vclusterChartVersion": "0.26.5" }) }).vclusterChartVersion, "0.26.5");
    assert.equal(resolveSettings({ vclusterChartVersion: "0.36.1" }, { ...env, PULUMI_CONFIG: JSON.stringify({ "otterscale:vclusterChartVersion": "0.26.5" }) }).vclusterChartVersion, "0.36.1");
  });

  it("the engine pins the provider default, or the resource's own chart_version; an unsupported one is refused before anything is written", async () => {
    const home = tempHome("chart-");
    const engine = await openEngine({ home, ledgerUrl: await ledgerUrlFor(home), controllerUrl: `gitops://${path.join(home, "manifests")}`, vclusterChartVersion: "0.24.2" });
    try {
      await seedEstate(engine);
      await engine.create("vcluster", { name: "a", tenant: "acme", group: "g" });
      await engine.create("vcluster", { name: "b", tenant: "acme", group: "g", chart_version: "0.26.5", control_plane_replicas: 2 });
      const read = (name: string) => parseYaml(readFileSync(path.join(home, "manifests", "acme", "vcluster", `${name}.yaml`), "utf8"));
      for (const [name, version] of [["a", "0.24.2"], ["b", "0.26.5"]]) {
        const m = read(name);
        assert.equal(m.spec.chart.spec.version, version, name);
        assert.deepEqual(validateManifest(m), [], describeViolations(validateManifest(m)));
      }
      const before = manifests(home);
      await assert.rejects(engine.create("vcluster", { name: "c", tenant: "acme", group: "g", chart_version: "0.19.0" }), (e: unknown) => OtterscaleError.isInstance(e) && /chart_version/.test(e.message));
      assert.deepEqual(manifests(home), before);
    } finally {
      await engine.close();
    }
  });
});
