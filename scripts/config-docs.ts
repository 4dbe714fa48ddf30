/**
 * `npm run docs:config`: the configuration's reference, generated from src/config/reference and the configuration
 * schema into the README's table, docs/deployment.md's tables and the Kubernetes ConfigMap and Secret templates.
 * test/configDocs.current.test.ts fails when one of them is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  configMapEnv,
  deploymentTables,
  readmeTable,
  replaceGenerated,
  secretsEnvExample,
  variableRows,
} from '../src/config/reference/render.js';

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** Each generated file and how it is made from its current text. */
export function generatedFiles(): { path: string; render: (current: string) => string }[] {
  const rows = variableRows();
  return [
    { path: 'README.md', render: (t) => replaceGenerated(t, 'configuration table', readmeTable(rows)) },
    { path: 'docs/deployment.md', render: (t) => replaceGenerated(t, 'environment variables', deploymentTables(rows)) },
    { path: 'deploy/kubernetes/base/escrow.env', render: () => configMapEnv(rows) },
    { path: 'deploy/kubernetes/secrets.env.example', render: () => secretsEnvExample(rows) },
  ];
}

const read = (path: string) => {
  try {
    return readFileSync(root(path), 'utf8');
  } catch {
    return '';
  }
};

/** The generated files whose text is not what the generator makes now. */
export const staleFiles = (): string[] =>
  generatedFiles()
    .filter((f) => f.render(read(f.path)) !== read(f.path))
    .map((f) => f.path);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const f of generatedFiles()) {
    const next = f.render(read(f.path));
    if (next !== read(f.path)) {
      writeFileSync(root(f.path), next);
      console.log(`wrote ${f.path}`);
    }
  }
}
