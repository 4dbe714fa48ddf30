import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './index.js';
import { problemsOf } from './problems.kit.js';

// JWT_SECRET_PREVIOUS / JWT_SECRET_PREVIOUS_UNTIL (a rotation's overlap), JWT_ISSUER and JWT_AUDIENCE.

const NEW = 'n'.repeat(64);
const OLD = 'o'.repeat(64);

describe('JWT rotation, issuer and audience', () => {
  it('the embedded default has none of them', () => {
    const { http } = loadConfig({});
    assert.equal(http.jwtPrevious, undefined);
    assert.equal(http.jwtIssuer, undefined);
    assert.equal(http.jwtAudience, undefined);
  });

  it('a previous secret with the instant it is retired; issuer and audience', () => {
    const { http } = loadConfig({
      JWT_SECRET: NEW,
      JWT_SECRET_PREVIOUS: OLD,
      JWT_SECRET_PREVIOUS_UNTIL: '2026-12-09T13:00:00+01:00',
      JWT_ISSUER: 'escrow-services',
      JWT_AUDIENCE: 'escrow-api',
    });
    assert.deepEqual(http.jwtPrevious, { secret: OLD, until: new Date('2026-12-09T12:00:00.000Z') });
    assert.deepEqual([http.jwtIssuer, http.jwtAudience], ['escrow-services', 'escrow-api']);
  });

  it('names what is wrong: no UNTIL, a malformed one, UNTIL alone, a short or repeated secret, no JWT_SECRET', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD }, /^JWT_SECRET_PREVIOUS_UNTIL: required with JWT_SECRET_PREVIOUS/],
      [
        { JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD, JWT_SECRET_PREVIOUS_UNTIL: '2026-12-09' },
        /^JWT_SECRET_PREVIOUS_UNTIL: must be an ISO-8601 instant with its zone/,
      ],
      [
        { JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD, JWT_SECRET_PREVIOUS_UNTIL: '2026-12-09T12:00:00' },
        /^JWT_SECRET_PREVIOUS_UNTIL: must be an ISO-8601 instant with its zone/,
      ],
      [{ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS_UNTIL: '2026-12-09T12:00:00Z' }, /only with JWT_SECRET_PREVIOUS/],
      [
        { JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: 'short', JWT_SECRET_PREVIOUS_UNTIL: '2026-12-09T12:00:00Z' },
        /^JWT_SECRET_PREVIOUS: must be at least 64 characters/,
      ],
      [
        { JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: NEW, JWT_SECRET_PREVIOUS_UNTIL: '2026-12-09T12:00:00Z' },
        /^JWT_SECRET_PREVIOUS: must differ from JWT_SECRET/,
      ],
      [
        { JWT_SECRET_PREVIOUS: OLD, JWT_SECRET_PREVIOUS_UNTIL: '2026-12-09T12:00:00Z' },
        /^JWT_SECRET_PREVIOUS: only with JWT_SECRET/,
      ],
      [{ JWT_ISSUER: 'i'.repeat(257) }, /^JWT_ISSUER: must be at most 256 characters/],
    ];
    for (const [env, problem] of cases) {
      const problems = problemsOf(env);
      assert.ok(
        problems.some((p) => problem.test(p)),
        `${JSON.stringify(env)}: ${problems.join('; ')}`,
      );
    }
  });
});
