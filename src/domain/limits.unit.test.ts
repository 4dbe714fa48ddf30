import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JSON_MAX_DEPTH, UNSTORABLE_TEXT_RULE, isStorableText, jsonProblem } from './limits.js';

/** `{"a":{"a":…}}`, `levels` objects deep, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

describe('storable text', () => {
  it('refuses NUL and unpaired surrogates, accepts everything else', () => {
    for (const bad of ['a\u0000b', '\ud800', 'x\udfff', '\udc00\ud800', '\ud83d'])
      assert.equal(isStorableText(bad), false);
    for (const ok of ['', 'plain', 'caf\u00e9', '\ud83d\ude00 emoji', '\u0001\u001f control', 'tab\t']) {
      assert.equal(isStorableText(ok), true, ok);
    }
  });
});

describe('jsonProblem', () => {
  it('names the field of a bad value, a bad key, or an array item', () => {
    const limits = { maxDepth: JSON_MAX_DEPTH };
    assert.deepEqual(jsonProblem({ metadata: { note: 'a\u0000b' } }, limits), {
      field: 'metadata.note',
      message: UNSTORABLE_TEXT_RULE,
    });
    assert.deepEqual(jsonProblem({ metadata: { ['\ud800']: 1 } }, limits), {
      field: 'metadata',
      message: `keys ${UNSTORABLE_TEXT_RULE}`,
    });
    assert.deepEqual(jsonProblem({ evidence: ['ok', 'x\udc00'] }, limits)?.field, 'evidence[1]');
    assert.deepEqual(jsonProblem({ m: { 'two words': '\u0000' } }, limits, 'payload')?.field, 'payload.m["two words"]');
    assert.equal(jsonProblem('\u0000', limits)?.field, 'body');
    assert.equal(jsonProblem({ a: [{ b: 'fine', c: 1, d: null, e: true }] }, limits), null);
  });

  it('bounds depth without recursion: 20,000 or 1,000,000 levels are one problem naming the top field', () => {
    for (const levels of [20_000, 1_000_000]) {
      const body = { metadata: nested(levels) };
      assert.deepEqual(jsonProblem(body, { maxDepth: 32 }), {
        field: 'metadata',
        message: 'must not be nested more than 32 levels deep',
      });
    }
    assert.equal(jsonProblem(nested(16), { maxDepth: 16 }), null);
    assert.equal(jsonProblem(nested(17), { maxDepth: 16 })?.message, 'must not be nested more than 16 levels deep');
    let deepArray: unknown[] = [];
    for (let i = 0; i < 50_000; i++) deepArray = [deepArray];
    assert.equal(jsonProblem({ list: deepArray }, { maxDepth: 32 })?.field, 'list');
  });

  it('counts bytes exactly as UTF-8 JSON, as JSON.stringify writes it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), (value) => {
        if (jsonProblem(value, { maxDepth: 100 }) !== null) return; // unstorable text: counted elsewhere
        const size = new TextEncoder().encode(JSON.stringify(value)).length;
        assert.equal(jsonProblem(value, { maxDepth: 100, maxBytes: size }), null);
        assert.deepEqual(jsonProblem(value, { maxDepth: 100, maxBytes: size - 1 }, 'metadata'), {
          field: 'metadata',
          message: `must be at most ${size - 1} bytes as JSON`,
        });
      }),
      { numRuns: 500 },
    );
    assert.equal(
      jsonProblem({ blob: 'x'.repeat(17_000) }, { maxDepth: 4, maxBytes: 16 * 1024 })?.message,
      'must be at most 16 KB as JSON',
    );
  });
});
