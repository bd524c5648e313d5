/**
 * Temp files of crashed gitops writers: removed by the next write into their directory once they
 * are old (by mtime, never by the PID in their name), and never visible as objects. Each test
 * writes into directories this process has not written before: a process sweeps a directory at
 * most every SWEEP_INTERVAL_MS (a crash found at startup is the usual case).
 */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { openControllers } from "../../provider/src/controllers/registry";
import { removeStaleTemps, STALE_TEMP_MS, SWEEP_INTERVAL_MS, writeFileAtomic } from "../../provider/src/controllers/gitops/files";
import { testTempDir } from "../support/temp";
import * as b from "./builders";

/** A temp file named as a writer with `pid` names it, last modified `ageMs` ago. */
async function leftTemp(dir: string, target: string, pid: number, ageMs: number): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `.${target}.${pid}.1.0badf00d.tmp`);
  await fs.writeFile(file, "half a manif");
  const at = new Date(Date.now() - ageMs);
  await fs.utimes(file, at, at);
  return file;
}

const exists = (file: string) =>
  fs.stat(file).then(
    () => true,
    () => false,
  );

/** A PID that no process here has (above the kernel's pid_max ceiling of 2^22). */
const NO_SUCH_PID = 4_194_305;

describe("controllers/gitops temp files of crashed writers", () => {
  let root: string;
  beforeEach(() => {
    root = testTempDir("gitops-temps-");
  });

  it("a stale temp file is gone after the next write in its directory, even when its PID is a live process", async () => {
    const dir = path.join(root, "acme", "virtual_machine");
    // Our own PID: a live process, as a crashed writer's PID can be in another PID namespace.
    const stale = await leftTemp(dir, "web-1.yaml", process.pid, STALE_TEMP_MS + 5_000);
    await writeFileAtomic(path.join(dir, "web-2.yaml"), "kind: VirtualMachine\n");
    assert.equal(await exists(stale), false);
    assert.deepEqual(await fs.readdir(dir), ["web-2.yaml"]);
  });

  it("a fresh temp file stays (another process may be writing it), even when its PID is not running here", async () => {
    const dir = path.join(root, "acme", "virtual_machine");
    const fresh = await leftTemp(dir, "web-1.yaml", NO_SUCH_PID, 0);
    const young = await leftTemp(dir, "web-3.yaml", NO_SUCH_PID, STALE_TEMP_MS - 10_000);
    await writeFileAtomic(path.join(dir, "web-2.yaml"), "kind: VirtualMachine\n");
    assert.equal(await exists(fresh), true);
    assert.equal(await exists(young), true);
  });

  it("only the written directory is swept, and only names this module makes", async () => {
    const vms = path.join(root, "acme", "virtual_machine");
    const pools = path.join(root, "acme", "block_pool");
    const elsewhere = await leftTemp(pools, "data.yaml", NO_SUCH_PID, STALE_TEMP_MS + 5_000);
    const userFile = path.join(vms, ".notes.tmp");
    await fs.mkdir(vms, { recursive: true });
    await fs.writeFile(userFile, "mine");
    const old = new Date(Date.now() - 10 * STALE_TEMP_MS);
    await fs.utimes(userFile, old, old);
    await writeFileAtomic(path.join(vms, "web-2.yaml"), "kind: VirtualMachine\n");
    assert.equal(await exists(elsewhere), true, "another directory waits for its own next write");
    assert.equal(await exists(userFile), true, "a hidden file that is not ours is never touched");
    await writeFileAtomic(path.join(pools, "other.yaml"), "kind: CephBlockPool\n");
    assert.equal(await exists(elsewhere), false);
  });

  it("one process sweeps a directory at most every SWEEP_INTERVAL_MS; removeStaleTemps sweeps at once", async () => {
    const dir = path.join(root, "acme", "virtual_machine");
    await writeFileAtomic(path.join(dir, "web-1.yaml"), "kind: VirtualMachine\n");
    const stale = await leftTemp(dir, "web-2.yaml", NO_SUCH_PID, STALE_TEMP_MS + 5_000);
    await writeFileAtomic(path.join(dir, "web-3.yaml"), "kind: VirtualMachine\n");
    assert.equal(await exists(stale), true, `swept again within ${SWEEP_INTERVAL_MS} ms`);
    await removeStaleTemps(dir);
    assert.equal(await exists(stale), false);
  });

  it("list and get ignore temp files, fresh or stale", async () => {
    const controllers = openControllers(`gitops://${root}`);
    const vmc = controllers.forKind("virtual_machine");
    await vmc.apply(b.vm());
    const dir = path.join(root, "acme", "virtual_machine");
    await leftTemp(dir, "web-1.yaml", NO_SUCH_PID, 0);
    await leftTemp(dir, "web-9.yaml", NO_SUCH_PID, STALE_TEMP_MS + 5_000);
    assert.deepEqual(await vmc.list(), ["acme/web-1"]);
    assert.equal((await vmc.get("acme/web-1"))?.key, "acme/web-1");
    assert.equal(await vmc.get("acme/web-9"), undefined);
  });
});
