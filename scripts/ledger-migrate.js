#!/usr/bin/env node
// Copies a ledger into a new, empty one and verifies the totals:
//   node scripts/ledger-migrate.js --from sqlite:///abs/ledger.db --to postgres://user@host/db
// (`otterscale ledger migrate` calls the same function). Needs a build (`npm run build`);
// OTTERSCALE_DIST points at another build directory. Exit codes: 0 copied and verified,
// 1 failed (nothing written to the target), 2 bad usage. Passwords are never printed.
"use strict";
const path = require("node:path");

const USAGE = "usage: ledger-migrate --from <ledger URL> --to <ledger URL>\n" +
  "  e.g. --from sqlite:///home/me/.otterscale/ledger.db --to 'postgres://ops@db:5432/otterscale?sslmode=verify-full'";

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(from|to)(?:=(.*))?$/.exec(argv[i]);
    if (!m) return undefined;
    out[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
  }
  return out.from && out.to ? out : undefined;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    console.error(USAGE);
    return 2;
  }
  const dist = process.env.OTTERSCALE_DIST || path.join(__dirname, "..", "dist");
  const { copyLedger } = require(path.join(dist, "provider", "src", "ledger", "migrate.js"));
  try {
    const s = await copyLedger(args.from, args.to);
    console.log(`copied ${s.from} -> ${s.to}: ${s.objects} objects, ${s.allocations} allocations, ${s.audit} audit events`);
    console.log(`verified usage of ${s.tenantGroups} tenant/group pairs and the load of ${s.servers} servers: identical`);
    return 0;
  } catch (e) {
    // Domain errors carry a code and a message that says what to do; never a stack trace.
    console.error(`ledger migrate failed${e && e.code ? ` (${e.code})` : ""}: ${e && e.message ? e.message : String(e)}`);
    return 1;
  }
}

main().then((code) => (process.exitCode = code));
