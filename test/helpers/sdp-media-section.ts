/**
 * Cuts one media section out of an SDP that describes several (ffmpeg's `-sdp_file` with
 * two RTP outputs): the session part (up to the first m= line) plus the section whose
 * m= line names `port`, line endings kept as written.
 */
export function extractSdpMediaSection(sdp: string, kind: 'audio' | 'video', port: number): string {
  const lines = sdp.split(/(?<=\n)/);
  const firstMedia = lines.findIndex((l) => l.startsWith('m='));
  if (firstMedia < 0) throw new RangeError('sdp has no m= line');
  const start = lines.findIndex((l) => new RegExp(`^m=${kind} ${port} `).test(l));
  if (start < 0) throw new RangeError(`sdp has no m=${kind} line for port ${port}`);
  let end = lines.findIndex((l, i) => i > start && l.startsWith('m='));
  if (end < 0) end = lines.length;
  return [...lines.slice(0, firstMedia), ...lines.slice(start, end)].join('');
}
