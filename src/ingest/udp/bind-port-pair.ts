/**
 * Binds the RTP and RTCP sockets of one endpoint. RTP senders without signalling assume
 * RTCP on the RTP port + 1 with the RTP port even (RFC 3550 §11), so an ephemeral request
 * retries until the OS hands out an even port whose successor is free.
 * @see RFC 3550 §11 (RTP over network and transport protocols)
 */
import dgram from 'node:dgram';
import { TapedeckError } from '../../errors.js';

export type PortPairRequest = {
  readonly type: 'udp4' | 'udp6';
  readonly host: string;
  /** 0 = an even/odd pair: from `portRange` when given, else ephemeral. */
  readonly rtpPort: number;
  /** Inclusive range the pair is taken from (operators open it in firewalls). */
  readonly portRange: { readonly min: number; readonly max: number } | undefined;
  readonly receiveBufferBytes: number;
  /** Attached to both sockets once bound, for errors after binding. */
  readonly onSocketError: (error: Error) => void;
  readonly signal: AbortSignal | undefined;
};

export type BoundPortPair = {
  readonly rtp: dgram.Socket;
  readonly rtcp: dgram.Socket;
};

/** Ephemeral attempts before settling for any two ports. */
const MAX_PAIR_ATTEMPTS = 100;

function bindSocket(request: PortPairRequest, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({
      type: request.type,
      recvBufferSize: request.receiveBufferBytes,
    });
    const onBindError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onBindError);
    socket.bind({ port, address: request.host, exclusive: true }, () => {
      socket.off('error', onBindError);
      socket.on('error', request.onSocketError);
      resolve(socket);
    });
  });
}

/** Binds `port`, or resolves undefined when it is taken. */
async function tryBind(request: PortPairRequest, port: number): Promise<dgram.Socket | undefined> {
  try {
    return await bindSocket(request, port);
  } catch {
    return undefined;
  }
}

/** Closes a socket; resolves once closed, also when it was closed already. */
export function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed
    }
  });
}

async function pairWith(
  request: PortPairRequest,
  rtp: dgram.Socket,
  rtcpPort: number,
): Promise<BoundPortPair> {
  try {
    const rtcp = await bindSocket(request, rtcpPort);
    return { rtp, rtcp };
  } catch (error) {
    await closeSocket(rtp);
    throw error;
  }
}

/**
 * Binds RTP and RTCP sockets on `request.host`. Fixed `rtpPort`: that port (its bind error
 * is thrown as is), RTCP on port + 1 when free, else an ephemeral port. Ephemeral: an even
 * port P and P + 1, retried up to 100 times, then any two ephemeral ports. Rejects with
 * the signal's reason, closing what it bound, when aborted.
 */
export async function bindPortPair(request: PortPairRequest): Promise<BoundPortPair> {
  request.signal?.throwIfAborted();
  const pair = await bindPair(request);
  if (request.signal?.aborted === true) {
    await Promise.all([closeSocket(pair.rtp), closeSocket(pair.rtcp)]);
    request.signal.throwIfAborted();
  }
  return pair;
}

/** Where the next search in a range starts, so consecutive tracks do not probe the same ports. */
let rangeCursor = 0;

/**
 * The first free even/odd pair in `range`, searched from a rotating cursor; UNAVAILABLE
 * when every pair is taken.
 */
async function bindInRange(
  request: PortPairRequest,
  range: { readonly min: number; readonly max: number },
): Promise<BoundPortPair> {
  const first = range.min % 2 === 0 ? range.min : range.min + 1;
  const pairs = Math.floor((range.max - first + 1) / 2);
  for (let i = 0; i < pairs; i++) {
    if (request.signal?.aborted === true) break;
    const port = first + 2 * ((rangeCursor + i) % pairs);
    const rtp = await tryBind(request, port);
    if (rtp === undefined) continue;
    const rtcp = await tryBind(request, port + 1);
    if (rtcp !== undefined) {
      rangeCursor = (rangeCursor + i + 1) % pairs;
      return { rtp, rtcp };
    }
    await closeSocket(rtp);
  }
  request.signal?.throwIfAborted();
  throw new TapedeckError(
    'UNAVAILABLE',
    `no free RTP/RTCP port pair in ${range.min}..${range.max} (TAPEDECK_RTP_PORT_MIN/MAX)`,
  );
}

async function bindPair(request: PortPairRequest): Promise<BoundPortPair> {
  if (request.rtpPort !== 0) {
    const rtp = await bindSocket(request, request.rtpPort);
    const next = request.rtpPort + 1;
    const rtcp = next <= 0xffff ? await tryBind(request, next) : undefined;
    return rtcp !== undefined ? { rtp, rtcp } : pairWith(request, rtp, 0);
  }
  if (request.portRange !== undefined) return bindInRange(request, request.portRange);
  for (let attempt = 0; attempt < MAX_PAIR_ATTEMPTS; attempt++) {
    if (request.signal?.aborted === true) break; // bindPortPair closes and throws
    const rtp = await bindSocket(request, 0);
    const port = rtp.address().port;
    const rtcp = port % 2 === 0 && port < 0xffff ? await tryBind(request, port + 1) : undefined;
    if (rtcp !== undefined) return { rtp, rtcp };
    await closeSocket(rtp);
  }
  return pairWith(request, await bindSocket(request, 0), 0);
}
