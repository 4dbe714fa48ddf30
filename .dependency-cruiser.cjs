// Layer rules of src/ (docs/architecture.md): dependencies point inward, every layer by allow-list, no import circles.
// Run by `npm run lint` (depcruise src). Tests (*.test.ts) and test kits are exempt from the layer rules, not from
// the circle rule.
const TESTS = '(\\.(test|kit)|\\.live-test)\\.ts$';
const SHARED_APP = '^src/app/(ports/|envelope\\.ts$|ids\\.ts$)';

/** A layer may import only what `allowed` matches (plus npm packages and Node's modules). */
const only = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: TESTS },
  to: { dependencyTypesNot: ['core'], pathNot: [allowed, 'node_modules/'] },
});

module.exports = {
  forbidden: [
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a typo or a missing package fails lint, not production).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment: 'An import circle couples modules that should depend one way; break it with a port or a smaller module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    only('domain-is-pure', '^src/domain/', '^src/domain/', 'src/domain imports only src/domain.'),
    {
      name: 'domain-no-packages',
      comment: 'The domain is pure TypeScript: no packages, no Node modules (no I/O, no clock, no randomness).',
      severity: 'error',
      from: { path: '^src/domain/', pathNot: TESTS },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'core'] },
    },
    only(
      'app-imports-domain',
      '^src/app/',
      '^src/(app|domain)/',
      'The application layer imports only itself and the domain.',
    ),
    {
      name: 'app-no-frameworks',
      comment: 'The application layer knows ports, not the database, broker or web framework behind them.',
      severity: 'error',
      from: { path: '^src/app/', pathNot: TESTS },
      to: { path: 'node_modules/(pg|@electric-sql|kafkajs|fastify|@fastify|ioredis|pino)/' },
    },
    only(
      'adapters-import-ports',
      '^src/adapters/',
      `${SHARED_APP}|^src/domain/|^src/adapters/`,
      'Adapters implement ports: they import app/ports (and the envelope and id vocabulary) and the domain.',
    ),
    {
      name: 'adapters-stay-in-their-folder',
      comment: 'An adapter never imports another adapter: each outside thing has its folder.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/', pathNot: TESTS },
      to: { path: '^src/adapters/', pathNot: '^src/adapters/$1/' },
    },
    {
      name: 'rails-stay-in-their-folder',
      comment: 'A rail never imports another rail; rails share only adapters/rails/shared.',
      severity: 'error',
      from: { path: '^src/adapters/rails/([^/]+)/', pathNot: [TESTS, '^src/adapters/rails/shared/'] },
      to: { path: '^src/adapters/rails/', pathNot: ['^src/adapters/rails/$1/', '^src/adapters/rails/shared/'] },
    },
    only('http-imports-app', '^src/http/', '^src/(http|app|domain|observability)/', 'HTTP sees services and queries.'),
    only('workers-import-app', '^src/workers/', '^src/(workers|app|domain)/', 'Workers submit commands through app.'),
    only('observability-imports-app', '^src/observability/', '^src/(observability|app)/', 'Metrics know app figures.'),
    only(
      'config-imports-sections',
      '^src/config/',
      '^src/(config|domain)/|^src/adapters/kafka/settings\\.ts$|^src/adapters/rails/registry\\.ts$|^src/adapters/(risk|vault|storage)/config\\.ts$',
      'Configuration reads the domain defaults, the Kafka settings type and the rails registry (never a rail).',
    ),
    only(
      'composition-wires-everything-but-cli',
      '^src/composition/',
      '^src/(composition|config|domain|app|adapters|http|workers|observability)/',
      'Only the composition root (and the CLI) import everything.',
    ),
    {
      name: 'every-module-in-a-layer',
      comment: 'A module outside the known layers has no rules: put it in one (docs/architecture.md), or add its rule.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: '^src/((domain|app|adapters|http|workers|observability|config|composition|cli)/|main\\.ts$)',
      },
      to: {},
    },
    only('main-is-composition', '^src/main\\.ts$', '^src/composition/', 'main.ts re-exports the composition root.'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
