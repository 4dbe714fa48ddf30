import type { Redis } from 'ioredis';
import type { Claim, IdempotencyStore, StoredResponse, TakeOver } from '../../app/ports/index.js';

/** What a key holds in Redis (JSON). `status` is absent while the first request is in flight. */
interface Record_ {
  hash: string;
  lockedUntil: number;
  expiresAt: number;
  /** The instance id of the process whose request holds the key in flight. */
  owner?: string;
  status?: number;
  contentType?: string;
  body?: string;
}

// Each script runs atomically in Redis, so replicas racing for one key see one winner. Times are the engine's clock
// (milliseconds), passed in; Redis' own expiry (PX) only collects what has expired.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then
  local r = cjson.decode(v)
  local now = tonumber(ARGV[2])
  if r.expiresAt > now and (r.status or r.lockedUntil > now) then return v end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return false`;

const COMPLETE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if r.hash ~= ARGV[2] or r.status then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

const RELEASE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if r.hash ~= ARGV[1] or r.status then return 0 end
return redis.call('DEL', KEYS[1])`;

// Replaces a record still in flight for the dead owner; anything else (done, released, retaken) is left alone.
const TAKE_OVER = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if r.status or r.owner ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

/** Idempotency-Key responses in Redis (IDEMPOTENCY_STORAGE=redis): one key per record, expiring with it. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'escrow-idem:',
  ) {}

  async claim(
    id: string,
    requestHash: string,
    now: Date,
    lockMs: number,
    ttlMs: number,
    owner?: string,
  ): Promise<Claim> {
    const t = now.getTime();
    const record: Record_ = {
      hash: requestHash,
      lockedUntil: t + lockMs,
      expiresAt: t + ttlMs,
      ...(owner ? { owner } : {}),
    };
    const held = (await this.redis.eval(
      CLAIM,
      1,
      this.prefix + id,
      JSON.stringify(record),
      String(t),
      String(Math.max(1, Math.ceil(ttlMs))),
    )) as string | null;
    if (held === null) return { kind: 'claimed' };
    const r = JSON.parse(held) as Record_;
    if (r.status === undefined) return { kind: 'in-flight', requestHash: r.hash, owner: r.owner ?? null };
    return {
      kind: 'done',
      requestHash: r.hash,
      response: { status: r.status, contentType: r.contentType ?? 'application/json', body: r.body ?? '' },
    };
  }

  async takeOver(o: TakeOver): Promise<boolean> {
    const t = o.now.getTime();
    const record: Record_ = { hash: o.requestHash, lockedUntil: t + o.lockMs, expiresAt: t + o.ttlMs, owner: o.owner };
    const px = String(Math.max(1, Math.ceil(o.ttlMs)));
    return (await this.redis.eval(TAKE_OVER, 1, this.prefix + o.id, JSON.stringify(record), o.deadOwner, px)) === 1;
  }

  async complete(id: string, requestHash: string, response: StoredResponse, now: Date, ttlMs: number) {
    const t = now.getTime();
    const record: Record_ = { hash: requestHash, lockedUntil: 0, expiresAt: t + ttlMs, ...response };
    await this.redis.eval(
      COMPLETE,
      1,
      this.prefix + id,
      JSON.stringify(record),
      requestHash,
      String(Math.max(1, Math.ceil(ttlMs))),
    );
  }

  async release(id: string, requestHash: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.prefix + id, requestHash);
  }

  /** Redis expires records itself. */
  prune(): Promise<number> {
    return Promise.resolve(0);
  }
}
