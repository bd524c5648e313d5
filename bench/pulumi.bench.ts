/**
 * VM creates per second through the Pulumi dynamic-provider host (a real
 * `@pulumi/pulumi/cmd/dynamic-provider` process driven over gRPC with the serialized provider a
 * program sends) against direct engine calls, in the same run, both on the embedded default
 * (SQLite ledger + gitops controller writing one YAML per VM), 10 in flight like Pulumi's default
 * parallelism.
 *  - "host: Create": the Create RPC alone;
 *  - "host: Check + Create": what `pulumi up` sends per new resource (Check runs the schema and
 *    the quota/placement dry run together with the other pending creates);
 *  - "engine.create": the engine called in-process.
 * Each figure is the median of 3 rounds. `BENCH_PULUMI_VMS` sets the VMs per round (default 200).
 */
import * as path from "node:path";
import { openEngine } from "../provider/src/api";
import type { Engine } from "../provider/src/engine/engine";
import { HostProcess, initStackLedger, serializedProviders, stackConfig, tempDir, type Props } from "../test/pulumi/support";
import { median } from "./stats";

const VMS = Number(process.env.BENCH_PULUMI_VMS ?? 200);
const PARALLELISM = 10;
const ROUNDS = 3;

async function seed(create: (kind: "server" | "baremetal_group" | "tenant_quota", args: Props) => Promise<unknown>): Promise<void> {
  const servers: string[] = [];
  for (let i = 0; i < 20; i++) {
    servers.push(`s${i}`);
    await create("server", { name: `s${i}`, cpu_cores: 512, memory_gib: 4096, storage_gib: 100000 });
  }
  await create("baremetal_group", { name: "g", servers });
  await create("tenant_quota", { tenant: "bench", group: "g" });
}

/** Runs `n` creates with bounded concurrency; returns creates per second. */
async function rate(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PARALLELISM }, async () => {
      while (next < n) await one(next++);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const vm = (name: string) => ({ name, tenant: "bench", group: "g", cpu_cores: 1, memory_gib: 1, disk_gib: 1 });
const camelVm = (name: string) => ({ name, tenant: "bench", group: "g", cpuCores: 1, memoryGib: 1, diskGib: 1 });
const camel = (args: Props): Props => Object.fromEntries(Object.entries(args).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));

export async function main(): Promise<void> {
  const texts = await serializedProviders();
  const hostHome = tempDir("otterscale-bench-pulumi-host-");
  const directHome = tempDir("otterscale-bench-pulumi-direct-");
  // Both ledgers are new ones named explicitly: create them first (providers refuse missing ledgers).
  await initStackLedger(hostHome);
  await initStackLedger(directHome);
  const host = await HostProcess.start({ cwd: hostHome });
  let engine: Engine | undefined;
  try {
    await host.configure(stackConfig(hostHome));
    await seed(async (kind, args) => host.create({ ...camel(args), __provider: texts[kind] }));
    engine = await openEngine({ ledgerUrl: `sqlite://${path.join(directHome, "ledger.db")}`, controllerUrl: `gitops://${path.join(directHome, "manifests")}` });
    await seed((kind, args) => engine!.create(kind, args));

    const hostCreate: number[] = [];
    const hostCheckCreate: number[] = [];
    const direct: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Interleaved so that both sides see the same machine load and ledger growth.
      direct.push(await rate(VMS, (i) => engine!.create("virtual_machine", vm(`d${r}-${i}`))));
      hostCreate.push(await rate(VMS, (i) => host.create({ ...camelVm(`c${r}-${i}`), __provider: texts.virtual_machine })));
      hostCheckCreate.push(
        await rate(VMS, async (i) => {
          const checked = await host.check(`urn:vm:k${r}-${i}`, {}, { ...camelVm(`k${r}-${i}`), __provider: texts.virtual_machine });
          if (checked.failures.length) throw new Error(JSON.stringify(checked.failures));
          return host.create(checked.inputs);
        }),
      );
    }
    const d = median(direct);
    const h = median(hostCreate);
    const hc = median(hostCheckCreate);
    console.log(`pulumi dynamic-provider host vs engine: ${VMS} VM creates per round, ${PARALLELISM} in flight, median of ${ROUNDS} (SQLite + gitops)`);
    console.log(`  engine.create (in-process)   ${d.toFixed(0).padStart(6)} creates/s`);
    console.log(`  host: Create over gRPC       ${h.toFixed(0).padStart(6)} creates/s   ratio host/engine ${(h / d).toFixed(2)}`);
    console.log(`  host: Check + Create         ${hc.toFixed(0).padStart(6)} creates/s   ratio host/engine ${(hc / d).toFixed(2)}`);
  } finally {
    await engine?.close();
    await host.stop();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
