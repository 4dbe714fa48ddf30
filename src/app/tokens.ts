import {
  DomainError,
  IDENTIFIER_PATTERN,
  IDENTIFIER_RULE,
  invalid,
  isStorableText,
  type Actor,
} from '../domain/index.js';
import { TEXT_MAX_LENGTH, TOKEN_ID_PATTERN, TOKEN_ID_RULE, UNSTORABLE_TEXT_RULE } from '../domain/limits.js';
import { newId } from './ids.js';
import { NotifiedState } from './notifiedState.js';
import type { Clock } from './ports/clock.js';
import type {
  RevocationEntry,
  RevocationKind,
  TokenRevocation,
  TokenRevocationStore,
} from './ports/tokenRevocationStore.js';

/**
 * The advertised delay: a revocation is in force on every replica within this long. A notification makes it
 * milliseconds; this bounds a lost one (the set is read again every half of it, and on any read of an older one).
 */
export const TOKEN_REVOCATION_MAX_AGE_MS = 2_000;

/** Revocations per page of the list: the default and the most a caller may ask for. */
export const REVOCATION_LIST = { default: 20, max: 100 } as const;

/** What a revocation is checked against: the token's id, subject and issue time (seconds since the epoch). */
export interface RevocableToken {
  jti?: string;
  sub: string;
  iat?: number;
}

/** The revoked token ids, and each revoked subject's latest cut-off (ms since the epoch). */
export interface RevokedTokens {
  jtis: ReadonlySet<string>;
  subjects: ReadonlyMap<string, number>;
}

export interface RevokeInput {
  jti?: string;
  subject?: string;
  reason: string;
  dryRun?: boolean;
}

/** What a revocation did; with `dryRun` what it would do (stored nowhere, not audited). */
export interface RevokeOutcome {
  dryRun: boolean;
  /** false: the token id was already revoked (its first revocation is kept and returned). */
  revoked: boolean;
  revocation: TokenRevocation;
}

/** Whether `token` is refused by `set`: its id revoked, or its subject revoked after it was issued (or no iat). */
export function isRevokedBy(set: RevokedTokens, token: RevocableToken): boolean {
  if (token.jti !== undefined && set.jtis.has(token.jti)) return true;
  const cutOff = set.subjects.get(token.sub);
  if (cutOff === undefined) return false;
  // iat has whole seconds: a token issued in the revocation's own second (before or after it) is refused too
  return token.iat === undefined || token.iat * 1000 < cutOff;
}

export function revokedSetOf(entries: readonly RevocationEntry[]): RevokedTokens {
  const jtis = new Set<string>();
  const subjects = new Map<string, number>();
  for (const e of entries) {
    if (e.kind === 'jti') jtis.add(e.value);
    else subjects.set(e.value, Math.max(subjects.get(e.value) ?? 0, Date.parse(e.revokedAt)));
  }
  return { jtis, subjects };
}

const EMPTY: RevokedTokens = { jtis: new Set(), subjects: new Map() };

/** How far in the future a token's `iat` may be (the issuer's clock ahead of ours); later is refused. */
export const ISSUED_AT_SKEW_MS = 60_000;

/**
 * Token revocation (issue 13 item 4, seed 004): an admin refuses one token by its `jti`, or every token of a subject
 * issued before now (a leaked or departed admin's tokens), on every replica within TOKEN_REVOCATION_MAX_AGE_MS. The
 * revoked set is held in memory (a NotifiedState kept by NOTIFY and read again every half of that), so the check on
 * every request costs no query; until `watch()` runs (CLI commands, an engine not started) it asks the store. Every
 * revocation is audited with who and why; a dry run validates and says what it would store, writing nothing.
 */
export class TokenService {
  private readonly state: NotifiedState<RevokedTokens>;

  constructor(
    private readonly deps: {
      store: TokenRevocationStore;
      clock: Clock;
      /** JWT_MAX_LIFETIME_HOURS: a token id revoked longer ago than this (and the clock skew) names an expired token. */
      maxTokenLifetimeMs: number;
      maxAgeMs?: number;
      onError?: (err: unknown) => void;
      newId?: () => string;
    },
  ) {
    const { store } = deps;
    this.state = new NotifiedState<RevokedTokens>(
      {
        load: async () => {
          const since = deps.clock.now().getTime() - deps.maxTokenLifetimeMs - ISSUED_AT_SKEW_MS;
          return revokedSetOf(await store.inForce(new Date(since).toISOString()));
        },
        watch: (onChange) => store.watch(onChange),
      },
      {
        maxAgeMs: deps.maxAgeMs ?? TOKEN_REVOCATION_MAX_AGE_MS,
        initial: EMPTY,
        ...(deps.onError ? { onError: deps.onError } : {}),
      },
    );
  }

  /** Keeps the revoked set in memory from now on (a started engine); the returned function stops. */
  watch(): Promise<() => Promise<void>> {
    return this.state.watch();
  }

  /** Whether the revoked set is held in memory (watching); if not, every check reads the database. */
  get held(): boolean {
    return this.state.held;
  }

  /** Whether `token` is revoked: from memory once watching (no query), else from the database. */
  isRevoked(token: RevocableToken): boolean | Promise<boolean> {
    const held = this.state.current();
    if (held) return isRevokedBy(held, token);
    return this.state.value().then((set) => isRevokedBy(set, token));
  }

  /** Revokes one token (`jti`) or every token of `subject` issued before now, for the reason given. */
  async revoke(actor: Actor, input: RevokeInput): Promise<RevokeOutcome> {
    if (actor.role !== 'admin' && actor.role !== 'system') {
      throw new DomainError('FORBIDDEN', 'only an admin may revoke tokens');
    }
    const { kind, value } = targetOf(input);
    const reason = reasonOf(input.reason);
    const at = this.deps.clock.now().toISOString();
    const revocation: TokenRevocation = {
      id: (this.deps.newId ?? newId)(),
      ...{ kind, value, reason, revokedBy: actor.id, revokedRole: actor.role, revokedAt: at },
    };
    if (input.dryRun) {
      const first = kind === 'jti' ? await this.deps.store.findJti(value) : null;
      return first ? { dryRun: true, revoked: false, revocation: first } : { dryRun: true, revoked: true, revocation };
    }
    const { created, revocation: stored } = await this.deps.store
      .revoke({ id: revocation.id, kind, value, reason, actor: { id: actor.id, role: actor.role }, at })
      .finally(() => this.state.changed());
    return { dryRun: false, revoked: created, revocation: stored };
  }

  /** The revocations, newest first (GET /api/admin/tokens/revocations, `escrow tokens list`). */
  async list(limit: number = REVOCATION_LIST.default): Promise<{ items: TokenRevocation[] }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > REVOCATION_LIST.max) {
      throw invalid('limit', `must be 1-${REVOCATION_LIST.max}`);
    }
    return { items: await this.deps.store.list(limit) };
  }
}

/** One line for a person: `jti 0190… revoked at T by ops-alice (admin): why`. */
export function describeRevocation(r: TokenRevocation): string {
  const what = r.kind === 'jti' ? `token ${r.value}` : `every token of ${r.value} issued before ${r.revokedAt}`;
  return `${what} revoked at ${r.revokedAt} by ${r.revokedBy} (${r.revokedRole}): ${r.reason}`;
}

const TOKEN_ID = new RegExp(TOKEN_ID_PATTERN);
const SUBJECT = new RegExp(IDENTIFIER_PATTERN);

function targetOf(input: RevokeInput): { kind: RevocationKind; value: string } {
  const { jti, subject } = input;
  if ((jti === undefined) === (subject === undefined)) {
    throw invalid('jti', 'give exactly one of jti (one token) or subject (every token of that subject)');
  }
  if (jti !== undefined) {
    if (typeof jti !== 'string' || !TOKEN_ID.test(jti)) throw invalid('jti', TOKEN_ID_RULE);
    return { kind: 'jti', value: jti };
  }
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) throw invalid('subject', IDENTIFIER_RULE);
  return { kind: 'subject', value: subject };
}

function reasonOf(text: unknown): string {
  const max = TEXT_MAX_LENGTH.reason;
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed.length === 0 || trimmed.length > max) {
    throw invalid('reason', `must be 1-${max} characters saying why (kept with the revocation and in the audit log)`);
  }
  if (!isStorableText(trimmed)) throw invalid('reason', UNSTORABLE_TEXT_RULE);
  return trimmed;
}
