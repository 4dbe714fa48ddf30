/**
 * Escrow Services: the engine's entry points. The wiring lives in src/composition/ (the only place that picks
 * concrete adapters); the CLI (src/cli/) and the tests start engines through these.
 */
export { createEngine, systemClock } from './composition/engine.js';
export { openDatabase } from './composition/database.js';
export { createLogger } from './composition/logger.js';
export { VERSION } from './composition/version.js';
export { ROLES, type Engine, type EngineOptions, type RoleName, type StartedRoles } from './composition/types.js';
