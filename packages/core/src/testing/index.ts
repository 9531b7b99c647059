/**
 * Test helpers for Cairn's own packages and for anyone implementing a store.
 *
 * @example
 * describeStoreContract('memory', async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
 */
export { describeStoreContract, type MakeStore } from './store-contract.js';
export { makeExecutionRecord, makeStepRecord, testExecutionId, TEST_ARN_PREFIX } from './fixtures.js';
