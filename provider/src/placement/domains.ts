/**
 * Failure/spread domains: the value of a candidate in a domain (its name, rack or zone).
 */
import type { Candidate, Domain } from "./types";

/**
 * The candidate's value in `domain`, or undefined when the server does not record it
 * (a server always has a name; rack and zone are optional attributes).
 *
 * Example: `domainValue({name: "s1", rack: "r2", ...}, "rack")` -> `"r2"`.
 */
export function domainValue(c: Candidate, domain: Domain): string | undefined {
  switch (domain) {
    case "server":
      return c.name;
    case "rack":
      return c.rack;
    case "zone":
      return c.zone;
  }
}
