/**
 * Internal values -> tfplugin6 message objects (field names as in the .proto, snake_case).
 */
import type { AttributeSpec, BlockTypeSpec, ObjectSpec } from "./schema";
import type { PathStep, TfDiagnostic } from "./diagnostics";
import { encodeValue } from "./codec/msgpack";
import { typeBytes, type TfType, type TfValue } from "./codec/types";

const MARKDOWN = 1;
const NESTING = { single: 1, list: 2, set: 3, map: 4 } as const;

export interface ProtoAttributePath {
  steps: ({ attribute_name: string } | { element_key_int: number } | { element_key_string: string })[];
}

/** Path steps; `map` keys are strings after an attribute that is a map (we only know numbers vs names). */
export function pathToProto(path: readonly PathStep[]): ProtoAttributePath {
  return { steps: path.map((s) => (typeof s === "number" ? { element_key_int: s } : { attribute_name: s })) };
}

export function diagnosticToProto(d: TfDiagnostic): Record<string, unknown> {
  return {
    severity: d.severity === "error" ? 1 : 2,
    summary: d.summary,
    detail: d.detail,
    ...(d.path && d.path.length ? { attribute: pathToProto(d.path) } : {}),
  };
}

export const diagnosticsToProto = (ds: readonly TfDiagnostic[]) => ds.map(diagnosticToProto);

function attributeToProto(a: AttributeSpec): Record<string, unknown> {
  return {
    name: a.name,
    ...(a.nested
      ? { nested_type: { attributes: a.nested.attributes.map(attributeToProto), nesting: NESTING[a.nested.nesting] } }
      : { type: typeBytes(a.type) }),
    description: a.description,
    description_kind: MARKDOWN,
    required: a.required,
    optional: a.optional,
    computed: a.computed,
    sensitive: a.sensitive,
    write_only: !!a.writeOnly,
  };
}

function blockTypeToProto(b: BlockTypeSpec): Record<string, unknown> {
  return {
    type_name: b.name,
    nesting: NESTING[b.nesting],
    block: { version: 0, attributes: b.attributes.map(attributeToProto), block_types: [], description: b.description, description_kind: MARKDOWN },
  };
}

/** A resource, data source or provider schema as `tfplugin6.Schema`. */
export function schemaToProto(spec: ObjectSpec): Record<string, unknown> {
  return {
    version: 0,
    block: {
      version: 0,
      attributes: spec.attributes.map(attributeToProto),
      block_types: spec.blocks.map(blockTypeToProto),
      description: spec.description,
      description_kind: MARKDOWN,
    },
  };
}

export const dynamicValue = (value: TfValue, type: TfType) => ({ msgpack: encodeValue(value, type) });
