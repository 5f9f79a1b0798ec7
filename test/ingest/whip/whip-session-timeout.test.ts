/**
 * WhipSession.create() when ICE gathering outlasts `gatherTimeoutMs` (a loaded server: the
 * WHIP bench's 150 publishers hit it): it rejects with UNAVAILABLE, and the timed-out wait
 * never becomes an unhandled rejection (which ends a Node process).
 */
import { MediaStreamTrack, RTCPeerConnection } from 'werift';
import { afterEach, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../../src/errors.js';
import { WhipSession } from '../../../src/ingest/whip/index.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

async function offer(): Promise<{ sdp: string; close(): Promise<void> }> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
  });
  pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return { sdp: pc.localDescription!.sdp, close: () => pc.close() };
}

describe('WhipSession.create() with a gather timeout shorter than answering takes', () => {
  it('rejects with UNAVAILABLE and leaves no unhandled rejection behind', async () => {
    process.on('unhandledRejection', onUnhandled);
    const publisher = await offer();
    try {
      const error: unknown = await WhipSession.create({
        offerSdp: publisher.sdp,
        sinkFor: () => ({ push: () => undefined }),
        gatherTimeoutMs: 1,
      }).then(
        async (session) => {
          await session.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TapedeckError);
      expect((error as TapedeckError).code).toBe('UNAVAILABLE');
      // Let any stray rejection surface before looking.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      await publisher.close();
    }
  });
});
