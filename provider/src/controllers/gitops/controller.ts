/**
 * The gitops adapter: every object is one YAML manifest file under a directory (usually a git
 * checkout that Flux or Argo CD syncs). `apply` renders and writes, `get` reads the file back
 * (hand edits show up as drift, a hand-deleted file as a deleted object), `delete` removes it.
 */
import * as path from "node:path";
import { OtterscaleError } from "../../domain/errors";
import { RESOURCE_KINDS, type ResourceKind } from "../../catalog/catalog";
import { observeManifest, renderAttached, renderManifest, sharedRendering, type Manifest } from "../render";
import type { Answer, ControllerContext, ControllerLocation, Controllers, DesiredObject, KindController, ObservedObject } from "../types";
import { listDir, readFileIfExists, readFileIfExistsSync, removeFile, writeFileAtomic } from "./files";
import { fileOf, INVENTORY_DIR, isInventoryKind, keyOf } from "./paths";
import { plainYaml } from "./plain-yaml";
import { yamlLib } from "../yaml";

export const HEADER = "Rendered by otterscale-iac (gitops controller). Hand edits show up as drift on the next refresh.";

/**
 * Manifest to file text: stable key order, no folding, no YAML anchors. Attached objects (an EC
 * pool's metadata pool and StorageClass) follow as further YAML documents of the same file, which
 * Flux, Argo CD and kustomize apply together. A lone manifest of plain values (all of today's)
 * takes the fast writer, which writes the yaml library's very bytes
 * (test/controllers/plain-yaml.test.ts); anything else goes to the library.
 */
export function manifestToYaml(manifest: Manifest, attached: readonly Manifest[] = []): string {
  const fast = attached.length === 0 ? plainYaml(manifest, HEADER) : undefined;
  if (fast !== undefined) return fast;
  const { stringify } = yamlLib();
  const doc = (m: Manifest) => stringify(m, { lineWidth: 0, aliasDuplicateObjects: false });
  return `# ${HEADER}\n${[manifest, ...attached].map(doc).join("---\n")}`;
}

function checkContext(ctx: ControllerContext | undefined, what: string): void {
  if (ctx?.signal?.aborted) throw new OtterscaleError("timeout", `${what} was cancelled`);
  if (ctx?.deadline !== undefined && Date.now() > ctx.deadline) {
    throw new OtterscaleError("timeout", `${what} did not start before its deadline`);
  }
}

/** Filesystem faults become controller failures that name the file and the errno code. */
async function io<T>(what: string, file: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw ioError(what, file, e);
  }
}

function ioSync<T>(what: string, file: string, op: () => T): T {
  try {
    return op();
  } catch (e) {
    throw ioError(what, file, e);
  }
}

function ioError(what: string, file: string, e: unknown): unknown {
  if (OtterscaleError.isInstance(e)) return e;
  const code = (e as NodeJS.ErrnoException).code ?? "error";
  return new OtterscaleError("controller_failed", `gitops: could not ${what} ${file} (${code}); check the directory's permissions and free space`, [], {
    cause: (e as Error).message,
  });
}

export class GitopsKindController implements KindController {
  constructor(
    private readonly root: string,
    private readonly kind: ResourceKind,
  ) {}

  async apply(obj: DesiredObject, ctx?: ControllerContext): Promise<ObservedObject> {
    if (obj.kind !== this.kind) {
      throw new OtterscaleError("controller_failed", `gitops: ${obj.kind} ${obj.key} sent to the ${this.kind} controller`);
    }
    const file = fileOf(this.root, this.kind, obj.key);
    const manifest = renderManifest(obj);
    const attached = renderAttached(obj);
    const observed = { ...observeManifest(this.kind, obj.key, manifest, file), attached };
    checkContext(ctx, `apply ${this.kind} ${obj.key}`);
    await io("write", file, () => writeFileAtomic(file, manifestToYaml(manifest, attached)));
    return observed;
  }

  async get(key: string, ctx?: ControllerContext): Promise<ObservedObject | undefined> {
    const file = fileOf(this.root, this.kind, key);
    checkContext(ctx, `read ${this.kind} ${key}`);
    const text = await io("read", file, () => readFileIfExists(file));
    return text === undefined ? undefined : this.observe(key, file, text);
  }

  /**
   * A refresh's batch. The files are small and few per batch (Terraform's parallelism): read
   * synchronously they cost a fraction of four thread-pool round trips each (open, stat, read,
   * close). A file that is byte-for-byte what `expected` renders to (the text `manifestToYaml`
   * writes for it) is observed from that rendering instead of being parsed: YAML parsing was most
   * of a refresh's CPU. Any other text, a hand edit included, is parsed as `get` does.
   */
  async getMany(keys: readonly string[], expected: readonly (DesiredObject | undefined)[], ctx?: ControllerContext): Promise<Answer<ObservedObject | undefined>[]> {
    return keys.map((key, i) => {
      try {
        checkContext(ctx, `read ${this.kind} ${key}`);
        const file = fileOf(this.root, this.kind, key);
        const text = ioSync("read", file, () => readFileIfExistsSync(file));
        if (text === undefined) return { ok: true, value: undefined };
        const want = expected[i];
        if (want && want.kind === this.kind) {
          // The engine's own rendering of `want` (shared with its drift check and `manifests`).
          const [manifest, ...attached] = sharedRendering(want);
          if (manifestToYaml(manifest, attached) === text) return { ok: true, value: { ...observeManifest(this.kind, key, manifest, file), attached } };
        }
        return { ok: true, value: this.observe(key, file, text) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  private observe(key: string, file: string, text: string): ObservedObject {
    let docs: unknown[];
    try {
      docs = yamlLib().parseAllDocuments(text).map((d) => {
        if (d.errors.length) throw d.errors[0];
        return d.toJS();
      });
    } catch (e) {
      throw new OtterscaleError(
        "controller_failed",
        `${file}: not valid YAML (${(e as Error).message.split("\n")[0]}); fix or delete the file`,
      );
    }
    // The object first, then what is attached to it (manifestToYaml).
    const [manifest, ...attached] = docs;
    return { ...observeManifest(this.kind, key, manifest ?? null, file), attached };
  }

  async delete(key: string, ctx?: ControllerContext): Promise<void> {
    const file = fileOf(this.root, this.kind, key);
    checkContext(ctx, `delete ${this.kind} ${key}`);
    await io("remove", file, () => removeFile(file));
  }

  /** Everything in the directory is ours: it is the estate's own manifests directory. */
  listOwned(ctx?: ControllerContext): Promise<string[]> {
    return this.list(ctx);
  }

  async list(ctx?: ControllerContext): Promise<string[]> {
    checkContext(ctx, `list ${this.kind}`);
    const owners = isInventoryKind(this.kind)
      ? [INVENTORY_DIR]
      : (await io("list", this.root, () => listDir(this.root, "dir"))).filter((d) => d !== INVENTORY_DIR);
    const keys: string[] = [];
    for (const owner of owners) {
      const dir = path.join(this.root, owner, this.kind);
      for (const name of await io("list", dir, () => listDir(dir, "file"))) {
        const key = keyOf(this.kind, owner, name);
        if (key !== undefined) keys.push(key);
      }
    }
    return keys.sort();
  }
}

/** File at the root of a gitops directory naming the ledger it belongs to (hidden and without a manifest extension, so Flux, Argo CD and kustomize never try to apply it). */
export const OWNER_FILE = ".otterscale-ledger";

/** The directory's ownership marker (see ControllerLocation). */
class GitopsLocation implements ControllerLocation {
  readonly label: string;

  constructor(
    private readonly root: string,
    url: string,
  ) {
    this.label = url;
  }

  async owner(): Promise<string | undefined> {
    const file = path.join(this.root, OWNER_FILE);
    const text = await io("read", file, () => readFileIfExists(file));
    if (text === undefined) return undefined;
    try {
      const id = (JSON.parse(text) as { ledger_id?: unknown }).ledger_id;
      if (typeof id === "string" && id) return id;
    } catch {
      // fall through: a marker we cannot read must not be mistaken for "no owner"
    }
    throw new OtterscaleError("config", `${file} is not a valid otterscale ownership marker; restore it from git or delete it`);
  }

  async isEmpty(): Promise<boolean> {
    for (const owner of await io("list", this.root, () => listDir(this.root, "dir"))) {
      for (const kind of RESOURCE_KINDS) {
        const dir = path.join(this.root, owner, kind);
        if ((await io("list", dir, () => listDir(dir, "file"))).some((f) => keyOf(kind, owner, f) !== undefined)) return false;
      }
    }
    return true;
  }

  async claim(ledgerId: string): Promise<void> {
    const file = path.join(this.root, OWNER_FILE);
    await io("write", file, () => writeFileAtomic(file, `${JSON.stringify({ ledger_id: ledgerId, note: "otterscale-iac: the ledger whose objects this directory holds" }, null, 2)}\n`));
  }
}

/** All kinds served from one directory. */
export class GitopsControllers implements Controllers {
  private readonly byKind: ReadonlyMap<ResourceKind, GitopsKindController>;
  readonly location: ControllerLocation;

  constructor(
    readonly url: string,
    /** Absolute directory holding the manifests. */
    readonly root: string,
  ) {
    this.byKind = new Map(RESOURCE_KINDS.map((k) => [k, new GitopsKindController(root, k)]));
    this.location = new GitopsLocation(root, url);
  }

  forKind(kind: ResourceKind): KindController {
    const c = this.byKind.get(kind);
    if (!c) throw new OtterscaleError("config", `the gitops controller does not serve kind "${String(kind)}"`);
    return c;
  }
}
