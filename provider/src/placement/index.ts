/**
 * Placement: pure decision functions over a snapshot of candidate servers.
 */
export type {
  Candidate,
  Domain,
  PlacementRequest,
  PlacementVerdict,
  Placed,
  Rejection,
  Strategy,
  Unplaceable,
} from "./types";
export { place } from "./place";
export { CandidateIndex } from "./candidate-index";
export { checkInPlace } from "./in-place";
export { capacityOf, dimensionCapacity, type ServerCapacity, type ServerCapacitySpec } from "./capacity";
export { domainValue } from "./domains";
export {
  FILTER_PLUGINS,
  DEFAULT_FILTERS,
  loadHeadroom,
  bindFilters,
  runFilters,
  type FilterName,
  type FilterPlugin,
  type CandidateFilter,
} from "./filters";
export { SCORERS, SCORE_MAX, type Scorer } from "./scorers";
