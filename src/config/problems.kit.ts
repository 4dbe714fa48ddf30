import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './index.js';

/** The problems loadConfig names for `env` (none: an empty list), for the configuration tests. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}
