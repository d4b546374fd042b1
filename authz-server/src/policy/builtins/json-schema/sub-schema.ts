// A compiled schema node: what gojsonschema's SubSchema keeps of one schema object, with the
// children in a fixed order where Go's are in map order (properties, patternProperties and
// dependencies by key). Pure data.
import type { RE2JS } from "re2js";
import type { Decimal } from "./decimal.ts";

/** gojsonschema's Hybrid mode (no recognised $schema): draft-4 and draft-6+ forms both accepted. */
export const HYBRID = 2 ** 31 - 1;

export interface Pattern {
  source: string;
  re: RE2JS;
}

export interface SubSchema {
  draft: number;
  /** A boolean schema (draft 6 and later). */
  pass?: boolean;
  /** Where $ref points; the node's other keywords are then not validated. */
  ref?: SubSchema;
  types: string[];
  properties: [string, SubSchema][];
  additionalProperties?: boolean | SubSchema;
  patternProperties: [Pattern, SubSchema][];
  propertyNames?: SubSchema;
  dependencies: [string, string[] | SubSchema][];
  items: SubSchema[];
  itemsIsSingleSchema: boolean;
  additionalItems?: boolean | SubSchema;
  multipleOf?: Decimal;
  minimum?: Decimal;
  exclusiveMinimum?: Decimal;
  maximum?: Decimal;
  exclusiveMaximum?: Decimal;
  minLength?: bigint;
  maxLength?: bigint;
  pattern?: Pattern;
  format?: string;
  minProperties?: bigint;
  maxProperties?: bigint;
  required: string[];
  minItems?: bigint;
  maxItems?: bigint;
  uniqueItems: boolean;
  contains?: SubSchema;
  /** canonicalText of const / of each enum value. */
  constText?: string;
  enumTexts?: string[];
  oneOf: SubSchema[];
  anyOf: SubSchema[];
  allOf: SubSchema[];
  not?: SubSchema;
  if?: SubSchema;
  then?: SubSchema;
  else?: SubSchema;
}

export function emptySchema(draft: number): SubSchema {
  return {
    draft,
    types: [],
    properties: [],
    patternProperties: [],
    dependencies: [],
    items: [],
    itemsIsSingleSchema: false,
    required: [],
    uniqueItems: false,
    oneOf: [],
    anyOf: [],
    allOf: [],
  };
}
