/**
 * Variants of a captured archive for end-to-end tests: copies with edited timing metadata,
 * the public reference tool's flat layout, a ZIP of a tree exactly as it is (a stale
 * manifest.json included), and where an rtpdump's records start (to cut one mid-record).
 */
import { createWriteStream } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/** A timing metadata document as JSON (field names as written). */
export type MetadataJson = {
  participant_id: string;
  user_session_id: string;
  segments: { audio: SegmentJson[]; video: SegmentJson[] };
  [field: string]: unknown;
};
export type SegmentJson = { base_filename: string; track_id: string; [field: string]: unknown };

export async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, errorOnExist: true, force: false });
}

export async function readMetadata(file: string): Promise<MetadataJson> {
  return JSON.parse(await readFile(file, 'utf8')) as MetadataJson;
}

/** Rewrites a timing metadata file through `edit` (which may mutate its argument). */
export async function editMetadata(file: string, edit: (doc: MetadataJson) => void): Promise<void> {
  const doc = await readMetadata(file);
  edit(doc);
  await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** `<root>/<user>/<session>/timing_metadata.json` for every session folder, sorted. */
export async function sessionMetadataFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const user of (await readdir(root, { withFileTypes: true })).filter((d) =>
    d.isDirectory(),
  )) {
    for (const session of (
      await readdir(path.join(root, user.name), { withFileTypes: true })
    ).filter((d) => d.isDirectory())) {
      found.push(path.join(root, user.name, session.name, 'timing_metadata.json'));
    }
  }
  return found.sort();
}

export type FlattenNaming = {
  /** New base name of a segment. */
  readonly base: (userId: string, sessionId: string, baseFilename: string) => string;
  /** File name of a session's metadata; must end in `_timing_metadata.json`. */
  readonly metadata: (userId: string, sessionId: string) => string;
};

/** `alice_s1_audio_1` and `alice_s1_timing_metadata.json`. */
export const PREFIXED_NAMING: FlattenNaming = {
  base: (user, session, base) => `${user}_${session}_${base}`,
  metadata: (user, session) => `${user}_${session}_timing_metadata.json`,
};

/**
 * Writes the reference tool's variant of the documented layout under `to` (one folder):
 * every segment's rtpdump and sdp renamed by `naming.base`, each session's metadata named
 * by `naming.metadata` with `base_filename` updated.
 */
export async function flattenToReferenceVariant(
  root: string,
  to: string,
  naming: FlattenNaming = PREFIXED_NAMING,
): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const file of await sessionMetadataFiles(root)) {
    const doc = await readMetadata(file);
    const user = doc.participant_id;
    const session = doc.user_session_id;
    for (const segment of [...doc.segments.audio, ...doc.segments.video]) {
      const renamed = naming.base(user, session, segment.base_filename);
      for (const ext of ['rtpdump', 'sdp']) {
        await cp(
          path.join(path.dirname(file), `${segment.base_filename}.${ext}`),
          path.join(to, `${renamed}.${ext}`),
          { errorOnExist: true, force: false },
        );
      }
      segment.base_filename = renamed;
    }
    await writeFile(
      path.join(to, naming.metadata(user, session)),
      `${JSON.stringify(doc, null, 2)}\n`,
      { flag: 'wx' },
    );
  }
}

/** Every regular file under `dir`, relative with `/`, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Zips every file under `root` as it is (unlike the archive writer, a root manifest.json is kept). */
export async function zipTreeAsIs(root: string, out: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const rel of await filesUnder(root))
    zip.addFile(path.join(root, ...rel.split('/')), rel, { mtime: new Date(2000, 0, 1) });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(out, { flags: 'wx' }));
}

/** Byte offsets where each record of the rtpdump file starts (after the first line and the 16-byte header). */
export async function rtpdumpRecordOffsets(file: string): Promise<number[]> {
  const bytes = await readFile(file);
  let at = bytes.indexOf(0x0a) + 1 + 16;
  const offsets: number[] = [];
  while (at + 8 <= bytes.byteLength) {
    offsets.push(at);
    at += bytes.readUInt16BE(at);
  }
  return offsets;
}
