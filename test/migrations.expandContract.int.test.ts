/**
 * The expand/contract rule: every release's schema works with the previous release's code, so the code can be rolled
 * back while the schema stays. Migrations are forward-only and only expand — new tables, nullable columns or columns
 * with a default, indexes, functions, CHECKs that widen — unless the migration's header declares the contract step:
 *
 *   -- contract: drop column escrows.foo (unused since release 0.3)
 *
 * Each migration is applied alone and the catalog compared before and after it; whatever could break the previous
 * release's code and is not declared fails, naming the migration and the object. A declaration nothing needs fails too
 * (a typo, or a step that moved), and so does one without its reason in parentheses.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/adapters/db/database.js';
import { loadMigrations, migrate, MIGRATIONS_DIR, type Migration } from '../src/adapters/db/migrate.js';
import { openPglite } from '../src/adapters/db/pglite.js';
import { engineKinds, freshDatabase, type TestDb } from './harness.js';

interface Column {
  type: string;
  notnull: boolean;
  default: string | null;
  /** identity or generated: the database fills it, as with a default */
  filled: boolean;
}

interface Catalog {
  /** relation name → 'r' (table), 'v' (view), … */
  relations: Map<string, string>;
  /** "table.column" */
  columns: Map<string, Column>;
  /** "table.constraint" → its definition and the columns it covers */
  constraints: Map<string, { def: string; columns: string[] }>;
  /** "name(identity arguments)" → arguments with defaults and the result */
  functions: Map<string, string>;
  /** enum type → its labels */
  enums: Map<string, string[]>;
  /** unique indexes no constraint owns (ON CONFLICT may name their columns) → definition */
  uniqueIndexes: Map<string, string>;
}

const HERE = `n.nspname = current_schema() AND c.relname <> 'schema_migrations'`;

/** The current schema's catalog (not schema_migrations, the runner's own). PostgreSQL and PGlite alike. */
async function snapshot(db: Database): Promise<Catalog> {
  const [rels, cols, cons, fns, enums, idx] = await Promise.all([
    db.query<{ name: string; kind: string }>(
      `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE ${HERE} AND c.relkind IN ('r', 'p', 'v', 'm')`,
    ),
    db.query<{ rel: string; col: string } & Column>(
      `SELECT c.relname AS rel, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
              pg_get_expr(d.adbin, d.adrelid) AS default, (a.attidentity <> '' OR a.attgenerated <> '') AS filled
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE ${HERE} AND c.relkind IN ('r', 'p', 'v', 'm')`,
    ),
    db.query<{ rel: string; name: string; def: string; cols: string }>(
      `SELECT c.relname AS rel, co.conname AS name, pg_get_constraintdef(co.oid) AS def,
              coalesce((SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM pg_attribute a
                         WHERE a.attrelid = co.conrelid AND a.attnum = ANY (co.conkey)), '') AS cols
         FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE ${HERE} AND co.contype <> 'n'`, // NOT NULL (a constraint row since PostgreSQL 18): told by its column
    ),
    db.query<{ sig: string; shape: string }>(
      `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS sig,
              p.prokind::text || ' ' || pg_get_function_arguments(p.oid) || ' → ' || coalesce(pg_get_function_result(p.oid), '') AS shape
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()`,
    ),
    db.query<{ type: string; labels: string }>(
      `SELECT t.typname AS type, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema() GROUP BY t.typname`,
    ),
    db.query<{ name: string; def: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE ${HERE} AND x.indisunique
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid AND k.conrelid = c.oid)`,
    ),
  ]);
  return {
    relations: new Map(rels.rows.map((r) => [r.name, r.kind])),
    columns: new Map(cols.rows.map(({ rel, col, ...c }) => [`${rel}.${col}`, c])),
    constraints: new Map(cons.rows.map((c) => [`${c.rel}.${c.name}`, { def: c.def, columns: split(c.cols) }])),
    functions: new Map(fns.rows.map((f) => [f.sig, f.shape])),
    enums: new Map(enums.rows.map((e) => [e.type, split(e.labels)])),
    uniqueIndexes: new Map(idx.rows.map((i) => [i.name, i.def])),
  };
}

const split = (list: string): string[] => (list === '' ? [] : list.split(','));

/** One change the previous release's code may not survive: `step` is what a `-- contract:` line must say. */
interface Destructive {
  step: string;
  what: string;
}

/**
 * A CHECK that provably only widened: both are `CHECK ((expr = ANY (ARRAY[...])))` over the same expression and the
 * new list holds every old value (PostgreSQL's rendering of `expr IN (...)`). Any other change is not proven.
 */
function widened(before: string, after: string): boolean {
  const shape = /^CHECK \(\((.+) = ANY \(ARRAY\[(.*)\]\)\)\)$/;
  const [b, a] = [shape.exec(before), shape.exec(after)];
  if (!b || !a || b[1] !== a[1]) return false;
  const items = (list: string) => {
    const found: string[] = list.match(/'(?:[^']|'')*'::[a-z ]+/g) ?? [];
    return found.join(', ') === list ? found : null;
  };
  const [was, now] = [items(b[2]!), items(a[2]!)];
  return was !== null && now !== null && was.every((v) => now.includes(v));
}

/** What changed from `was` to `now` that older code may not survive. */
function destructiveChanges(was: Catalog, now: Catalog): Destructive[] {
  const out: Destructive[] = [];
  const add = (step: string, what: string) => out.push({ step, what });
  for (const [rel, kind] of was.relations) {
    if (!now.relations.has(rel))
      add(`drop ${kind === 'v' || kind === 'm' ? 'view' : 'table'} ${rel}`, 'dropped or renamed');
  }
  for (const [key, c] of was.columns) {
    const n = now.columns.get(key);
    if (!now.relations.has(key.slice(0, key.indexOf('.')))) continue; // told with its table
    if (!n) add(`drop column ${key}`, 'dropped or renamed');
    else {
      if (n.type !== c.type) add(`change type ${key}`, `${c.type} → ${n.type}`);
      if (n.notnull && !c.notnull) add(`set not null ${key}`, 'made NOT NULL');
      if (n.notnull && c.default !== null && n.default === null && !n.filled) add(`drop default ${key}`, 'NOT NULL');
    }
  }
  for (const [key, n] of now.columns) {
    const table = key.slice(0, key.indexOf('.'));
    if (was.relations.has(table) && !was.columns.has(key) && n.notnull && n.default === null && !n.filled) {
      add(`add not null column ${key}`, 'a new NOT NULL column without a default');
    }
  }
  for (const [key, c] of was.constraints) {
    const n = now.constraints.get(key);
    const table = key.slice(0, key.indexOf('.'));
    if (!n && c.columns.some((col) => !now.columns.has(`${table}.${col}`))) continue; // told with its column or table
    if (!n) add(`drop constraint ${key}`, c.def);
    else if (n.def !== c.def && !widened(c.def, n.def)) add(`change constraint ${key}`, `${c.def} → ${n.def}`);
  }
  for (const [key, n] of now.constraints) {
    const table = key.slice(0, key.indexOf('.'));
    if (!was.constraints.has(key) && n.columns.some((col) => was.columns.has(`${table}.${col}`))) {
      add(`add constraint ${key}`, `${n.def}, on existing columns`);
    }
  }
  for (const [sig, shape] of was.functions) {
    const n = now.functions.get(sig);
    if (n === undefined) add(`drop function ${sig}`, 'dropped, renamed or its arguments changed');
    else if (n !== shape) add(`change function ${sig}`, `${shape} → ${n}`);
  }
  for (const [type, labels] of was.enums) {
    const n = now.enums.get(type);
    if (!n) add(`drop type ${type}`, `enum (${labels.join(', ')})`);
    else for (const l of labels) if (!n.includes(l)) add(`drop enum value ${type}.${l}`, 'removed');
  }
  for (const [name, def] of was.uniqueIndexes) {
    if (!now.uniqueIndexes.has(name)) add(`drop unique index ${name}`, `${def} (dropped or renamed)`);
  }
  return out;
}

/** The `-- contract: <step> (<why>)` lines of a migration's header (its leading comment block). */
function declarations(sql: string): { step: string; why: string | null }[] {
  const header: string[] = [];
  for (const line of sql.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('--')) header.push(line.trim());
    else break;
  }
  return header.flatMap((line) => {
    // the reason: the last parenthesis after a space (a function's arguments follow its name directly)
    const m = /^--\s*contract:\s*(.*?)(?:\s+\(([^()]*)\))?\s*$/i.exec(line);
    return m ? [{ step: m[1]!.toLowerCase().replace(/\s+/g, ' '), why: m[2]?.trim() || null }] : [];
  });
}

/** What is wrong with applying `m` (the catalog before and after it): undeclared steps, unneeded declarations. */
function violations(m: Migration, was: Catalog, now: Catalog): string[] {
  const declared = declarations(m.sql);
  const changes = destructiveChanges(was, now);
  const problems = changes
    .filter((c) => !declared.some((d) => d.step === c.step))
    .map(
      (c) => `${m.name}: ${c.step} (${c.what}) — expand only, or declare it: -- contract: ${c.step} (why it is safe)`,
    );
  for (const d of declared) {
    if (!changes.some((c) => c.step === d.step)) {
      problems.push(`${m.name}: declares "contract: ${d.step}", which it does not do`);
    }
    if (!d.why) problems.push(`${m.name}: "contract: ${d.step}" gives no reason in parentheses`);
  }
  return problems;
}

/** Applies `migrations` one at a time on `db`, checking each against the catalog before it. */
async function check(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  const problems: string[] = [];
  let was = await snapshot(db);
  for (const m of migrations) {
    assert.deepEqual(await migrate(db, [m]), [m.name]);
    const now = await snapshot(db);
    problems.push(...violations(m, was, now));
    was = now;
  }
  return problems;
}

for (const kind of engineKinds()) {
  describe(`migrations/ expand only, or declare the contract step (${kind})`, () => {
    let t: TestDb;
    before(async () => {
      t = await freshDatabase(kind);
      // freshDatabase migrated it: start again from nothing in the same (private) schema
      await t.db.exec(`DROP SCHEMA ${t.schema ?? 'public'} CASCADE; CREATE SCHEMA ${t.schema ?? 'public'}`);
    });
    after(() => t.drop());

    it('each migration, applied after the ones before it, keeps every release working on the new schema', async () => {
      const all = loadMigrations();
      assert.ok(all.length >= 19, 'the migrations are there');
      assert.deepEqual(await check(t.db, all), []);
    });
  });
}

describe('the rule itself, on a migrations directory of its own (PGlite)', () => {
  const BASE = `CREATE TABLE t (id integer PRIMARY KEY, foo text NOT NULL DEFAULT '', bar integer,
    kind text NOT NULL DEFAULT 'A' CHECK (kind IN ('A', 'B')));
    CREATE UNIQUE INDEX t_bar ON t (bar);
    CREATE FUNCTION f(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x $$;
    CREATE TYPE colour AS ENUM ('red', 'green');`;

  let db: Database;
  let cases = 0;
  before(async () => {
    db = await openPglite('memory://');
  });
  after(() => db.close());

  /** The problems of `second` applied after BASE, both written as files and loaded as the runner loads them. */
  async function problemsOf(second: string): Promise<string[]> {
    const d = mkdtempSync(join(tmpdir(), 'escrow-migrations-'));
    try {
      writeFileSync(join(d, '001_base.sql'), BASE);
      writeFileSync(join(d, '003_second.sql'), second);
      // each case in a schema of its own, on one in-memory database (opening one costs a second)
      await db.exec(`CREATE SCHEMA case_${++cases}; SET search_path TO case_${cases}`);
      return await check(db, loadMigrations(`${d}/`));
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }

  it('a dropped column fails, naming the migration and the column; declared, it passes', async () => {
    assert.deepEqual(await problemsOf('ALTER TABLE t DROP COLUMN foo;'), [
      '003_second: drop column t.foo (dropped or renamed) — expand only, or declare it: -- contract: drop column t.foo (why it is safe)',
    ]);
    const declared =
      '-- Drops foo.\n-- contract: drop column t.foo (unused since release 0.1)\nALTER TABLE t DROP COLUMN foo;';
    assert.deepEqual(await problemsOf(declared), []);
  });

  it('each destructive kind is caught; expanding is not', async () => {
    const cases: [string, string][] = [
      ['ALTER TABLE t RENAME COLUMN bar TO baz', 'drop column t.bar'],
      ['ALTER TABLE t RENAME TO u', 'drop table t'],
      ['ALTER TABLE t ALTER COLUMN bar TYPE bigint', 'change type t.bar'],
      ['ALTER TABLE t ALTER COLUMN bar SET NOT NULL', 'set not null t.bar'],
      ['ALTER TABLE t ALTER COLUMN foo DROP DEFAULT', 'drop default t.foo'],
      ['ALTER TABLE t ADD COLUMN qux text NOT NULL', 'add not null column t.qux'],
      ["ALTER TABLE t DROP CONSTRAINT t_kind_check, ADD CHECK (kind IN ('A'))", 'change constraint t.t_kind_check'],
      ["ALTER TABLE t DROP CONSTRAINT t_kind_check, ADD CHECK (kind <> 'C')", 'change constraint t.t_kind_check'],
      ['ALTER TABLE t ADD CONSTRAINT t_bar_positive CHECK (bar > 0)', 'add constraint t.t_bar_positive'],
      ['DROP FUNCTION f(integer)', 'drop function f(x integer)'],
      [
        'DROP FUNCTION f(integer); CREATE FUNCTION f(x integer) RETURNS bigint LANGUAGE sql AS $$ SELECT x $$',
        'change function f(x integer)',
      ],
      ["DROP TYPE colour; CREATE TYPE colour AS ENUM ('red')", 'drop enum value colour.green'],
      ['DROP INDEX t_bar', 'drop unique index t_bar'],
    ];
    for (const [sql, step] of cases) {
      const problems = await problemsOf(`${sql};`);
      assert.ok(
        problems.some((p) => p.startsWith(`003_second: ${step} (`)),
        `${sql}: [${problems.join('; ')}]`,
      );
      // declared, the same migration passes
      assert.deepEqual(await problemsOf(`-- contract: ${step} (a test)\n${sql};`), [], sql);
    }
    const expanding = [
      "ALTER TABLE t DROP CONSTRAINT t_kind_check, ADD CONSTRAINT t_kind_check CHECK (kind IN ('A', 'B', 'C'))",
      'ALTER TABLE t ADD COLUMN qux text, ADD COLUMN quux integer NOT NULL DEFAULT 0 CHECK (quux >= 0)',
      'ALTER TABLE t ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY',
      'CREATE TABLE v (id integer PRIMARY KEY, name text NOT NULL); CREATE INDEX t_foo ON t (foo)',
      'CREATE OR REPLACE FUNCTION f(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x + 0 $$',
      "ALTER TYPE colour ADD VALUE 'blue'",
    ];
    for (const sql of expanding) assert.deepEqual(await problemsOf(`${sql};`), [], sql);
  });

  it('a declaration must be needed, in the header, and give its reason', async () => {
    assert.deepEqual(await problemsOf('-- contract: drop column t.bar (typo)\nALTER TABLE t DROP COLUMN foo;'), [
      '003_second: drop column t.foo (dropped or renamed) — expand only, or declare it: -- contract: drop column t.foo (why it is safe)',
      '003_second: declares "contract: drop column t.bar", which it does not do',
    ]);
    assert.deepEqual(await problemsOf('-- contract: drop column t.foo\nALTER TABLE t DROP COLUMN foo;'), [
      '003_second: "contract: drop column t.foo" gives no reason in parentheses',
    ]);
    const below = 'ALTER TABLE t DROP COLUMN foo;\n-- contract: drop column t.foo (not the header)';
    assert.equal((await problemsOf(below)).length, 1, 'a declaration below the first statement does not count');
  });

  it('two files of one version are refused (a number is never reused)', () => {
    const d = mkdtempSync(join(tmpdir(), 'escrow-migrations-'));
    try {
      writeFileSync(join(d, '001_a.sql'), 'SELECT 1;');
      writeFileSync(join(d, '001_b.sql'), 'SELECT 1;');
      assert.throws(() => loadMigrations(`${d}/`), /001_a and 001_b share version 1: a number is never reused/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('migration numbers: strictly increasing, never reused, files never deleted', () => {
  it('the versions of migrations/ strictly increase', () => {
    const versions = loadMigrations().map((m) => m.version);
    assert.deepEqual(
      versions,
      [...new Set(versions)].sort((a, b) => a - b),
    );
  });

  const root = join(MIGRATIONS_DIR, '..');
  const git = existsSync(join(root, '.git')) ? null : 'not a git checkout: the history cannot be read';
  it('every migration file ever committed is still there, under its number', { skip: git ?? false }, () => {
    const ever = execFileSync('git', ['log', '--no-renames', '--name-only', '--format=', '--', 'migrations/'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => /^migrations\/\d{3}_[a-z0-9_]+\.sql$/.test(f));
    assert.ok(ever.length > 0, 'the history has migrations');
    const now = new Set(loadMigrations().map((m) => `migrations/${m.name}.sql`));
    const gone = [...new Set(ever)].filter((f) => !now.has(f));
    assert.deepEqual(gone, [], 'a released migration is never deleted or renumbered: add a new one instead');
  });
});
