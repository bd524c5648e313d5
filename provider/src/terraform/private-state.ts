/**
 * The provider's private state: opaque bytes Terraform stores per resource instance and hands
 * back on every call. It carries the id of the ledger the object was written to, and the owner
 * (this workspace) that created or imported it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkStateLedger } from "../engine/state-ledger";
import { memoPerObject } from "../lib/memo";

type Bytes = Uint8Array | Buffer | undefined | null;

interface Private {
  readonly ledger_id?: string;
  readonly owner?: string;
  /** Imported from another owner: the next apply takes it over (an import itself writes nothing). */
  readonly takeover?: boolean;
}

/**
 * The private state in `bytes`. A call asks about the same bytes several times (its ledger, its
 * owner, a takeover, then the private state it answers with): parsed once per bytes object, which
 * lives as long as its request. Frozen, as it is shared.
 */
function parse(bytes: Bytes): Private {
  return !bytes || !bytes.length ? {} : parsedOnce(bytes);
}

const parsedOnce = memoPerObject((bytes: Uint8Array): Private => Object.freeze(parseJson(bytes)));

function parseJson(bytes: Uint8Array): Private {
  try {
    const v = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")) as unknown;
    return v && typeof v === "object" ? (v as Private) : {};
  } catch {
    return {}; // not ours (or from an older version): nothing remembered
  }
}

/** Private state that remembers `ledgerId` and, when given, the owner (other keys kept). */
export function privateFor(ledgerId: string, prior?: Bytes, owner?: string): Buffer {
  return Buffer.from(JSON.stringify({ ...parse(prior), ledger_id: ledgerId, ...(owner ? { owner } : {}) }), "utf8");
}

/** True when the resource was imported and its takeover waits for the next apply. */
export function takeoverPending(bytes: Bytes): boolean {
  return parse(bytes).takeover === true;
}

/** Private state of an import: this workspace's owner, and a takeover pending when another owner holds it. */
export function importedPrivate(ledgerId: string, owner: string, current: string | null | undefined): Buffer {
  const takeover = !!current && current !== owner;
  return Buffer.from(JSON.stringify({ ledger_id: ledgerId, owner, ...(takeover ? { takeover } : {}) }), "utf8");
}

/** Private state after the takeover was applied (the flag dropped). */
export function settledPrivate(ledgerId: string, bytes: Bytes, owner: string): Buffer {
  const { takeover: _done, ...rest } = parse(bytes);
  return Buffer.from(JSON.stringify({ ...rest, ledger_id: ledgerId, owner }), "utf8");
}

/** Private state carrying `owner` (other keys kept): what a plan hands to its apply. */
export function withOwner(bytes: Bytes, owner: string): Buffer {
  return Buffer.from(JSON.stringify({ ...parse(bytes), owner }), "utf8");
}

/**
 * Who this workspace is. Terraform tells a provider nothing about its workspace, and plan and
 * apply run in different provider processes, so the owner must be derivable in each: the
 * explicit `owner` setting (OTTERSCALE_OWNER), else `terraform:<root module directory name>/
 * <workspace>` (the workspace from TF_WORKSPACE or the data directory's `environment` file).
 * Two checkouts of one configuration on two machines are one owner; `terraform workspace new`
 * or a copy of the configuration under another name is another. A resource's own private state
 * names the owner that created or imported it, and wins: changing the setting later does not
 * lock a workspace out of what it already owns.
 */
export class WorkspaceOwner {
  private explicit?: string;

  constructor(
    private readonly cwd: string = process.cwd(),
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  configure(explicit: string | undefined): void {
    this.explicit = explicit;
  }

  /** The owner to act as for a resource with this private state (none: a new resource). */
  of(bytes?: Bytes): string {
    return parse(bytes).owner ?? this.explicit ?? derivedOwner(this.cwd, this.env);
  }
}

/** `terraform:<dir>/<workspace>` for the root module in `cwd`. */
export function derivedOwner(cwd: string, env: NodeJS.ProcessEnv): string {
  let workspace = env.TF_WORKSPACE?.trim();
  if (!workspace) {
    try {
      workspace = fs.readFileSync(path.join(cwd, env.TF_DATA_DIR || ".terraform", "environment"), "utf8").trim();
    } catch {
      workspace = undefined; // no file: the default workspace
    }
  }
  return `terraform:${path.basename(cwd)}/${workspace || "default"}`;
}

/** Refuses private state written against another ledger (both ids named). */
export function checkPrivate(bytes: Bytes, engine: { readonly ledgerId: string; readonly ledgerLabel: string }, subject: string): void {
  checkStateLedger(parse(bytes).ledger_id, engine.ledgerId, engine.ledgerLabel, subject);
}
