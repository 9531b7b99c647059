/**
 * Test fixtures shared by Cairn's packages (private).
 *
 * @example
 * postgresTest('stores', async ({ databaseUrl, schema }) => { … });
 */
export { postgresTest, startPostgres, createSchema, dropSchema, uniqueSchemaName, LOCAL_DATABASE_URL } from './postgres.js';
export { redisTest, startRedis, uniqueRedisPrefix, LOCAL_REDIS_URL } from './redis.js';
