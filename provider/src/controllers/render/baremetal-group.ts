/**
 * baremetal_group -> `inventory.otterscale.io/v1alpha1 ServerGroup` in `otterscale-inventory`:
 * the selector, the explicit servers, the placement strategy and the resolved members (computed
 * by the engine, passed as `extras.member_servers`).
 */
import type { BaremetalGroupArgs } from "../../catalog/types.gen";
import type { DesiredObject } from "../types";
import {
  at,
  carriedMaintainers,
  compact,
  INVENTORY_NAMESPACE,
  maintainersAnnotation,
  managedLabels,
  readMaintainers,
  type Manifest,
  type Parsed,
} from "./manifest";
import { withDefaults, type Renderer } from "./renderer";

type Selector = NonNullable<BaremetalGroupArgs["selector"]>;

function selectorOut(s: Selector | undefined): Record<string, unknown> | undefined {
  return s && compact({ labels: s.labels, racks: s.racks, zones: s.zones, regions: s.regions });
}

function memberServers(obj: DesiredObject): string[] | undefined {
  const m = obj.extras?.member_servers;
  return Array.isArray(m) ? m.map(String) : undefined;
}

function render(obj: DesiredObject): Manifest {
  const s = withDefaults<BaremetalGroupArgs>("baremetal_group", obj.spec);
  const annotations = maintainersAnnotation(s.maintainers);
  return {
    apiVersion: "inventory.otterscale.io/v1alpha1",
    kind: "ServerGroup",
    metadata: compact({
      name: s.name,
      namespace: INVENTORY_NAMESPACE,
      labels: managedLabels(),
      annotations: Object.keys(annotations).length ? annotations : undefined,
    }),
    spec: compact({
      description: s.description,
      servers: s.servers,
      selector: selectorOut(s.selector),
      placementStrategy: s.placement_strategy ?? "binpack",
      memberServers: memberServers(obj),
    }),
  };
}

function parse(m: Manifest): Parsed {
  const spec = at(m, "spec");
  const members = at(spec, "memberServers");
  const selector = at(spec, "selector");
  return compact({
    key: m.metadata.name,
    status: "Active",
    fields: compact({
      name: m.metadata.name,
      maintainers: readMaintainers(m),
      description: at(spec, "description"),
      servers: at(spec, "servers"),
      selector: selector === undefined ? undefined : selectorOut(selector as Selector),
      placement_strategy: at(spec, "placementStrategy"),
    }),
    servers: Array.isArray(members) ? members.map(String) : undefined,
  }) as Parsed;
}

function carried(spec: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const s = withDefaults<BaremetalGroupArgs>("baremetal_group", spec);
  return compact({
    name: s.name,
    maintainers: carriedMaintainers(s.maintainers),
    description: s.description,
    servers: s.servers,
    selector: selectorOut(s.selector),
    placement_strategy: s.placement_strategy ?? "binpack",
  });
}

export const baremetalGroupRenderer: Renderer = {
  kind: "baremetal_group",
  apiVersion: "inventory.otterscale.io/v1alpha1",
  manifestKind: "ServerGroup",
  render,
  parse,
  carried,
  kube: { namespace: INVENTORY_NAMESPACE },
};
