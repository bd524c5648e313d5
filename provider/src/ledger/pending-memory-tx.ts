/**
 * TEMPORARY, delete when the engine lead's `MemoryTx.renewLease` lands (issue 11): `LedgerTx`
 * gained `renewLease`, which the in-memory plan transaction (engine/memory-tx.ts, not this
 * module's file) does not implement yet. This declaration lets the build type-check meanwhile;
 * nothing calls `renewLease` on a MemoryTx until that change, which brings the real method. It
 * stays harmless if forgotten (a class may declare what an interface merge declares), but it
 * hides nothing then: remove it.
 */
export {};

declare module "../engine/memory-tx" {
  interface MemoryTx {
    renewLease(kind: import("../schema/catalog").ResourceKind, key: string, opId: string, until: number): Promise<boolean>;
  }
}
