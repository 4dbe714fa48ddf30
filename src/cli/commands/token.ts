import { decodeJwt } from 'jose';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { API_ROLES, mintToken, type ApiRole, type MintOptions } from '../../http/auth.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { signingSecret } from '../server.js';

interface TokenOptions {
  sub: string;
  role: ApiRole;
  kycTier?: number;
  ttl: string;
}

/**
 * `escrow token`: an HS256 JWT signed with JWT_SECRET (never JWT_SECRET_PREVIOUS), or the embedded data directory's
 * secret; with a random jti (what `escrow tokens revoke --jti` names), the secret's kid, and JWT_ISSUER / JWT_AUDIENCE.
 */
export function registerToken(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('token')
    .description("mint a JWT signed with JWT_SECRET (or the embedded data directory's secret)")
    .requiredOption('--sub <id>', 'the subject: a user, service or admin id')
    .addOption(new Option('--role <role>', 'the API role').choices(API_ROLES).makeOptionMandatory())
    .option('--kyc-tier <n>', "the user's KYC tier (an integer)", parseKycTier)
    .option('--ttl <span>', 'how long the token is valid: 15m, 24h, 7d …', '24h');
  documented(cmd, {
    examples: [
      'escrow token --sub admin --role admin',
      'escrow token --sub buyer-1 --role user --kyc-tier 2 --ttl 1h',
      'TOKEN=$(escrow token --sub svc-marketplace --role service)',
    ],
    output: 'the token on one line of stdout',
    notes: [
      'The token carries a random jti (its id) and a kid naming the secret; with JWT_ISSUER / JWT_AUDIENCE set, its',
      'iss / aud. Revoke it with escrow tokens revoke --jti <jti> (the jti is in its payload, the second part).',
    ],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { sub, role, kycTier, ttl } = cmd.opts<TokenOptions>();
      const secret = signingSecret(ctx.config());
      if (!secret) usageError(cmd, 'JWT_SECRET is not set');
      const claims = { sub, role, ...(kycTier !== undefined ? { kycTier } : {}) };
      const { jwtIssuer: issuer, jwtAudience: audience } = ctx.config().http;
      const token = await mint(cmd, secret, claims, ttl, { issuer, audience });
      const { exp = 0, iat = 0 } = decodeJwt(token);
      const max = ctx.config().http.maxTokenLifetimeSeconds;
      if (exp - iat > max) {
        usageError(
          cmd,
          `--ttl ${ttl} is longer than JWT_MAX_LIFETIME_HOURS allows (${max / 3600} h): the API would refuse it`,
        );
      }
      ctx.io.out(`${token}\n`);
      return EXIT.ok;
    }),
  );
}

function parseKycTier(value: string): number {
  const tier = Number(value);
  if (value.trim() === '' || !Number.isInteger(tier)) throw new InvalidArgumentError('--kyc-tier must be an integer');
  return tier;
}

async function mint(
  cmd: Command,
  secret: string,
  claims: Parameters<typeof mintToken>[1],
  ttl: string,
  opts: MintOptions,
) {
  try {
    return await mintToken(secret, claims, ttl, opts);
  } catch (err) {
    // jose's only complaint about these claims is a time span it cannot read
    if (err instanceof TypeError && /time period/i.test(err.message)) {
      usageError(cmd, `--ttl takes a time span such as 15m, 24h or 7d (got ${ttl})`);
    }
    throw err;
  }
}
