/** Parsed SDP (RFC 8866), only what recording and processing need. (CONTRACT) */

export type RtpMap = {
  readonly payloadType: number;
  /** As written, e.g. "opus", "VP8", "H264", "rtx", "red", "ulpfec". */
  readonly encodingName: string;
  readonly clockRate: number;
  readonly channels: number | undefined;
};

export type SsrcAttribute = { readonly ssrc: number; readonly attribute: string; readonly value: string | undefined };

/** `a=ssrc-group:<semantics> <ssrc> …` (RFC 5576 §4.2), e.g. FID (RTX), FEC-FR (FlexFEC), SIM. */
export type SsrcGroup = { readonly semantics: string; readonly ssrcs: readonly number[] };

export type MediaDescription = {
  /** m= media type: "audio", "video", "application", ... */
  readonly media: string;
  readonly port: number;
  readonly protocol: string;
  /** Payload types in m= line order. */
  readonly formats: readonly number[];
  readonly rtpmaps: ReadonlyMap<number, RtpMap>;
  /** fmtp parameters per payload type, keys lower-cased. */
  readonly fmtps: ReadonlyMap<number, ReadonlyMap<string, string>>;
  readonly direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' | undefined;
  readonly mid: string | undefined;
  readonly ssrcs: readonly SsrcAttribute[];
  /** Every a= line as [name, value or undefined], in order. */
  readonly attributes: readonly (readonly [string, string | undefined])[];
  /** `a=ssrc-group` lines in order. Added after the contract; parseSdp always sets it. */
  readonly ssrcGroups?: readonly SsrcGroup[];
  /** Media-level `c=` value, e.g. "IN IP4 0.0.0.0". Added after the contract; parseSdp sets it when present. */
  readonly connection?: string;
};

export type SessionDescription = {
  readonly version: number;
  readonly origin: string | undefined;
  readonly sessionName: string | undefined;
  readonly connection: string | undefined;
  readonly media: readonly MediaDescription[];
  /** Session-level a= lines (before the first m=) as [name, value or undefined], in order.
   * Added after the contract; parseSdp always sets it. */
  readonly attributes?: readonly (readonly [string, string | undefined])[];
};

/** The codec a media section carries, resolved from its payload types (not text search). */
export type ResolvedCodec = {
  readonly payloadType: number;
  /** "opus" | "VP8" | "VP9" | "H264" | "AV1" (canonical case) or the encoding name as written. */
  readonly name: string;
  /** e.g. "audio/opus", "video/VP8". */
  readonly mimeType: string;
  readonly clockRate: number;
  readonly channels: number;
  readonly fmtp: ReadonlyMap<string, string>;
  /** RTX payload type → the payload type it repairs (apt). */
  readonly rtx: ReadonlyMap<number, number>;
  /** RED payload type, when offered for this codec. */
  readonly redPayloadType: number | undefined;
  /** ULPFEC / FlexFEC payload types (ignored by the pipeline, listed so they are not mistaken). */
  readonly fecPayloadTypes: readonly number[];
};
