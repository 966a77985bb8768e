/**
 * JSON Schema keyword tables for the normaliser: which keywords are annotations (ignored silently),
 * which are handled, and what is lost when an unsupported one is dropped (said in the warning).
 */

/** Annotation and meta keywords: no validation meaning for generated code, ignored silently. */
export const IGNORED_KEYWORDS: ReadonlySet<string> = new Set([
  '$schema',
  '$id',
  'id',
  '$comment',
  '$anchor',
  '$dynamicAnchor',
  '$recursiveAnchor',
  '$vocabulary',
  '$defs',
  'definitions',
  'readOnly',
  'writeOnly',
  'externalDocs',
  'xml',
  'discriminator',
  'contentMediaType',
  'contentEncoding',
  'contentSchema',
  'example',
]);

/** Keywords the normaliser translates. */
export const HANDLED_KEYWORDS: ReadonlySet<string> = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'format',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'nullable',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'items',
  'prefixItems',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
]);

/** What the generated validator no longer checks when the keyword is dropped. */
export const UNSUPPORTED_KEYWORDS: Readonly<Record<string, string>> = {
  not: 'values matching the negated schema are not rejected',
  if: 'the conditional (if/then/else) constraints are not checked',
  then: 'the conditional (if/then/else) constraints are not checked',
  else: 'the conditional (if/then/else) constraints are not checked',
  patternProperties: 'properties matching these patterns are not validated against their schemas',
  dependentRequired: 'properties required by the presence of other properties are not enforced',
  dependentSchemas: 'schemas applied by the presence of other properties are not checked',
  dependencies: 'property dependencies are not enforced',
  contains: 'arrays are not checked to contain a matching item',
  minContains: 'the minimum count of matching items is not checked',
  maxContains: 'the maximum count of matching items is not checked',
  propertyNames: 'property names are not validated',
  unevaluatedProperties: 'unevaluated properties are not rejected',
  unevaluatedItems: 'unevaluated items are not rejected',
  $dynamicRef: 'the dynamic reference is not followed (treated as any value)',
  $recursiveRef: 'the recursive reference is not followed (treated as any value)',
};

/** Keywords that only make sense for one JSON type; used to infer a missing `type`. */
export const OBJECT_KEYWORDS = ['properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties'];
export const ARRAY_KEYWORDS = ['items', 'prefixItems', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems'];
export const STRING_KEYWORDS = ['minLength', 'maxLength', 'pattern', 'format'];
export const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];

export const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'array', 'object'] as const;
export type JsonType = (typeof JSON_TYPES)[number];

export const STRING_FORMATS = [
  'date-time',
  'date',
  'time',
  'duration',
  'uuid',
  'email',
  'uri',
  'hostname',
  'ipv4',
  'ipv6',
  'byte',
] as const;

/** Escape one JSON pointer segment (RFC 6901). */
export function pointerSegment(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}
