/** Message payload schema formats: which ones are JSON Schema (what eventgen turns into Zod), and what the others are. */

const JSON_SCHEMA_FORMATS = [
  /^application\/vnd\.aai\.asyncapi(\+json|\+yaml)?(;version=[\d.]+)?$/,
  /^application\/schema\+(json|yaml)(;version=draft-0[4-7]|;version=20(19-09|20-12))?$/,
  /^application\/vnd\.oai\.openapi(\+json|\+yaml)?(;version=3\.[01](\.\d+)?)?$/,
];

/** True for the AsyncAPI schema, JSON Schema drafts 04-2020-12 and OpenAPI 3.0/3.1 schema formats. */
export function isJsonSchemaFormat(format: string): boolean {
  return JSON_SCHEMA_FORMATS.some((re) => re.test(format));
}

/** The refusal for a payload format eventgen cannot turn into Zod (Avro is read: model/avro.ts). */
export function unsupportedFormatMessage(format: string): string {
  const kind = /avro/i.test(format) ? 'Avro' : /protobuf/i.test(format) ? 'Protobuf' : /raml/i.test(format) ? 'RAML' : format;
  return `payload schema format "${format}" (${kind}) is not supported: eventgen needs JSON Schema (AsyncAPI schema) payloads`;
}
