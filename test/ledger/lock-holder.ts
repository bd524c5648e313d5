/**
 * Child process for the busy tests: takes the write lock of the SQLite ledger file in argv[2]
 * (BEGIN IMMEDIATE plus an uncommitted write, like a writer in the middle of a reservation),
 * prints `locked`, and holds it until killed or its stdin closes (so it never outlives the test).
 */
import { DatabaseSync } from "node:sqlite";

const db = new DatabaseSync(process.argv[2]);
db.exec("BEGIN IMMEDIATE");
db.exec("UPDATE meta SET v = v WHERE k = 'inventory_generation'");
process.stdout.write("locked\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
