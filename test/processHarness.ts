import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { migrate } from '../src/adapters/db/migrate.js';
import { openPostgres } from '../src/adapters/db/postgres.js';
import type { Database } from '../src/adapters/db/database.js';

/** A PostgreSQL database of its own (migrated), for tests that run the engine as separate processes. */
export async function freshPostgresDatabase(): Promise<{ url: string; db: Database; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `escrow_p_${randomBytes(5).toString('hex')}`;
  const admin = await openPostgres({ url: base, poolSize: 1, connectionTimeoutMs: 10_000 });
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await openPostgres({ url: url.toString(), poolSize: 4, connectionTimeoutMs: 10_000 });
  await migrate(db);
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.close();
      await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export { startRoles, type RoleProcess } from '../bench/kafka/roles.js';

/** Runs the CLI to completion: exit code and output. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}
