/** unknown: applied, but not a migration of this release (a newer schema, e.g. after a rollback). */
export type MigrationState = 'applied' | 'pending' | 'unknown';

/** The schema's migrations: applied by this call, installed, pending; `migrations`: each one's state (--status). */
export interface MigrationStatus {
  applied: string[];
  installed: string[];
  pending: string[];
  migrations?: {
    version: number;
    name: string;
    state: MigrationState;
    appliedAt: string | null;
    changed: boolean | null;
  }[];
}
