// The application's ports: one file each; adapters implement them, the composition root picks the implementations.
export * from './clock.js';
export * from './commandOutcomes.js';
export * from './commandTransport.js';
export * from './escrowQueries.js';
export * from './escrowStore.js';
export * from './eventPublisher.js';
export * from './idempotencyStore.js';
export * from './integrityStore.js';
export * from './operationsQueries.js';
export * from './outboxStore.js';
export * from './paymentRail.js';
export * from './settlementStore.js';
export * from './storedEvent.js';
export * from './timeoutStore.js';
export * from './webhookStore.js';
