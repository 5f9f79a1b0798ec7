/**
 * Sends synthetic Opus RTP (20 ms CELT frames, a valid TOC byte, random filler) to a UDP
 * endpoint: enough for the recorder to write a real archive without running an encoder,
 * where a test is about delivery rather than media.
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { serializeRtpPacket } from '../../src/rtp/rtp-packet.js';

export type SyntheticOpusOptions = {
  readonly host: string;
  readonly port: number;
  readonly packets: number;
  /** Payload bytes after the TOC. Default 80 (a typical 32 kb/s voice frame). */
  readonly payloadBytes?: number;
  /** Pause every 50 packets (ms) so the socket never overflows. Default 5. */
  readonly pauseMs?: number;
};

export type SyntheticOpusSender = {
  /** Sends `packets` more packets of the same stream (one socket, one SSRC, sequence continued). */
  send(packets: number): Promise<void>;
  close(): void;
};

/** One stream from one source port: the endpoint latches the first source, so keep it. */
export function syntheticOpusSender(
  options: Omit<SyntheticOpusOptions, 'packets'>,
): SyntheticOpusSender {
  const socket = createSocket('udp4');
  const ssrc = randomBytes(4).readUInt32BE(0);
  const filler = randomBytes(options.payloadBytes ?? 80);
  let i = 0;
  return {
    async send(packets) {
      for (let n = 0; n < packets; n++, i++) {
        const payload = new Uint8Array(filler.length + 1);
        payload[0] = 0xfc; // config 31 (CELT FB 20 ms), stereo, one frame
        payload.set(filler, 1);
        const packet = serializeRtpPacket({
          payloadType: 111,
          sequenceNumber: i & 0xffff,
          timestamp: (i * 960) >>> 0,
          ssrc,
          marker: i === 0,
          payload,
        });
        await new Promise<void>((resolve, reject) =>
          socket.send(packet, options.port, options.host, (error) =>
            error ? reject(error) : resolve(),
          ),
        );
        if (n % 50 === 49) await new Promise((r) => setTimeout(r, options.pauseMs ?? 5));
      }
    },
    close() {
      socket.close();
    },
  };
}

/** Resolves after the last packet was handed to the socket; returns the count sent. */
export async function sendSyntheticOpus(options: SyntheticOpusOptions): Promise<number> {
  const sender = syntheticOpusSender(options);
  try {
    await sender.send(options.packets);
  } finally {
    sender.close();
  }
  return options.packets;
}
