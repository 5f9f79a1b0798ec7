/**
 * What a `MediaFileWriter` track carries, its validation, and the WebCodecs decoder config
 * mediabunny needs with a track's first packet.
 */
import { av1CodecString, vp9CodecString } from './codec-string.js';
import { avcCodecString, readAvcConfig } from './avc-config.js';

export type ContainerName = 'mkv' | 'webm';
export type VideoCodecName = 'VP8' | 'VP9' | 'H264' | 'AV1';

export type AudioTrackSpec = {
  readonly kind: 'audio';
  readonly codec: 'opus';
  /** Must be 48000: Opus in Matroska always declares 48 kHz (RFC 7587 fixes RTP's clock too). */
  readonly sampleRate: number;
  /** 1 or 2 (channel mapping family 0). */
  readonly channels: number;
  /** OpusHead for CodecPrivate; default: version 1, these channels, pre-skip 0, gain 0. */
  readonly description?: Uint8Array;
};

export type VideoTrackSpec = {
  readonly kind: 'video';
  readonly codec: VideoCodecName;
  /** Coded size written to the track header (the first keyframe's size). */
  readonly width: number;
  readonly height: number;
  /**
   * H264 only: the avcC (AVCDecoderConfigurationRecord, 4-byte NAL lengths). May instead
   * come with the first keyframe (`MediaFrame.description`) or be built from the SPS/PPS that
   * keyframe carries in-band.
   */
  readonly description?: Uint8Array;
};

export type TrackSpec = AudioTrackSpec | VideoTrackSpec;

const WEBM_CODECS: ReadonlySet<string> = new Set(['opus', 'VP8', 'VP9', 'AV1']);
const VIDEO_CODECS: ReadonlySet<string> = new Set(['VP8', 'VP9', 'H264', 'AV1']);

const OPUS_HEAD_MAGIC = [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64]; // "OpusHead"

/**
 * The 19-byte OpusHead of channel mapping family 0.
 * ```
 * "OpusHead" version(8)=1 channels(8) preSkip(16 LE) inputRate(32 LE) gain(16 LE) family(8)=0
 * ```
 * @see RFC 7845, 5.1
 */
export function opusHead(channels: number, preSkip = 0, inputSampleRate = 48000): Uint8Array {
  const out = new Uint8Array(19);
  out.set(OPUS_HEAD_MAGIC);
  out[8] = 1;
  out[9] = channels & 0xff;
  out[10] = preSkip & 0xff;
  out[11] = (preSkip >>> 8) & 0xff;
  out[12] = inputSampleRate & 0xff;
  out[13] = (inputSampleRate >>> 8) & 0xff;
  out[14] = (inputSampleRate >>> 16) & 0xff;
  out[15] = (inputSampleRate >>> 24) & 0xff;
  return out;
}

const isPositiveInteger = (n: unknown): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n > 0;

/** Validates the tracks for a container; throws TypeError/RangeError naming the field. */
export function validateTracks(container: ContainerName, tracks: readonly TrackSpec[]): void {
  if (!isList(tracks) || tracks.length === 0) {
    throw new RangeError('options.tracks must hold at least one track');
  }
  if (tracks.length > 126) throw new RangeError('options.tracks holds more than 126 tracks');
  tracks.forEach((track, i) => {
    const name = `options.tracks[${i}]`;
    if (track.kind === 'audio') {
      if (track.codec !== 'opus') throw new TypeError(`${name}.codec must be 'opus'`);
      if (track.sampleRate !== 48000)
        throw new RangeError(`${name}.sampleRate must be 48000 for opus`);
      if (track.channels !== 1 && track.channels !== 2)
        throw new RangeError(`${name}.channels must be 1 or 2`);
      const d = track.description;
      if (
        d !== undefined &&
        (!(d instanceof Uint8Array) ||
          d.byteLength < 19 ||
          OPUS_HEAD_MAGIC.some((b, k) => d[k] !== b))
      ) {
        throw new TypeError(`${name}.description must be an OpusHead`);
      }
    } else if (track.kind === 'video') {
      if (!VIDEO_CODECS.has(track.codec))
        throw new TypeError(`${name}.codec must be one of VP8, VP9, H264, AV1`);
      if (!isPositiveInteger(track.width) || track.width > 65535)
        throw new RangeError(`${name}.width must be an integer in 1..65535`);
      if (!isPositiveInteger(track.height) || track.height > 65535)
        throw new RangeError(`${name}.height must be an integer in 1..65535`);
      if (track.description !== undefined) {
        if (track.codec !== 'H264') throw new TypeError(`${name}.description is only for H264`);
        checkAvcDescription(track.description, `${name}.description`);
      }
    } else {
      throw new TypeError(`${name}.kind must be 'audio' or 'video'`);
    }
    if (container === 'webm' && !WEBM_CODECS.has(track.codec)) {
      throw new TypeError(`container webm cannot carry ${track.codec}; use mkv`);
    }
  });
}

/** Throws unless `avcC` is an avcC with 4-byte NAL lengths. */
export function checkAvcDescription(avcC: unknown, name: string): asserts avcC is Uint8Array {
  const config = avcC instanceof Uint8Array ? readAvcConfig(avcC) : null;
  if (config === null)
    throw new TypeError(`${name} must be an avcC (AVCDecoderConfigurationRecord)`);
  if (config.nalLengthSize !== 4) throw new TypeError(`${name} must use 4-byte NAL lengths`);
}

/** The decoder config mediabunny takes with an audio track's first packet. */
export function audioDecoderConfig(spec: AudioTrackSpec): AudioDecoderConfig {
  return {
    codec: 'opus',
    numberOfChannels: spec.channels,
    sampleRate: 48000,
    description: spec.description ?? opusHead(spec.channels),
  };
}

/**
 * The decoder config for a video track's first packet (its first keyframe); `avcC` is the
 * H264 description already settled on.
 */
export function videoDecoderConfig(
  spec: VideoTrackSpec,
  keyframe: Uint8Array,
  avcC: Uint8Array | undefined,
): VideoDecoderConfig {
  const size = { codedWidth: spec.width, codedHeight: spec.height };
  switch (spec.codec) {
    case 'VP8':
      return { codec: 'vp8', ...size };
    case 'VP9':
      return { codec: vp9CodecString(keyframe, spec.width, spec.height), ...size };
    case 'AV1':
      return { codec: av1CodecString(keyframe), ...size };
    case 'H264': {
      const config = avcC === undefined ? null : readAvcConfig(avcC);
      if (avcC === undefined || config === null)
        throw new TypeError('H264 track needs an avcC before its first frame');
      return { codec: avcCodecString(config), ...size, description: avcC };
    }
  }
}

/** mediabunny's codec ids. */
export function mediabunnyCodec(codec: VideoCodecName): 'vp8' | 'vp9' | 'avc' | 'av1' {
  return codec === 'VP8' ? 'vp8' : codec === 'VP9' ? 'vp9' : codec === 'H264' ? 'avc' : 'av1';
}

/** `Array.isArray` without narrowing a readonly array to `any[]`. */
function isList(value: unknown): boolean {
  return Array.isArray(value);
}
