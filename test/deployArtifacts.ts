/**
 * The deployment artifacts as their tools see them, for the tests that check them without a container engine:
 * docker-compose.yml as the compose client resolves it (anchors, interpolation, profiles), and dist/ built as the
 * image's build stage builds it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, ModifiableInstruction, type Instruction } from 'dockerfile-ast';
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

/** The Dockerfile's stages: each stage's instructions by its name (`FROM … AS name`). */
export function dockerfileStages(text: string): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  let current: Instruction[] | undefined;
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      current = [];
      out.set(/ AS (\S+)$/i.exec(instructionText(i))?.[1] ?? `stage${out.size}`, current);
    }
    current?.push(i);
  }
  return out;
}

/** An instruction's text after its keyword, flags (`--from=…`) included. */
export function instructionText(i: Instruction): string {
  const flags = i instanceof ModifiableInstruction ? i.getFlags().map((f) => f.toString()) : [];
  return [...flags, i.getRawArgumentsContent() ?? ''].join(' ');
}

/** COPY's sources and destination, relative to the build context and the stage's WORKDIR (/app). */
function copyPaths(i: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = instructionText(i).split(/\s+/);
  const from = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
  const dest = words.pop()!;
  return { ...(from ? { from } : {}), sources: words, dest };
}

const place = (src: string, dir: string, dest: string, many: boolean) => {
  const target = dest.endsWith('/') || many ? join(dir, dest, src.split('/').pop()!) : join(dir, dest);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(src, target, { recursive: true });
};

/**
 * The runtime stage's /app, assembled here as the Dockerfile builds it: the prod-deps stage's COPYs and RUNs (npm ci
 * --omit=dev: production dependencies only; its `npm cache clean` is left out, it would empty this machine's cache),
 * dist/ from the build stage (`buildDist`), and the runtime stage's COPYs from the context. The runtime stage's RUNs
 * install tini and make the data directory: the entrypoint's part, which the tests play themselves. Run the image's
 * command lines in it to prove the image holds everything they need, and no dev dependency.
 */
export function assembleRuntime(): { dir: string; remove: () => void } {
  const stages = dockerfileStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  buildDist();
  const deps = mkdtempSync(join(tmpdir(), 'escrow-prod-deps-'));
  for (const i of stages.get('prod-deps') ?? []) {
    if (i.getKeyword() === 'COPY') {
      const { sources, dest } = copyPaths(i);
      for (const source of sources) place(join(ROOT, source), deps, dest, sources.length > 1);
    } else if (i.getKeyword() === 'RUN') {
      const command = instructionText(i).replace(/\s*&&\s*npm cache clean --force/, '');
      execFileSync('sh', ['-c', command], { cwd: deps, stdio: ['ignore', 'ignore', 'inherit'] });
    }
  }
  const app = mkdtempSync(join(tmpdir(), 'escrow-image-app-'));
  for (const i of stages.get('runtime') ?? []) {
    if (i.getKeyword() !== 'COPY') continue;
    const { from, sources, dest } = copyPaths(i);
    const root = from === 'prod-deps' ? deps : ROOT;
    for (const source of sources) {
      const path = from ? join(root, source.replace(/^\/app\//, '')) : join(ROOT, source);
      place(path, app, dest, sources.length > 1);
    }
  }
  mkdirSync(join(app, 'data'));
  return {
    dir: app,
    remove: () => [app, deps].forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}
