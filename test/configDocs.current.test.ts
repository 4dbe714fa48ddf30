import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { generatedFiles, staleFiles } from '../scripts/config-docs.js';
import { schema } from '../src/config/schema.js';
import { configMapEnv, replaceGenerated, secretsEnvExample, variableRows } from '../src/config/reference/render.js';

// The configuration's reference is generated from the schema (src/config/schema.ts and the sections it merges) and
// the documentation beside it (src/config/reference): README, docs/deployment.md and the Kubernetes env files.

const keys = (env: string) =>
  env
    .split('\n')
    .filter((l) => /^[A-Z0-9_]+=/.test(l))
    .map((l) => l.slice(0, l.indexOf('=')));

describe('the configuration reference', () => {
  it('README, docs/deployment.md and the Kubernetes env files are what `npm run docs:config` makes now', () => {
    assert.deepEqual(staleFiles(), [], 'stale: run `npm run docs:config` and commit the result');
    assert.equal(generatedFiles().length, 4);
  });

  it('lists every variable of the schema once: the ConfigMap the others, the Secret the credentials', () => {
    const all = Object.keys(schema.shape).sort();
    const rows = variableRows();
    assert.deepEqual(rows.map((r) => r.name).sort(), all);
    const config = keys(configMapEnv(rows));
    const sdk = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']; // the AWS SDK's own, listed with the credentials
    const secrets = keys(secretsEnvExample(rows)).filter((k) => !sdk.includes(k));
    assert.deepEqual(
      keys(secretsEnvExample(rows)).filter((k) => sdk.includes(k)),
      sdk,
    );
    assert.deepEqual([...config, ...secrets].sort(), all, 'each variable in exactly one of them');
    for (const credential of ['DATABASE_URL', 'JWT_SECRET', 'STRIPE_SECRET_KEY', 'VAULT_KEY', 'KAFKA_SASL_PASSWORD']) {
      assert.ok(secrets.includes(credential), `${credential} is a credential: in the Secret, not the ConfigMap`);
    }
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const deployment = readFileSync(new URL('../docs/deployment.md', import.meta.url), 'utf8');
    for (const name of all) {
      assert.equal(readme.split(`| \`${name}\` |`).length, 2, `README lists ${name} once`);
      assert.equal(deployment.split(`| \`${name}\` |`).length, 2, `docs/deployment.md lists ${name} once`);
    }
  });

  it('takes defaults and accepted values from the schema', () => {
    const row = (name: string) => variableRows().find((r) => r.name === name)!;
    assert.equal(row('PORT').defaultText, '`3000`');
    assert.equal(row('PORT').accepted, 'integer 0–65535');
    assert.equal(row('LOG_LEVEL').accepted, '`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`');
    assert.equal(row('MAINTENANCE_MODE').accepted, '`true`, `false` (or `1`, `0`)');
    assert.equal(row('DATABASE_URL').defaultText, '—');
  });

  it('refuses a schema variable without documentation, or documentation of a variable the schema lacks', () => {
    const sections = [{ title: 'T', variables: { A: { meaning: 'a' } } }];
    assert.throws(
      () => variableRows(sections, { A: { type: 'string' }, B: { type: 'string' } }),
      /undocumented variables .*: B/,
    );
    assert.throws(() => variableRows(sections, {}), /A is documented .* no such variable/);
    assert.throws(
      () => variableRows([{ title: 'T', variables: { A: { meaning: 'a', default: '`1`' } } }], { A: { default: 2 } }),
      /the schema's default \(2\)/,
    );
  });

  it('replaces only what is between its markers, and says when they are missing', () => {
    const text = 'a\n<!-- BEGIN t (old) -->\nold\n<!-- END t -->\nb';
    const out = replaceGenerated(text, 't', 'new');
    assert.match(out, /^a\n<!-- BEGIN t \(Generated .*\) -->\n\nnew\n\n<!-- END t -->\nb$/);
    assert.throws(() => replaceGenerated('nothing', 't', 'x'), /no <!-- BEGIN t/);
  });
});
