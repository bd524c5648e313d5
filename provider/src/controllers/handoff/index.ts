export { HANDED_OFF_STATUS, HandoffControllers, HandoffKindController } from "./controller";
