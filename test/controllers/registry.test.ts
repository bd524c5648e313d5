import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { GitopsControllers } from "../../provider/src/controllers/gitops";
import { HANDED_OFF_STATUS } from "../../provider/src/controllers/handoff";
import { defaultControllerUrl, openControllers } from "../../provider/src/controllers/registry";
import { OtterscaleError } from "../../provider/src/domain/errors";
import { RESOURCE_KINDS } from "../../provider/src/catalog/catalog";
import { testTempDir } from "../support/temp";

const configError = (pattern: RegExp) => (e: unknown) => OtterscaleError.isInstance(e) && e.code === "config" && pattern.test(e.message);

describe("controllers/registry", () => {
  let home: string;
  beforeEach(async () => {
    home = testTempDir("registry-");
  });
  afterEach(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it("defaultControllerUrl is gitops:// + <home>/manifests", () => {
    assert.equal(defaultControllerUrl("/var/lib/otterscale"), "gitops:///var/lib/otterscale/manifests");
  });

  it("gitops:///abs/dir serves every kind; opening and reading create nothing (the first write creates the directory)", async () => {
    const url = defaultControllerUrl(home);
    const c = openControllers(url);
    assert.equal(c.url, url);
    assert.ok(c instanceof GitopsControllers);
    assert.equal((c as GitopsControllers).root, path.join(home, "manifests"));
    for (const k of RESOURCE_KINDS) assert.deepEqual(await c.forKind(k).list(), []);
    assert.equal(await c.forKind("server").get("s1"), undefined);
    await assert.rejects(fs.stat(path.join(home, "manifests")), /ENOENT/, "reads never write");
    await c.forKind("server").apply({ kind: "server", key: "s1", spec: { name: "s1", cpu_cores: 1, memory_gib: 1, storage_gib: 1 }, placement: [] });
    assert.ok((await fs.stat(path.join(home, "manifests"))).isDirectory());
  });

  it("handoff:// serves every kind, writes nothing, reads every key as present and handed off; anything after the scheme is a config error", async () => {
    const c = openControllers("handoff://");
    assert.equal(c.observesBackend, false);
    const spec = { name: "s1", cpu_cores: 1, memory_gib: 1, storage_gib: 1 };
    const applied = await c.forKind("server").apply({ kind: "server", key: "s1", spec, placement: [] });
    assert.equal(applied.status, HANDED_OFF_STATUS);
    for (const k of RESOURCE_KINDS) assert.deepEqual(await c.forKind(k).list(), []);
    assert.deepEqual(await c.forKind("virtual_machine").get("acme/web-1"), { kind: "virtual_machine", key: "acme/web-1", status: HANDED_OFF_STATUS, fields: {} });
    assert.deepEqual(await fs.readdir(home), [], "nothing written");
    assert.throws(() => openControllers("handoff:///srv/x"), configError(/expected exactly handoff:\/\//));
  });

  it("gitops with a relative path is a config error", () => {
    assert.throws(() => openControllers("gitops://relative/dir"), configError(/gitops:\/\/\/absolute\/dir/));
  });

  it("a mistyped scheme never echoes credentials from the URL", () => {
    assert.throws(
      () => openControllers("mass://10.0.0.2:5240/MAAS?key=cons:tok:SuperSecretToken"),
      (e: unknown) => OtterscaleError.isInstance(e) && e.code === "config" && /mass:\/\/10\.0\.0\.2:5240\/MAAS\?key=\*\*\*/.test(e.message) && !e.message.includes("SuperSecret"),
    );
  });

  it("kubernetes:// without a kubeconfig and maas:// without a key are config errors", () => {
    assert.throws(() => openControllers("kubernetes://?kubeconfig=/nonexistent/kubeconfig"), configError(/cannot load the kubeconfig/));
    const k = process.env.OTTERSCALE_MAAS_API_KEY;
    delete process.env.OTTERSCALE_MAAS_API_KEY;
    try {
      assert.throws(() => openControllers("maas://maas.example:5240/MAAS"), configError(/no MAAS API key/));
    } finally {
      if (k !== undefined) process.env.OTTERSCALE_MAAS_API_KEY = k;
    }
  });

  it("an unknown scheme names the supported ones and hides credentials", () => {
    assert.throws(() => openControllers("s3://bucket/x"), configError(/not supported; use one of: gitops:\/\/\/absolute\/dir .*kubernetes:\/\/, maas:\/\//));
    assert.throws(() => openControllers("/just/a/path"), configError(/not supported/));
    assert.throws(
      () => openControllers("ftp://user:s3cret@host/x"),
      (e: unknown) => OtterscaleError.isInstance(e) && !e.message.includes("s3cret"),
    );
  });
});
