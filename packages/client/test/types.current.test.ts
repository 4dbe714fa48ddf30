import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { SCHEMA_FILE, currentSchema } from '../scripts/generate.js';

/**
 * The checked-in types are what the service's OpenAPI document generates now: a route or schema changed without
 * `npm run sdk:types` fails here (and so in CI), before a published client disagrees with the API.
 */
it('packages/client/src/schema.ts is generated from the current OpenAPI document', async () => {
  const [checkedIn, generated] = await Promise.all([readFile(SCHEMA_FILE, 'utf8'), currentSchema()]);
  assert.ok(generated.includes("'/api/escrow/{id}/confirm-delivery'"), 'the document has the escrow routes');
  if (checkedIn !== generated) {
    const a = checkedIn.split('\n');
    const b = generated.split('\n');
    const differs = a.findIndex((l, i) => l !== b[i]);
    const line = differs < 0 ? a.length : differs;
    assert.fail(
      `packages/client/src/schema.ts is out of date with the OpenAPI document: run npm run sdk:types ` +
        `(first difference at line ${line + 1}: ${JSON.stringify(a[line] ?? '')} → ${JSON.stringify(b[line] ?? '')})`,
    );
  }
});
