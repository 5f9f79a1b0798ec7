/**
 * A pair of UDP sockets on 127.0.0.1 at an even port P (RTP) and P + 1 (RTCP), the layout
 * RTP senders assume (ffmpeg sends sender reports to P + 1). Ports come from the OS
 * (bind to 0) and are kept only when the OS hands out an even one whose successor is free.
 */
import dgram from 'node:dgram';

export type UdpPortPair = {
  readonly port: number;
  readonly rtp: dgram.Socket;
  readonly rtcp: dgram.Socket;
  /** Closes both sockets; idempotent, never throws. */
  close(): Promise<void>;
};

const MAX_ATTEMPTS = 200;
/** Asked of the OS; Linux caps it at net.core.rmem_max. Keyframe bursts fit either way on loopback. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

function bindSocket(port: number): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
    const onError = (): void => {
      socket.close();
      resolve(undefined);
    };
    socket.once('error', onError);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** Binds an even/odd port pair on 127.0.0.1; throws after many collisions. */
export async function bindUdpPortPair(): Promise<UdpPortPair> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const rtp = await bindSocket(0);
    if (rtp === undefined) continue;
    const port = rtp.address().port;
    const rtcp = port % 2 === 0 && port < 0xffff ? await bindSocket(port + 1) : undefined;
    if (rtcp === undefined) {
      await closeSocket(rtp);
      continue;
    }
    let closing: Promise<void> | undefined;
    return {
      port,
      rtp,
      rtcp,
      close: () =>
        (closing ??= Promise.all([closeSocket(rtp), closeSocket(rtcp)]).then(() => undefined)),
    };
  }
  throw new Error(
    `could not bind an even/odd UDP port pair on 127.0.0.1 after ${MAX_ATTEMPTS} attempts`,
  );
}
