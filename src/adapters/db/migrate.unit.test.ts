import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrationChecksum, migrationStates, type AppliedMigration, type Migration } from './migrate.js';

const SQL = '-- A table.\nCREATE TABLE t (id integer PRIMARY KEY);\n\nCREATE INDEX t_id ON t (id);\n';

describe('migrationChecksum', () => {
  it('is the same with comment-only and blank lines added or reworded (a contract declaration is a comment)', () => {
    const declared = `-- A table, reworded.\n-- contract: drop column t.x (a test)\n\n${SQL.replace('-- A table.\n', '')}  \n`;
    assert.equal(migrationChecksum(declared), migrationChecksum(SQL));
    assert.match(migrationChecksum(SQL), /^[0-9a-f]{64}$/);
  });

  it('changes with any statement text, an inline comment included', () => {
    for (const edited of [
      SQL.replace('integer', 'bigint'),
      SQL.replace('PRIMARY KEY);', 'PRIMARY KEY); -- inline'),
      `${SQL}DROP INDEX t_id;\n`,
    ]) {
      assert.notEqual(migrationChecksum(edited), migrationChecksum(SQL), edited);
    }
  });
});

describe('migrationStates', () => {
  const file = (version: number, name: string, sql = SQL): Migration => ({ version, name, sql });
  const row = (version: number, name: string, checksum: string | null): AppliedMigration => ({
    version,
    name,
    appliedAt: '2026-01-05T10:00:00.000Z',
    checksum,
  });

  it('applied (same, changed, or no checksum), renamed under its number, pending, and unknown to this release', () => {
    const files = [file(1, '001_a'), file(2, '002_b'), file(3, '003_c'), file(5, '005_e'), file(6, '006_f')];
    const rows = [
      row(1, '001_a', migrationChecksum(SQL)),
      row(2, '002_b', 'another'),
      row(3, '003_c', null),
      row(5, '005_renamed', migrationChecksum(SQL)),
      row(9, '009_newer', 'x'),
    ];
    const at = '2026-01-05T10:00:00.000Z';
    assert.deepEqual(migrationStates(files, rows), [
      { version: 1, name: '001_a', state: 'applied', appliedAt: at, changed: false },
      { version: 2, name: '002_b', state: 'applied', appliedAt: at, changed: true },
      { version: 3, name: '003_c', state: 'applied', appliedAt: at, changed: null },
      { version: 5, name: '005_e', state: 'applied', appliedAt: at, changed: true },
      { version: 6, name: '006_f', state: 'pending', appliedAt: null, changed: null },
      { version: 9, name: '009_newer', state: 'unknown', appliedAt: at, changed: null },
    ]);
  });
});
