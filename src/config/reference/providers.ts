import type { VariableDoc } from './types.js';

export const railsDocs = {
  SANDBOX_ENABLED: { default: '`false`', meaning: 'allow the SANDBOX rail in production' },
  SANDBOX_WEBHOOK_SECRET: {
    default: 'a development secret',
    meaning:
      'HMAC secret of sandbox webhooks, at least 16 characters (required in production, and not the development one)',
    secret: true,
  },
  STRIPE_SECRET_KEY: {
    meaning: 'with STRIPE: required, `sk_live_…`/`sk_test_…` or restricted `rk_…`; a test key is refused in production',
    secret: true,
  },
  STRIPE_WEBHOOK_SECRET: {
    meaning: "with STRIPE: required, the webhook endpoint's signing secret `whsec_…`",
    secret: true,
  },
  STRIPE_API_URL: {
    default: '`https://api.stripe.com`',
    meaning: "Stripe's API (tests point it at the fake)",
  },
  STRIPE_API_VERSION: { default: "the SDK's", meaning: 'pinned `Stripe-Version`' },
  STRIPE_TIMEOUT_MS: { default: '`10000`', meaning: 'per Stripe API attempt, 100–120000' },
  STRIPE_MAX_NETWORK_RETRIES: {
    default: '`2`',
    meaning: 'retries of network errors, 409, 5xx and 429 (at most 10)',
  },
  STRIPE_CONNECT_CLIENT_ID: {
    meaning: 'Connect OAuth client id `ca_…`, accepted for onboarding flows; unused by the rail',
  },
  PAYSTACK_SECRET_KEY: {
    meaning:
      'with PAYSTACK: required, `sk_live_…`/`sk_test_…` (a test key is refused in production); also the webhook signing key',
    secret: true,
  },
  PAYSTACK_API_URL: {
    default: '`https://api.paystack.co`',
    meaning: "Paystack's API; https in production",
  },
  PAYSTACK_TIMEOUT_MS: { default: '`10000`', meaning: 'per attempt, 100–120000' },
  PAYSTACK_CALLBACK_URL: {
    default: "the dashboard's",
    meaning: "where Paystack's checkout sends the buyer after paying",
  },
  PAYSTACK_CUSTOMER_EMAIL_DOMAIN: {
    default: "`API_URL`'s host",
    meaning:
      "the buyer of escrow X is `buyer-X@<domain>` (Paystack needs an email); required when `API_URL`'s host is `localhost` or an IP",
  },
  CUSTODIAN_API_URL: {
    meaning: 'with USDC_BASE: required, the custodian API (`docs/custodian-api.yaml`); `https://` in production',
  },
  CUSTODIAN_API_KEY: {
    meaning: 'with USDC_BASE: required, at least 16 characters (`Authorization: Bearer`)',
    secret: true,
  },
  CUSTODIAN_WEBHOOK_SECRET: {
    meaning:
      "with USDC_BASE: required, at least 16 characters, not the API key: HMAC-SHA256 secret of the custodian's webhooks",
    secret: true,
  },
  USDC_MIN_CONFIRMATIONS: {
    default: '`12`',
    meaning: 'a deposit funds its escrow at this many confirmations (1–9999)',
  },
  CUSTODIAN_TIMEOUT_MS: { default: '`10000`', meaning: 'per custodian call (1–999999)' },
} satisfies Record<string, VariableDoc>;

export const riskDocs = {
  RISK_SCREENER: {
    default: '`static`',
    meaning: 'screening of USDC paying addresses: `static`, `chainalysis`, `trm` or `chainalysis+trm`',
  },
  CHAINALYSIS_API_URL: {
    default: '`https://public.chainalysis.com`',
    meaning: 'the Chainalysis sanctions API; https in production',
  },
  CHAINALYSIS_API_KEY: {
    meaning: 'the Chainalysis key (≥ 8 characters), required when `RISK_SCREENER` uses it',
    secret: true,
  },
  TRM_API_URL: {
    default: '`https://api.trmlabs.com`',
    meaning: 'TRM address screening; https in production',
  },
  TRM_API_KEY: {
    meaning: 'the TRM key (≥ 8 characters), required when `RISK_SCREENER` uses it',
    secret: true,
  },
  RISK_CACHE_TTL_SECONDS: {
    default: '`86400`',
    meaning: 'how long a screening result is reused, shared by every replica (1–2592000)',
  },
  RISK_TIMEOUT_MS: {
    default: '`5000`',
    meaning: 'per screener call (1–999999); a screener that does not answer holds the deposit',
  },
  RISK_STATIC_DENYLIST: {
    meaning: 'comma-separated addresses the `static` screener REJECTs (only with it; not also in the review list)',
  },
  RISK_STATIC_REVIEWLIST: {
    meaning:
      'comma-separated addresses the `static` screener sends to REVIEW (only with it; not also in the deny list)',
  },
} satisfies Record<string, VariableDoc>;

export const vaultDocs = {
  VAULT_KEY: {
    default: '— (vault off)',
    meaning:
      "the credential vault's AES-256-GCM key: 32 random bytes as base64 (`openssl rand -base64 32`) or 64 hex characters, optionally `<keyId>:<key>`; unset, `PUT …/vault` answers `503 VAULT_UNAVAILABLE`, and a database holding sealed secrets refuses to start (`docs/vault.md`)",
    secret: true,
  },
  VAULT_KEYS_PREVIOUS: {
    meaning:
      'comma-separated earlier keys (`<keyId>:<key>`) that still open secrets until `escrow vault rotate` re-seals them; a stored secret under a key not given here stops the process at start',
    secret: true,
  },
  VAULT_REVEAL_STARTS_CONFIRMATION: {
    meaning: "the buyer's first reveal of a FUNDS_HELD escrow counts as its delivery (the confirmation window starts)",
  },
} satisfies Record<string, VariableDoc>;

export const filesDocs = {
  FILES_DIR: {
    default: '`$DATA_DIR/files`',
    meaning: "the local file store's directory (evidence, contracts, deliverables), when `AWS_S3_BUCKET` is unset",
  },
  AWS_S3_BUCKET: {
    meaning:
      "store files in this S3 bucket instead of `FILES_DIR` (`AWS_REGION` required with it); credentials from the AWS SDK's chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, an instance role, …)",
  },
  AWS_REGION: { meaning: "the S3 bucket's region (required with `AWS_S3_BUCKET`)" },
  AWS_ENDPOINT_URL: {
    meaning: 'an S3-compatible store (MinIO, R2, …) instead of AWS; https in production',
  },
  AWS_S3_FORCE_PATH_STYLE: {
    default: '`true` with an endpoint',
    meaning: 'path-style bucket addressing (what MinIO needs)',
  },
  FILES_MAX_BYTES: {
    default: '`10485760`',
    meaning: 'largest file, in bytes (at most 104857600); larger → `413 FILE_TOO_LARGE`',
  },
  FILES_ALLOWED_TYPES: {
    default: '`application/pdf,image/png,image/jpeg,image/webp,image/gif,text/plain,application/zip,application/json`',
    meaning: 'MIME types an upload may have; others → `415 FILE_TYPE_NOT_ALLOWED`',
  },
  FILES_URL_TTL_SECONDS: {
    default: '`300`',
    meaning: 'lifetime of presigned upload and download URLs (1–3600)',
  },
} satisfies Record<string, VariableDoc>;
