/**
 * The candidate index (placement/candidate-index.ts) of each group this engine places into,
 * kept across reservations so that a single-replica placement in a group of many thousand
 * servers scores a few hundred of them instead of all.
 *
 * Correct by construction rather than by invalidation: every reservation still reads the load
 * of every member inside its own transaction (other processes write the ledger too), and the
 * index is patched to exactly those rows before it decides, so it decides over the very snapshot
 * the plain scan would see (and decides as the scan does: test/placement/candidate-index.test.ts).
 * What is saved is the scoring of every member and the re-building of the candidates whose load
 * did not change; the load read itself stays.
 *
 * An index belongs to one inventory (the InventoryCache's object for one inventory generation):
 * server specs, and so capacities, racks, maintenance and membership, are those of that
 * inventory, and only loads change between reservations. A new inventory starts a new index.
 */
import { candidateOf, loadMatches, NO_LOAD } from "../domain/inventory";
import type { ServerLoad } from "../ledger/records";
import { CandidateIndex, place, type Candidate, type PlacementRequest, type PlacementVerdict } from "../placement";
import type { Inventory } from "./inventory-view";

interface Entry {
  readonly inv: Inventory;
  readonly members: readonly string[];
  /** Placements asked for in this group under this inventory. */
  uses: number;
  index?: CandidateIndex;
}

/**
 * Building costs about as much as a few dozen plain scans (it sorts the group), so a group gets
 * an index on its second placement under one inventory: a one-off apply of one VM never pays it.
 */
const BUILD_AT_USE = 2;

export class PlacementIndexes {
  private readonly groups = new Map<string, Entry>();

  /**
   * The index of `group`, holding exactly `candidateOf(server, load)` for each member (in member
   * order), or undefined while the group has not been placed into often enough to pay for one.
   */
  indexFor(inv: Inventory, group: string, members: readonly string[], load: ReadonlyMap<string, ServerLoad>): CandidateIndex | undefined {
    let e = this.groups.get(group);
    if (e === undefined || e.inv !== inv || e.members !== members) {
      e = { inv, members, uses: 0 };
      this.groups.set(group, e);
    }
    e.uses++;
    const candidateAt = (name: string) => candidateOf(inv.servers.get(name)!, load.get(name) ?? NO_LOAD);
    if (e.index === undefined) {
      if (e.uses < BUILD_AT_USE) return undefined;
      const index = new CandidateIndex(members.map(candidateAt));
      // Names are unique in a group; an index could not tell two candidates of one name apart.
      if (index.size !== members.length) return undefined;
      e.index = index;
      return index;
    }
    for (const name of members) {
      if (!loadMatches(e.index.get(name)!, load.get(name) ?? NO_LOAD)) e.index.update(candidateAt(name));
    }
    return e.index;
  }
}

/**
 * Places `request` among a group's members at these loads: a single-replica, unpinned request
 * through the group's cached index (when `indexes` keeps one), anything else by the plain scan.
 * The decision is the same either way; `candidates` are what it was made over.
 */
export function placeInGroup(
  indexes: PlacementIndexes | undefined,
  inv: Inventory,
  group: string,
  members: readonly string[],
  load: ReadonlyMap<string, ServerLoad>,
  request: PlacementRequest,
): { readonly placed: PlacementVerdict; readonly candidates: readonly Candidate[] } {
  const index = request.replicas === 1 && request.pinned === undefined ? indexes?.indexFor(inv, group, members, load) : undefined;
  if (index) return { placed: index.place(request), candidates: index.candidates };
  const candidates = members.map((s) => candidateOf(inv.servers.get(s)!, load.get(s) ?? NO_LOAD));
  return { placed: place(candidates, request), candidates };
}
