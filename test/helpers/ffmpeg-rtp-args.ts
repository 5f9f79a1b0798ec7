/**
 * ffmpeg command lines for a real RTP sender: lavfi test sources, encoders tuned as a
 * real-time sender would run them, and the RTP muxer's options (payload type, SSRC,
 * packet size, BYE at the end so the last sender report is captured too).
 */
export type AudioCodec = 'opus';
export type VideoCodec = 'VP8' | 'VP9' | 'H264';
export type CaptureCodec = AudioCodec | VideoCodec;

export const DEFAULT_PAYLOAD_TYPE: Record<CaptureCodec, number> = {
  opus: 111,
  VP8: 96,
  VP9: 98,
  H264: 102,
};

export const DEFAULT_AUDIO_INPUT = 'sine=frequency=440:sample_rate=48000';
export const DEFAULT_VIDEO_INPUT = 'testsrc2=size=640x360:rate=30';

export type EncoderSettings = {
  readonly codec: CaptureCodec;
  readonly bitrateKbps: number;
  /** Video: frames between keyframes. */
  readonly keyframeIntervalFrames: number;
};

/** Encoder arguments (after -map, before the muxer options). */
export function encoderArgs(s: EncoderSettings): string[] {
  const rate = `${s.bitrateKbps}k`;
  const gop = String(s.keyframeIntervalFrames);
  switch (s.codec) {
    case 'opus':
      return ['-c:a', 'libopus', '-b:a', rate, '-ar', '48000', '-ac', '2'];
    case 'VP8':
      return [
        '-c:v',
        'libvpx',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-lag-in-frames',
        '0',
        '-auto-alt-ref',
        '0',
        '-b:v',
        rate,
        '-g',
        gop,
        '-pix_fmt',
        'yuv420p',
      ];
    case 'VP9':
      // ffmpeg 5.1 calls its VP9 packetizer experimental.
      return [
        '-c:v',
        'libvpx-vp9',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-lag-in-frames',
        '0',
        '-row-mt',
        '1',
        '-b:v',
        rate,
        '-g',
        gop,
        '-pix_fmt',
        'yuv420p',
        '-strict',
        'experimental',
      ];
    case 'H264':
      return [
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-tune',
        'zerolatency',
        '-profile:v',
        'baseline',
        '-bf',
        '0',
        '-b:v',
        rate,
        '-g',
        gop,
        '-pix_fmt',
        'yuv420p',
      ];
  }
}

export type RtpOutput = {
  readonly payloadType: number;
  readonly ssrc: number;
  readonly port: number;
  readonly sendBye: boolean;
};

/** RTP muxer options and the output URL. */
export function rtpOutputArgs(o: RtpOutput): string[] {
  return [
    '-payload_type',
    String(o.payloadType),
    // The muxer's option is a signed 32-bit int.
    '-ssrc',
    String(o.ssrc | 0),
    ...(o.sendBye ? ['-rtpflags', 'send_bye'] : []),
    '-f',
    'rtp',
    `rtp://127.0.0.1:${o.port}?pkt_size=1200`,
  ];
}

/** Input arguments: real-time paced lavfi source of `durationSec`. */
export function lavfiInputArgs(graph: string, durationSec: number): string[] {
  return ['-re', '-t', String(durationSec), '-f', 'lavfi', '-i', graph];
}

export const FFMPEG_PREAMBLE = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];

export type AvSyncGraph = {
  readonly width: number;
  readonly height: number;
  readonly frameRate: number;
  readonly beepIntervalMs: number;
  readonly beepMs: number;
  readonly beepHz: number;
};

/**
 * One lavfi graph with two outputs sharing its clock: out0 video (black, white while a
 * beep sounds), out1 audio (a `beepHz` tone for `beepMs` every `beepIntervalMs`, from t = 0).
 */
export function avSyncGraph(g: AvSyncGraph): string {
  const period = g.beepIntervalMs / 1000;
  const on = g.beepMs / 1000;
  const gate = `lt(mod(t,${period}),${on})`;
  return (
    `color=c=black:s=${g.width}x${g.height}:r=${g.frameRate},` +
    `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='${gate}'[out0];` +
    `aevalsrc='0.5*sin(2*PI*${g.beepHz}*t)*${gate}':s=48000:c=stereo[out1]`
  );
}
