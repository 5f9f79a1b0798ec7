/**
 * Where the writers get the archive manifest from: `computeManifestForDir` (manifest-node.ts)
 * serialised by `serializeManifest` (manifest.ts), the one format readers verify against.
 */
import { computeManifestForDir } from '../manifest-node.js';
import { serializeManifest } from '../manifest.js';

/** The manifest of `root` as written into archives (every file but `manifest.json`). */
export async function manifestBytesForDir(root: string, signal: AbortSignal | undefined): Promise<Buffer> {
  const manifest = await computeManifestForDir(root, signal === undefined ? {} : { signal });
  return Buffer.from(serializeManifest(manifest), 'utf8');
}
