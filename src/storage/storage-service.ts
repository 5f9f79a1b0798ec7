/**
 * External storage configurations: create, update, forget and check them; pick and pin
 * the storage a recording is written to; hand out working destinations.
 *
 * ```text
 * POST/PUT ─▶ parseStorageInput ─▶ createDestination ─▶ check (live) ─▶ save (secrets sealed)
 * start    ─▶ pin: named at start ▶ call type's ▶ tapedeck-managed ─▶ snapshot on the recording
 * deliver  ─▶ destinationOf(snapshot)
 * fetch    ─▶ accessOf(file): the current configuration when it still names the same
 *             provider and bucket (so write_only → read_write takes effect at once),
 *             else the recording's snapshot
 * ```
 * Nothing here returns or logs a secret: views carry `*_set` flags only.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  deleteExternalStorage,
  getExternalStorage,
  insertExternalStorage,
  listExternalStorages,
  updateExternalStorage,
  type ExternalStorageRow,
  type Schema,
} from '../db/index.js';
import { TapedeckError } from '../errors.js';
import { createDestination, type DestinationDeps } from './create-destination.js';
import { distinctPrefixes } from './key-layout.js';
import { createSecretBox, type SecretBox } from './secret-box.js';
import { parseStorageInput } from './storage-input.js';
import { storageView } from './storage-view.js';
import {
  MANAGED_STORAGE_NAME,
  type AccessMode,
  type StorageConfig,
  type StorageDestination,
  type StorageSecrets,
} from './types.js';

/** The managed default: local disk (embedded) or an operator's S3-compatible bucket. */
export type ManagedStorage =
  | { readonly kind: 'local' }
  | { readonly kind: 's3'; readonly config: StorageConfig; readonly secrets: StorageSecrets };

/** What a recording is pinned to (stored as JSON on the recording). */
export type StoragePin = {
  readonly name: string;
  readonly config: StorageConfig;
  readonly secretsSealed: string | null;
};

export type PinnedStorage = {
  readonly name: string;
  readonly provider: string;
  /** JSON of a `StoragePin`; null for the managed local disk. */
  readonly snapshot: string | null;
};

export type FileAccess =
  | { readonly kind: 'local' }
  | {
      readonly kind: 'remote';
      readonly accessMode: AccessMode;
      readonly destination: StorageDestination;
    };

export type StorageServiceOptions = {
  readonly db: Kysely<Schema>;
  readonly apiSecret: string;
  readonly deps: DestinationDeps;
  readonly managed: ManagedStorage;
};

export type StorageViewWithWarnings = {
  readonly storage: Record<string, unknown>;
  readonly warnings: readonly string[];
};

export class StorageService {
  readonly #db: Kysely<Schema>;
  readonly #box: SecretBox;
  readonly #deps: DestinationDeps;
  readonly #managed: ManagedStorage;
  /** Destinations by a hash of their pin, so one client (and its sockets) serves many uploads. */
  readonly #destinations = new Map<string, StorageDestination>();

  constructor(options: StorageServiceOptions) {
    this.#db = options.db;
    this.#box = createSecretBox(options.apiSecret);
    this.#deps = options.deps;
    this.#managed = options.managed;
  }

  get managed(): ManagedStorage {
    return this.#managed;
  }

  async create(body: unknown): Promise<StorageViewWithWarnings> {
    const parsed = parseStorageInput(body);
    if (await getExternalStorage(this.#db, parsed.config.name))
      throw new TapedeckError('CONFLICT', `external storage ${parsed.config.name} already exists`);
    await this.#validate(parsed.config, parsed.secrets);
    const row = await insertExternalStorage(this.#db, this.#toRow(parsed.config, parsed.secrets));
    return { storage: this.#view(row), warnings: parsed.warnings };
  }

  async update(name: string, body: unknown): Promise<StorageViewWithWarnings> {
    const existing = await this.#load(name);
    const parsed = parseStorageInput(body, existing, name);
    await this.#validate(parsed.config, parsed.secrets);
    const row = await updateExternalStorage(this.#db, this.#toRow(parsed.config, parsed.secrets));
    return { storage: this.#view(row), warnings: parsed.warnings };
  }

  async get(name: string): Promise<Record<string, unknown>> {
    if (name === MANAGED_STORAGE_NAME) return this.#managedView();
    const row = await getExternalStorage(this.#db, name);
    if (row === undefined) throw notFound(name);
    return this.#view(row);
  }

  async list(): Promise<Record<string, unknown>[]> {
    const rows = await listExternalStorages(this.#db);
    return [this.#managedView(), ...rows.map((r) => this.#view(r))];
  }

  /** Forgets the configuration; files already written stay where they are. */
  async remove(name: string): Promise<void> {
    refuseManaged(name);
    if (!(await deleteExternalStorage(this.#db, name))) throw notFound(name);
  }

  /** Runs the save-time validation again; throws its `DESTINATION_*` error. */
  async check(name: string): Promise<{ readonly name: string; readonly access_mode: AccessMode }> {
    if (name === MANAGED_STORAGE_NAME) {
      if (this.#managed.kind === 's3')
        await this.#validate(this.#managed.config, this.#managed.secrets);
      return { name, access_mode: 'read_write' };
    }
    const { config, secrets } = await this.#load(name);
    await this.#validate(config, secrets);
    return { name, access_mode: config.accessMode };
  }

  /** Refuses an unknown name (INVALID_ARGUMENT) so a recording never starts towards nowhere. */
  async requireExists(name: string, field: string): Promise<void> {
    if (name === MANAGED_STORAGE_NAME) return;
    if ((await getExternalStorage(this.#db, name)) === undefined)
      throw new TapedeckError(
        'INVALID_ARGUMENT',
        `${field}: external storage ${name} does not exist`,
      );
  }

  /** The storage for a new recording: the one named at start, else the call type's, else the managed default. */
  async pin(requested: string | undefined, callTypeDefault: string | null): Promise<PinnedStorage> {
    const name = requested ?? callTypeDefault ?? MANAGED_STORAGE_NAME;
    if (name === MANAGED_STORAGE_NAME) {
      if (this.#managed.kind === 'local') return { name, provider: 'local', snapshot: null };
      return {
        name,
        provider: 's3',
        snapshot: JSON.stringify(this.#pinOf(this.#managed.config, this.#managed.secrets)),
      };
    }
    const row = await getExternalStorage(this.#db, name);
    if (row === undefined) {
      const field =
        requested !== undefined ? 'external_storage' : "the call type's external_storage";
      throw new TapedeckError(
        'INVALID_ARGUMENT',
        `${field}: external storage ${name} does not exist`,
      );
    }
    const pin: StoragePin = {
      name,
      config: JSON.parse(row.config) as StorageConfig,
      secretsSealed: row.secretsSealed,
    };
    return { name, provider: row.storageType, snapshot: JSON.stringify(pin) };
  }

  parsePin(snapshot: string): StoragePin {
    return JSON.parse(snapshot) as StoragePin;
  }

  /** A destination for a pinned storage (cached). */
  destinationOf(pin: StoragePin): StorageDestination {
    const cacheKey = createHash('sha256').update(JSON.stringify(pin)).digest('hex');
    let destination = this.#destinations.get(cacheKey);
    if (destination === undefined) {
      const secrets =
        pin.secretsSealed === null
          ? {}
          : (JSON.parse(this.#box.open(pin.secretsSealed, pin.name)) as StorageSecrets);
      destination = createDestination(pin.config, secrets, this.#deps);
      this.#destinations.set(cacheKey, destination);
    }
    return destination;
  }

  /**
   * How a file written to `storageName` (provider, bucket) can be read now: through the
   * current configuration when it still names the same provider and bucket, else through
   * the recording's pinned snapshot.
   */
  async accessOf(
    file: {
      readonly storageName: string | null;
      readonly storageProvider: string | null;
      readonly bucket: string | null;
    },
    snapshot: string | null,
  ): Promise<FileAccess> {
    if (file.storageProvider === 'local' || file.storageProvider === null) return { kind: 'local' };
    let pin: StoragePin | undefined;
    if (file.storageName !== null && file.storageName !== MANAGED_STORAGE_NAME) {
      const row = await getExternalStorage(this.#db, file.storageName);
      const config = row === undefined ? undefined : (JSON.parse(row.config) as StorageConfig);
      if (
        row !== undefined &&
        config !== undefined &&
        config.storageType === file.storageProvider &&
        config.bucket === file.bucket
      )
        pin = { name: row.name, config, secretsSealed: row.secretsSealed };
    }
    if (pin === undefined && snapshot !== null) pin = this.parsePin(snapshot);
    if (pin === undefined)
      throw new TapedeckError(
        'NOT_FOUND',
        `the storage of this file (${file.storageName ?? 'unknown'}) is no longer known`,
      );
    return {
      kind: 'remote',
      accessMode: pin.config.accessMode,
      destination: this.destinationOf(pin),
    };
  }

  async close(): Promise<void> {
    const all = [...this.#destinations.values()];
    this.#destinations.clear();
    await Promise.allSettled(all.map((d) => d.close()));
  }

  async #validate(config: StorageConfig, secrets: StorageSecrets): Promise<void> {
    const destination = createDestination(config, secrets, this.#deps);
    try {
      await destination.check({
        accessMode: config.accessMode,
        prefixes: distinctPrefixes(config),
      });
    } finally {
      await destination.close().catch(() => undefined);
    }
  }

  async #load(name: string): Promise<{ config: StorageConfig; secrets: StorageSecrets }> {
    refuseManaged(name);
    const row = await getExternalStorage(this.#db, name);
    if (row === undefined) throw notFound(name);
    return { config: JSON.parse(row.config) as StorageConfig, secrets: this.#secretsOf(row) };
  }

  #secretsOf(row: ExternalStorageRow): StorageSecrets {
    return row.secretsSealed === null
      ? {}
      : (JSON.parse(this.#box.open(row.secretsSealed, row.name)) as StorageSecrets);
  }

  #pinOf(config: StorageConfig, secrets: StorageSecrets): StoragePin {
    const any = Object.keys(secrets).length > 0;
    return {
      name: config.name,
      config,
      secretsSealed: any ? this.#box.seal(JSON.stringify(secrets), config.name) : null,
    };
  }

  #toRow(config: StorageConfig, secrets: StorageSecrets) {
    const pin = this.#pinOf(config, secrets);
    if (config.storageType === 'local') throw new TypeError('local storage cannot be configured');
    return {
      name: config.name,
      storageType: config.storageType,
      config: JSON.stringify(config),
      secretsSealed: pin.secretsSealed,
    };
  }

  #view(row: ExternalStorageRow): Record<string, unknown> {
    return storageView(JSON.parse(row.config) as StorageConfig, this.#secretsOf(row), {
      created_at: new Date(row.createdAtMs).toISOString(),
      updated_at: new Date(row.updatedAtMs).toISOString(),
    });
  }

  #managedView(): Record<string, unknown> {
    if (this.#managed.kind === 'local')
      return {
        name: MANAGED_STORAGE_NAME,
        storage_type: 'local',
        access_mode: 'read_write',
        managed: true,
      };
    return { ...storageView(this.#managed.config, this.#managed.secrets), managed: true };
  }
}

function notFound(name: string): TapedeckError {
  return new TapedeckError('NOT_FOUND', `external storage ${name} does not exist`);
}

function refuseManaged(name: string): void {
  if (name === MANAGED_STORAGE_NAME)
    throw new TapedeckError(
      'CONFLICT',
      `${MANAGED_STORAGE_NAME} is the managed default; the operator configures it`,
    );
}
