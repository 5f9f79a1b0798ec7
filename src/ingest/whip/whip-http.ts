/**
 * The HTTP side of WHIP, free of any server framework, so routes stay thin:
 *
 * ```
 * POST <endpoint>        Content-Type: application/sdp, body = offer
 *   ◀ 201 Created        Content-Type: application/sdp, Location: <endpoint>/<id>, body = answer
 * DELETE <endpoint>/<id>
 *   ◀ 200 OK             (404 for an unknown or already ended session)
 * ```
 *
 * @see RFC 9725 §4.2 (ingest session setup), §4.3 (teardown)
 */
import { TapedeckError } from '../../errors.js';
import { WhipSession, type WhipSessionOptions } from './whip-session.js';

export const SDP_CONTENT_TYPE = 'application/sdp';

/** Live sessions by id, for DELETE (and for the server's shutdown). */
export class WhipSessionRegistry {
  readonly #sessions = new Map<string, WhipSession>();

  get size(): number {
    return this.#sessions.size;
  }

  get(id: string): WhipSession | undefined {
    return this.#sessions.get(id);
  }

  add(session: WhipSession): void {
    this.#sessions.set(session.id, session);
  }

  /** Removes and closes a session; false when the id is unknown. */
  async remove(id: string): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (session === undefined) return false;
    this.#sessions.delete(id);
    await session.close();
    return true;
  }

  /** Closes every session. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((id) => this.remove(id)));
  }
}

export type WhipPostOptions = Omit<WhipSessionOptions, 'offerSdp'> & {
  readonly registry: WhipSessionRegistry;
  /** The request's Content-Type header (parameters allowed). */
  readonly contentType: string | undefined;
  /** The resource URL prefix: Location is `${resourceBase}/${id}`, e.g. "/whip/default/c1". */
  readonly resourceBase: string;
};

export type WhipPostResult = {
  readonly status: 201;
  readonly contentType: typeof SDP_CONTENT_TYPE;
  readonly location: string;
  readonly answerSdp: string;
  readonly session: WhipSession;
};

/**
 * Creates a session for the offer and registers it. Throws TapedeckError
 * INVALID_ARGUMENT (400) when the Content-Type is not application/sdp, SDP_INVALID when
 * the offer is unusable (routes may answer 400 for both, as RFC 9725 §4.2 asks).
 */
export async function handleWhipPost(
  offerSdp: string,
  options: WhipPostOptions,
): Promise<WhipPostResult> {
  const { registry, contentType, resourceBase, ...sessionOptions } = options;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== SDP_CONTENT_TYPE) {
    throw new TapedeckError(
      'INVALID_ARGUMENT',
      `WHIP offers must be ${SDP_CONTENT_TYPE}, got ${contentType ?? 'none'}`,
    );
  }
  const session = await WhipSession.create({ ...sessionOptions, offerSdp });
  registry.add(session);
  return {
    status: 201,
    contentType: SDP_CONTENT_TYPE,
    location: `${resourceBase.replace(/\/+$/, '')}/${encodeURIComponent(session.id)}`,
    answerSdp: session.answerSdp,
    session,
  };
}

/** Ends a session: 200 when it existed, 404 otherwise. */
export async function handleWhipDelete(
  registry: WhipSessionRegistry,
  id: string,
): Promise<{ readonly status: 200 | 404 }> {
  return { status: (await registry.remove(id)) ? 200 : 404 };
}
