// Temporary re-exports for the old import path: each store now has its own file. The integrator rewires the
// imports (src/main.ts, test/concurrency.int.test.ts), then this file goes.
export { SqlWebhookStore } from './webhookStore.js';
export { SqlSettlementStore } from './settlementStore.js';
export { SqlTimeoutStore } from './timeoutStore.js';
export { SqlOutboxStore, type DeadLetter } from './outboxStore.js';
