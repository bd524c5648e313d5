/**
 * plain-yaml.ts: the fast writer that lets a refresh recognise an unchanged manifest without
 * parsing it. What it writes always parses back to exactly its input (else a hand-edited file
 * could be taken for the ledger's rendering), and for the manifests otterscale renders it writes
 * the very layout of the files on disk (else the fast path would never be taken).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { HEADER } from "../../provider/src/controllers/gitops/controller";
import { fileOf } from "../../provider/src/controllers/gitops/paths";
import { plainYaml } from "../../provider/src/controllers/gitops/plain-yaml";
import { manifests, seedEstate, testEngine, vm } from "../support/estate";

/** A JSON value as YAML reads it: keys with undefined values are absent. */
const defined = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe("gitops: plain YAML writer (refresh fast path)", () => {
  it("writes every manifest the gitops controller stored byte for byte, as the yaml library does", async () => {
    const { engine, home } = await testEngine();
    try {
      await seedEstate(engine);
      await engine.create("virtual_machine", vm("web-1", { user_data: "#cloud-config\n", maintainers: ["user:alice"] }));
      await engine.create("vcluster", { name: "dev", tenant: "acme", group: "g" });
      await engine.create("block_pool", { name: "data", tenant: "acme", group: "g", size_gib: 100 });
      const files = manifests(home);
      assert.ok(files.length >= 9, `manifests written: ${files.length}`);
      const refused: string[] = [];
      const differ = files.filter((rel) => {
        const text = fs.readFileSync(path.join(home, "manifests", rel), "utf8");
        const m = parse(text);
        const fast = plainYaml(m, HEADER);
        if (fast === undefined) refused.push(rel);
        // What the fast writer writes is the yaml library's (manifestToYaml's fallback) very text.
        return (fast !== undefined && fast !== text) || `# ${HEADER}\n${stringify(m, { lineWidth: 0, aliasDuplicateObjects: false })}` !== text;
      });
      assert.deepEqual(differ, [], "files the fast path would write differently");
      // Only the vCluster's HelmRelease is left to the library: its post-renderer patch is a
      // multi-line string, which the plain writer refuses rather than guesses.
      assert.deepEqual(refused, ["acme/vcluster/dev.yaml"]);
    } finally {
      await engine.close();
    }
  });

  it("whatever it writes parses back to exactly its input; what it cannot write plainly it refuses", () => {
    // Mostly plain, with the strings that must be quoted or refused mixed in.
    const key = fc.oneof(
      { arbitrary: fc.stringMatching(/^[a-z][a-z0-9._/-]{0,5}$/), weight: 6 },
      { arbitrary: fc.constantFrom("true", "1", "null", "x y", "__proto__", "k:", "a#b"), weight: 1 },
      { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
    );
    const scalar = fc.oneof(
      { arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/,:-]{0,8}$/), weight: 6 },
      { arbitrary: fc.constantFrom("10Gi", "0x1F", "1e3", ".5", "yes", "~", "True", "a:b", "a,b", "x:", "a: b", "http://h:1/p", "- x", "#c", "-1", "1.50", "0o17", "+1", "-.5"), weight: 3 },
      { arbitrary: fc.integer(), weight: 2 },
      { arbitrary: fc.double(), weight: 1 },
      { arbitrary: fc.boolean(), weight: 1 },
      { arbitrary: fc.constant(null), weight: 1 },
      { arbitrary: fc.string({ maxLength: 8 }), weight: 1 },
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, scalar, fc.array(tie("value"), { maxLength: 3 }), fc.dictionary(key, tie("value"), { maxKeys: 3 })),
    }));
    let written = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), (doc) => {
        const text = plainYaml(doc, HEADER);
        if (text === undefined) return;
        written++;
        assert.deepEqual(parse(text) ?? {}, defined(doc));
        // The same bytes as the yaml library's layout (manifestToYaml's fallback), so files do not change with the writer.
        assert.equal(text, `# ${HEADER}\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`);
      }),
      { numRuns: 2000 },
    );
    assert.ok(written > 50, `written plainly: ${written} of 2000`); // one refused value anywhere refuses the document
  });

  it("a hand edit is not mistaken for the ledger's rendering: the refresh shows it as drift", async () => {
    const { engine, home } = await testEngine();
    try {
      await seedEstate(engine);
      await engine.create("virtual_machine", vm("web-1"));
      const file = fileOf(path.join(home, "manifests"), "virtual_machine", "acme/web-1");
      const text = fs.readFileSync(file, "utf8");
      assert.match(text, /cores: 2\n/);
      fs.writeFileSync(file, text.replace("cores: 2\n", "cores: 3\n"));
      const [a, b] = await Promise.all([engine.read("virtual_machine", "acme/web-1"), engine.read("server", "s1")]);
      assert.equal(a?.cpu_cores, 3);
      assert.equal(b?.id, "s1");
    } finally {
      await engine.close();
    }
  });
});
