/**
 * Variables of the deployment guide for features this version does not have yet. Set, they change nothing, so the
 * operator is told once at start (`escrow serve`) rather than left to believe they took effect.
 */
const NOT_IN_THIS_VERSION: Readonly<Record<string, string>> = {
  SENTRY_DSN: 'error reporting to Sentry',
  SENTRY_ENVIRONMENT: 'error reporting to Sentry',
  METRICS_ENABLED: 'switching metrics off (/metrics is always served; METRICS_PORT for roles without the API)',
  WEB_APP_URL: 'web app',
  DATABASE_URL_PRISMA: 'Prisma (this version uses DATABASE_URL only)',
};

/** One line per such variable that is set, naming it and the feature it belongs to. */
export function unsupportedVariables(raw: Readonly<Record<string, string>>): string[] {
  return Object.keys(raw)
    .filter((k) => Object.hasOwn(NOT_IN_THIS_VERSION, k))
    .sort()
    .map((k) => `${k} is set, but this version has no ${NOT_IN_THIS_VERSION[k]}: it is ignored`);
}
