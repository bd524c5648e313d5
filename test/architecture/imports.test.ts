/**
 * The layering (docs/ARCHITECTURE.md), checked on the source: front ends come in through api/
 * and never reach the ledger or the controllers themselves, and no module imports itself back.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const SOURCES = ["provider/src", "sdk"].map((d) => path.join(ROOT, d));

/** Every hand-written .ts file under `dir`. */
function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")).map((e) => path.join(e.parentPath, e.name));
}

/** Relative imports of `file` (static `import`/`export ... from`, `require`, dynamic `import()`), resolved to files. */
function importsOf(file: string, source = fs.readFileSync(file, "utf8")): { spec: string; target: string | undefined; typeOnly: boolean }[] {
  const out: { spec: string; target: string | undefined; typeOnly: boolean }[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s+["'](\.[^"']+)["']|(?:require|import)\(\s*["'](\.[^"']+)["']\s*\)/g;
  for (const m of source.matchAll(re)) {
    const spec = m[3] ?? m[4];
    const base = path.resolve(path.dirname(file), spec);
    const target = [`${base}.ts`, path.join(base, "index.ts"), base].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
    out.push({ spec, target, typeOnly: Boolean(m[2]) });
  }
  return out;
}

const rel = (f: string) => path.relative(ROOT, f);

describe("architecture: the import graph", () => {
  const files = SOURCES.flatMap(tsFiles);

  it("finds the sources and resolves every relative import (the checks below see the real graph)", () => {
    assert.ok(files.length > 100, `${files.length} files`);
    const unresolved = files.flatMap((f) => importsOf(f).filter((i) => !i.target).map((i) => `${rel(f)}: ${i.spec}`));
    assert.deepEqual(unresolved, []);
  });

  it("terraform/, sdk/ and cli/ never import ledger/ or controllers/: they come in through api/", () => {
    const frontEnds = files.filter((f) => /^(provider\/src\/(terraform|cli)|sdk)\//.test(rel(f)));
    const reaching = frontEnds.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.target && /^provider\/src\/(ledger|controllers)\//.test(rel(i.target)))
        .map((i) => `${rel(f)} imports ${rel(i.target!)}`),
    );
    assert.deepEqual(reaching, []);
    // Nor do they use the engine's ledger or controllers through a property.
    const through = frontEnds.filter((f) => /\.(ledger|controllers)\.(read|transaction|forKind|url)\b/.test(fs.readFileSync(f, "utf8"))).map(rel);
    assert.deepEqual(through, []);
  });

  it("the check itself fails on a front end reaching into the ledger", () => {
    const fake = path.join(ROOT, "provider/src/cli/commands/fake.ts");
    const found = importsOf(fake, 'import { openLedger } from "../../ledger/open";\n').filter((i) => i.target && /^provider\/src\/ledger\//.test(rel(i.target)));
    assert.equal(found.length, 1);
  });

  it("no import circle between modules (type-only imports included)", () => {
    const graph = new Map(files.map((f) => [f, importsOf(f).flatMap((i) => (i.target ? [i.target] : []))]));
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(" -> "));
        return;
      }
      state.set(f, "open");
      for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    assert.deepEqual(cycles, []);
  });
});
