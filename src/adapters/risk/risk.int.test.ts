import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RiskScreeningUnavailable, type RiskScreener } from '../../app/ports/index.js';
import { FakeChainalysis, FakeTrm } from '../../../test/fakes/riskServers.js';
import { FakeClock, freshDatabase, type TestDb } from '../../../test/harness.js';
import { SqlRiskCacheStore } from '../db/riskCacheStore.js';
import { configureRisk, type RiskScreenerKind, type RiskSettings } from './config.js';
import { createRiskScreener } from './screening.js';
import { scoreOfLevel } from './trm.js';

const chainalysis = new FakeChainalysis();
const trm = new FakeTrm();
const clock = new FakeClock();
let t: TestDb;
let cache: SqlRiskCacheStore;
let n = 0;
const addr = () => `0x${(++n).toString(16).padStart(40, 'c')}`;
const input = (address: string) => ({ address, chain: 'base', asset: 'USDC' });

function screener(kind: RiskScreenerKind = 'chainalysis+trm', over: Partial<RiskSettings> = {}): RiskScreener {
  const { settings } = configureRisk(
    {
      RISK_SCREENER: kind,
      CHAINALYSIS_API_URL: chainalysis.url,
      CHAINALYSIS_API_KEY: chainalysis.apiKey,
      TRM_API_URL: trm.url,
      TRM_API_KEY: trm.apiKey,
      RISK_TIMEOUT_MS: '300',
    },
    { production: false },
  );
  return createRiskScreener({ ...settings, ...over }, cache);
}

before(async () => {
  await Promise.all([chainalysis.start(), trm.start()]);
  t = await freshDatabase('pglite');
  cache = new SqlRiskCacheStore(t.db, clock);
});
after(async () => {
  await Promise.all([chainalysis.stop(), trm.stop(), t.drop()]);
});

describe('risk screening: Chainalysis sanctions, then TRM score', () => {
  it('a sanctioned address is REJECTed without asking TRM', async () => {
    const a = addr();
    chainalysis.sanction(a);
    const out = await screener().screen(input(a.toUpperCase().replace('0X', '0x')));
    assert.equal(out.verdict, 'REJECT');
    assert.equal(out.sanctioned, true);
    assert.equal(out.score, null);
    assert.equal(out.screener, 'chainalysis+trm');
    assert.match(out.detail, /OFAC SDN/);
    assert.equal(trm.callsFor(a).length, 0);
    const [req] = chainalysis.callsFor(a);
    assert.equal(req?.method, 'GET');
    assert.equal(req?.headers['x-api-key'], chainalysis.apiKey);
  });

  it('TRM levels become scores on the SPEC thresholds: 88 → REJECT, 58 → REVIEW, 16 → PASS, none → 0 PASS', async () => {
    const cases = [
      [12, 88, 'REJECT'],
      [7, 58, 'REVIEW'],
      [2, 16, 'PASS'],
    ] as const;
    for (const [level, score, verdict] of cases) {
      const a = addr();
      trm.risk(a, { category: 'Scam', level }, { category: 'Gambling', level: 1 });
      const out = await screener().screen(input(a));
      assert.deepEqual(
        [out.score, out.verdict, out.sanctioned, out.cached],
        [score, verdict, false, false],
        `level ${level}`,
      );
      assert.match(out.detail, /trm: score/);
    }
    const clean = addr();
    const out = await screener().screen(input(clean));
    assert.deepEqual([out.score, out.verdict], [0, 'PASS']);
    const [req] = trm.callsFor(clean);
    assert.equal(req?.path, '/public/v2/screening/addresses');
    assert.deepEqual(req?.body, [{ address: clean, chain: 'base' }]);
    assert.equal(req?.headers.authorization, `Basic ${Buffer.from(`${trm.apiKey}:${trm.apiKey}`).toString('base64')}`);
  });

  it('maps every TRM band to its verdict band', () => {
    assert.deepEqual(
      [0, 1, 5].map((l) => scoreOfLevel(l)),
      [0, 8, 40],
    );
    assert.deepEqual(
      [6, 9].map((l) => scoreOfLevel(l)),
      [50, 74],
    );
    assert.deepEqual(
      [10, 14, 15].map((l) => scoreOfLevel(l)),
      [80, 96, 100],
    );
    assert.deepEqual(
      ['Low', 'Medium', 'High', 'Severe', 'Unknown'].map((l) => scoreOfLevel(null, l)),
      [20, 60, 85, 100, 0],
    );
  });

  it('TRM alone: an address owned by a sanctioned entity is sanctioned', async () => {
    const a = addr();
    trm.risk(a, { category: 'Sanctions', level: 15, riskType: 'OWNERSHIP' });
    const out = await screener('trm').screen(input(a));
    assert.deepEqual([out.verdict, out.sanctioned, out.score, out.screener], ['REJECT', true, 100, 'trm']);
    assert.equal(chainalysis.callsFor(a).length, 0);
  });

  it('Chainalysis alone: a clean address passes without a score', async () => {
    const out = await screener('chainalysis').screen(input(addr()));
    assert.deepEqual([out.verdict, out.score, out.sanctioned], ['PASS', null, false]);
  });
});

describe('risk screening: the shared cache', () => {
  beforeEach(() => clock.advance(1000));

  it('answers from the cache within the TTL (one call each), screens again after it', async () => {
    const a = addr();
    trm.risk(a, { category: 'Mixer', level: 7 });
    const first = await screener().screen(input(a));
    const again = await screener().screen(input(a)); // another instance: the cache is shared
    assert.equal(first.cached, false);
    assert.deepEqual(again, { ...first, cached: true });
    assert.equal(chainalysis.callsFor(a).length, 1);
    assert.equal(trm.callsFor(a).length, 1);
    clock.advance(86_400_000 - 1);
    assert.equal((await screener().screen(input(a))).cached, true);
    clock.advance(1);
    const fresh = await screener().screen(input(a));
    assert.equal(fresh.cached, false);
    assert.equal(trm.callsFor(a).length, 2);
  });

  it('a cached sanction stays a sanction; the TTL is a setting', async () => {
    const a = addr();
    chainalysis.sanction(a);
    await screener('chainalysis+trm', { cacheTtlSeconds: 60 }).screen(input(a));
    const hit = await screener().screen(input(a));
    assert.deepEqual([hit.cached, hit.verdict, hit.sanctioned], [true, 'REJECT', true]);
    clock.advance(60_000);
    assert.equal((await screener().screen(input(a))).cached, false);
  });
});

describe('risk screening: outages', () => {
  const unavailable = (s: RiskScreener, a: string, why: RegExp) =>
    assert.rejects(s.screen(input(a)), (e: unknown) => e instanceof RiskScreeningUnavailable && why.test(e.message));

  it('a 5xx, a timeout, a 429 or a bad key → unavailable and health error until the next answer', async () => {
    const s = screener();
    const a = addr();
    assert.deepEqual(s.health(), { status: 'ok' });
    chainalysis.failNext(1, 503);
    await unavailable(s, a, /chainalysis: GET .* answered 503/);
    assert.equal(s.health().status, 'error');
    assert.match(s.health().detail ?? '', /503/);
    assert.equal(trm.callsFor(a).length, 0, 'no verdict from half the screening');
    chainalysis.hangNext(1);
    await unavailable(s, a, /TimeoutError|aborted/i);
    trm.rateLimitNext(1);
    await unavailable(s, a, /trm: POST .* answered 429/);
    assert.equal(s.health().status, 'error');
    const ok = await s.screen(input(a));
    assert.equal(ok.cached, false, 'an outage is never cached');
    assert.deepEqual(s.health(), { status: 'ok' });
    await unavailable(
      screener('chainalysis+trm', { chainalysis: { apiUrl: chainalysis.url, apiKey: 'wrong-key-1234' } }),
      addr(),
      /401 \(check the API key\)/,
    );
    await unavailable(
      screener('trm', { trm: { apiUrl: 'http://127.0.0.1:1', apiKey: 'x'.repeat(10) } }),
      addr(),
      /trm: POST/,
    );
  });
});

describe('risk screening: the static screener', () => {
  const deny = addr();
  const review = addr();
  const s = () =>
    createRiskScreener(
      configureRisk(
        {
          RISK_STATIC_DENYLIST: ` ${deny.toUpperCase().replace('0X', '0x')} , 0xother`,
          RISK_STATIC_REVIEWLIST: review,
        },
        { production: false },
      ).settings,
      cache,
    );

  it('denylist → REJECT, reviewlist → REVIEW, anything else PASS; offline, always healthy', async () => {
    assert.equal(s().name, 'static');
    assert.deepEqual(await s().screen(input(deny)), {
      verdict: 'REJECT',
      score: null,
      sanctioned: true,
      screener: 'static',
      detail: 'sanctioned: static: RISK_STATIC_DENYLIST',
      cached: false,
    });
    assert.equal((await s().screen(input(review))).verdict, 'REVIEW');
    assert.equal((await s().screen(input(addr()))).verdict, 'PASS');
    assert.deepEqual(s().health(), { status: 'ok' });
  });
});
