import { manifestJsonSchema, manifestSchemaId } from './json-schema.js';

describe('manifestJsonSchema', () => {
  const schema = manifestJsonSchema();
  const text = JSON.stringify(schema);

  it('is a self-describing JSON Schema', () => {
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: manifestSchemaId,
      type: 'object',
      required: expect.arrayContaining(['services']),
      additionalProperties: false,
    });
  });

  it('keeps the limits and defaults and drops project-only keywords', () => {
    expect(text).toContain('"maxItems":32');
    expect(text).toContain('"default":"TCP"');
    expect(text).not.toContain('patternMessage');
    expect(text).not.toContain('x-kubernetes');
  });

  it('is plain JSON (no TypeBox symbols survive a round trip)', () => {
    expect(JSON.parse(text)).toEqual(schema);
  });
});
