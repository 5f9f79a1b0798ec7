/**
 * Opens an archive input (file, directory or remote), builds the call model, places every
 * segment on the call timeline, and applies the id filters. The caller must `close()`.
 */
import { loadCallModel, filterTracks } from '../archive/call-model.js';
import { openArchiveInput } from '../archive/reader/open-input.js';
import type { CallModel, Track } from '../archive/types.js';
import { placeTracks, type Placement } from './placement.js';

export type RawInput =
  | { readonly file: string }
  | { readonly dir: string }
  | { readonly remote: string };

export type TrackFilter = {
  readonly userId?: string | undefined;
  readonly sessionId?: string | undefined;
  readonly trackId?: string | undefined;
};

export type OpenCallOptions = {
  readonly input: RawInput;
  readonly filter?: TrackFilter;
  /** Where remote inputs are cached. Default: `$XDG_CACHE_HOME/tapedeck` or `~/.cache/tapedeck`. */
  readonly cacheDir?: string | undefined;
  /** S3-compatible endpoint for `s3://` inputs. Default: AWS. */
  readonly s3Endpoint?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Check manifest.json when the archive has one. Default true. */
  readonly verifyManifest?: boolean | undefined;
};

export type OpenCall = {
  /** The folder the archive was extracted to (or the input directory). */
  readonly root: string;
  readonly model: CallModel;
  /** The tracks the filter selected, in the model's deterministic order. */
  readonly tracks: readonly Track[];
  readonly placement: Placement;
  close(): Promise<void>;
};

export async function openCall(options: OpenCallOptions): Promise<OpenCall> {
  const archive = await openArchiveInput(options.input, {
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.s3Endpoint !== undefined ? { s3: { endpoint: options.s3Endpoint, forcePathStyle: true } } : {}),
  });
  try {
    const model = await loadCallModel(archive.root, {
      ...(options.verifyManifest === false ? { verifyManifest: false } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const tracks = filterTracks(model, options.filter ?? {});
    const placement = await placeTracks(model, archive.root);
    return { root: archive.root, model, tracks, placement, close: () => archive.cleanup() };
  } catch (error) {
    await archive.cleanup();
    throw error;
  }
}
