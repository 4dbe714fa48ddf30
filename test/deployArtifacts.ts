/**
 * The deployment artifacts as their tools see them, for the tests that check them without a container engine:
 * docker-compose.yml as the compose client resolves it (anchors, interpolation, profiles), and dist/ built as the
 * image's build stage builds it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  volumes?: (string | { source: string; target: string; type: string })[];
  ports?: unknown[];
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  /** Which client resolved it: `docker compose` (v2) or Debian's `docker-compose` (v1). */
  client: string;
}

/**
 * `docker compose config` with every profile, or `docker-compose config` where the client has no compose plugin
 * (Debian's docker-compose package, which .ci/run installs): the file as compose runs it. Throws when neither parses.
 */
export function renderCompose(file = 'docker-compose.yml', extra: string[] = []): ComposeFile {
  const args = ['-f', file, '--profile', 'monitoring', ...extra, 'config'];
  const attempts: [string, string[]][] = [
    ['docker', ['compose', ...args]],
    ['docker-compose', args],
  ];
  const errors: string[] = [];
  for (const [cmd, argv] of attempts) {
    const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', env: composeEnv() });
    if (r.status === 0) return { ...(parse(r.stdout) as { services: ComposeFile['services'] }), client: cmd };
    errors.push(`${cmd} ${argv.slice(0, 1).join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
  }
  throw new Error(`no compose client parsed ${file}:\n${errors.join('\n')}`);
}

/** The environment compose interpolates from: none of the variables the file lets a `.env` override. */
function composeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of [
    'JWT_SECRET',
    'POSTGRES_PASSWORD',
    'SANDBOX_WEBHOOK_SECRET',
    'ESCROW_RAILS',
    'API_URL',
    'LOG_LEVEL',
  ]) {
    delete env[k];
  }
  return env;
}

let built = false;

/** `npm run build` (tsc -p tsconfig.build.json), once per test process: what the image's build stage runs. */
export function buildDist(): void {
  if (built) return;
  execFileSync(
    process.execPath,
    [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  built = true;
}

/** The Node.js the image runs (`ESCROW_IMAGE_NODE`, which .ci/run installs at the image's major), else this one. */
export const imageNode = (): string => process.env.ESCROW_IMAGE_NODE || process.execPath;
