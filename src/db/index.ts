/** The metadata store: open, migrate, and the repositories. */

export { openDatabase, type OpenDatabaseOptions, type TapedeckDatabase } from './open-database.js';
export { migrateToLatest, getSchemaVersion, LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrate.js';
export type * from './schema.js';
export {
  toJson,
  fromJson,
  type JsonText,
  type JsonValue,
  type JsonObject,
  type JsonPrimitive,
} from './json.js';
export { newId } from './ids.js';
export * from './repositories/call-types.js';
export * from './repositories/calls.js';
export * from './repositories/recordings.js';
export * from './repositories/recording-parts.js';
export * from './repositories/events.js';
export * from './repositories/jobs.js';
export * from './repositories/external-storages.js';
