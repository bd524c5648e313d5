/**
 * The README's Pulumi snippet, taken from README.md as written, type-checks against the SDK and
 * runs under the mock engine on a fresh stack: `pulumi preview` (the usage data source is unknown,
 * not an error) and `pulumi up` (it reads once web-1 exists).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import ts from "typescript";
import { closeEngines } from "../../sdk/pulumi/runtime";
import type { TenantUsage } from "../../sdk/pulumi";
import { waitUntil } from "../support/processes";
import { initStackLedger, InProcessHost, mockEngine, settle, stackConfig, tempDir } from "./support";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** The first ```ts block of the README's "## Pulumi" section. */
function readmeSnippet(): string {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Pulumi\n"));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m, "README.md has a ```ts block in its Pulumi section");
  return m[1];
}

/** Runs the snippet as a program module, `otterscale-iac/pulumi` being this build; returns its exports. */
function runSnippet(code: string): Record<string, pulumi.Output<unknown>> {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
  const modules: Record<string, unknown> = { "@pulumi/pulumi": pulumi, "otterscale-iac/pulumi": require("../../sdk/pulumi") };
  const exports: Record<string, pulumi.Output<unknown>> = {};
  const req = (id: string) => {
    if (!(id in modules)) throw new Error(`the README snippet imports ${id}`);
    return modules[id];
  };
  new Function("exports", "require", js)(exports, req);
  return exports;
}

describe("pulumi: the README snippet", function () {
  this.timeout(60_000);
  let home: string;

  beforeEach(async () => {
    home = tempDir("pulumi-readme-");
    await initStackLedger(home);
    // The data source reads the stack config, as in a real program.
    for (const [k, v] of Object.entries(stackConfig(home))) pulumi.runtime.setConfig(k, v);
  });
  afterEach(async () => {
    await closeEngines();
  });

  it("type-checks against the SDK as a user's program would import it", () => {
    const file = path.join(ROOT, "readme-snippet.ts");
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      resolveJsonModule: true,
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      types: ["node"],
      baseUrl: ROOT,
      paths: { "otterscale-iac/pulumi": ["sdk/pulumi/index.ts"] },
    };
    const host = ts.createCompilerHost(options);
    const source = ts.createSourceFile(file, readmeSnippet(), ts.ScriptTarget.ES2023, true);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, ...rest) => (path.resolve(name) === file ? source : getSourceFile(name, ...rest));
    const program = ts.createProgram([file], options, host);
    const problems = ts.getPreEmitDiagnostics(program, source).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    assert.deepEqual(problems, []);
  });

  it("`pulumi preview` on a fresh stack: every resource checks; the usage is unknown, not an error", async () => {
    const records = await mockEngine(new InProcessHost(stackConfig(home)), { preview: true });
    const program = runSnippet(readmeSnippet());
    await waitUntil(() => records.length === 4, 10_000, `the snippet's 4 resources were not all checked: ${records.map((r) => r.name)}`);
    assert.deepEqual(records.filter((r) => r.failures || r.error), []);
    assert.deepEqual(records.map((r) => r.name).sort(), ["acme-prod", "node-1", "prod", "web-1"]);
    assert.equal(await (program.usage as unknown as { isKnown: Promise<boolean> }).isKnown, false);
  });

  it("`pulumi up` on a fresh stack: created, placed, and the usage read after web-1 exists", async () => {
    const records = await mockEngine(new InProcessHost(stackConfig(home)), { preview: false });
    const program = runSnippet(readmeSnippet());
    const usage = (await settle(program.usage)) as TenantUsage;
    assert.deepEqual(records.filter((r) => r.failures || r.error), []);
    assert.equal(await settle(program.server), "node-1");
    assert.deepEqual([usage.cpuCores, usage.usedCpuCores, usage.usedMemoryGib, usage.usedVirtualMachines, usage.maxVirtualMachines], [128, 4, 16, 1, 20]);
  });
});
