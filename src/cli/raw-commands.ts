/**
 * `tapedeck raw …`: argument parsing and output only; the work is in src/raw.
 * Flags and defaults follow the public reference tool for this archive format.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ERROR_CATALOG, TapedeckError, type ErrorCode } from '../errors.js';
import { renderTrackList, type ListFormat } from '../raw/list-tracks.js';
import { openCall, type RawInput, type TrackFilter } from '../raw/open-call.js';
import {
  extractAudio,
  extractVideo,
  mixAudio,
  muxAv,
  processAll,
  type RawOperationOptions,
} from '../raw/operations.js';
import type { RawReport } from '../raw/report.js';
import type { CliIo } from './io.js';
import { ProgressDisplay } from './progress.js';

type CommonFlags = {
  inputFile?: string;
  inputDir?: string;
  inputS3?: string;
  cacheDir?: string;
  s3Endpoint?: string;
  userId?: string;
  sessionId?: string;
  trackId?: string;
};

type OutputFlags = CommonFlags & {
  output: string;
  json?: boolean;
  container: 'mkv' | 'webm';
  fillGaps: boolean;
  fixDtx: boolean;
  media: 'user' | 'display' | 'both';
  concurrency?: string;
};

function parseBool(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected true or false'); // commander names the option and the value
}

function inputOf(flags: CommonFlags): RawInput {
  const given = [
    flags.inputFile !== undefined ? ({ file: flags.inputFile } as const) : undefined,
    flags.inputDir !== undefined ? ({ dir: flags.inputDir } as const) : undefined,
    flags.inputS3 !== undefined ? ({ remote: flags.inputS3 } as const) : undefined,
  ].filter((x) => x !== undefined);
  if (given.length !== 1) {
    throw new TapedeckError('INVALID_ARGUMENT', 'give exactly one of --input-file, --input-dir, --input-s3');
  }
  return given[0] as RawInput;
}

function filterOf(flags: CommonFlags): TrackFilter {
  const set = (['userId', 'sessionId', 'trackId'] as const).filter((k) => flags[k] !== undefined);
  if (set.length > 1) {
    throw new TapedeckError('INVALID_ARGUMENT', '--user-id, --session-id and --track-id are mutually exclusive');
  }
  return { userId: flags.userId, sessionId: flags.sessionId, trackId: flags.trackId };
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--input-file <path>', 'raw recording archive (.zip, .tar.gz, .tgz)')
    .option('--input-dir <path>', 'directory holding an extracted raw recording')
    .option('--input-s3 <url>', 'remote archive: s3://bucket/key or a presigned https URL')
    .option('--cache-dir <path>', 'cache for remote inputs (default ~/.cache/tapedeck)')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for --input-s3 (default AWS)')
    .option('--user-id <id>', 'only this participant')
    .option('--session-id <id>', 'only this participant session')
    .option('--track-id <id>', 'only this track');
}

function addOutput(cmd: Command, extra: { gaps?: boolean; dtx?: boolean; media?: boolean } = {}): Command {
  addCommon(cmd)
    .requiredOption('--output <dir>', 'directory for the output files')
    .option('--json', 'print a machine-readable report of what was written')
    .addOption(new Option('--container <kind>', 'output container').choices(['mkv', 'webm']).default('mkv'))
    .option('--concurrency <n>', 'outputs written at once (default: CPUs, at most 4)');
  if (extra.gaps !== false) {
    cmd.option('--fill-gaps [bool]', 'fill gaps with silence / black frames', parseBool, true);
    cmd.option('--no-fill-gaps', 'leave gaps between segments empty');
  }
  if (extra.dtx) {
    cmd.option('--fix-dtx [bool]', 'fill Opus DTX silences', parseBool, true);
    cmd.option('--no-fix-dtx', 'leave Opus DTX silences as gaps');
  }
  if (extra.media) {
    cmd.addOption(
      new Option('--media <which>', 'user (camera+mic), display (screenshare) or both')
        .choices(['user', 'display', 'both'])
        .default('both'),
    );
  }
  return cmd;
}

function operationOptions(flags: OutputFlags, io: CliIo, progress: ProgressDisplay): RawOperationOptions {
  const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new TapedeckError('INVALID_ARGUMENT', `--concurrency must be a positive integer, got "${flags.concurrency}"`);
  }
  return {
    input: inputOf(flags),
    filter: filterOf(flags),
    cacheDir: flags.cacheDir,
    s3Endpoint: flags.s3Endpoint,
    output: flags.output,
    container: flags.container,
    fillGaps: flags.fillGaps !== false,
    fixDtx: flags.fixDtx !== false,
    media: flags.media,
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    onProgress: (e) => progress.update(e.output, e.doneBytes, e.totalBytes),
  };
}

function printReport(report: RawReport, flags: OutputFlags, io: CliIo): number {
  if (flags.json) {
    io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    for (const o of report.outputs) {
      io.stdout.write(`wrote ${o.file} (${(o.durationMs / 1000).toFixed(2)} s)\n`);
    }
    if (report.outputs.length === 0 && report.failures.length === 0) io.stdout.write('No tracks found.\n');
  }
  for (const f of report.failures) io.stderr.write(`${f.code}: ${f.output}: ${f.message}\n`);
  if (report.failures.length === 0) return 0;
  const code = report.failures[0]?.code;
  return (code !== undefined && code in ERROR_CATALOG ? ERROR_CATALOG[code as ErrorCode].exitCode : 1) || 1;
}

export function registerRawCommands(program: Command, io: CliIo, state: { exitCode: number }): void {
  const raw = program.command('raw').description('process raw recording archives into playable media');

  addCommon(raw.command('list-tracks').description('list the participants, sessions and tracks of a recording'))
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'users', 'sessions', 'tracks'])
        .default('table'),
    )
    .addOption(new Option('--track-type <kind>', 'only audio or video tracks').choices(['audio', 'video']))
    .action(async (flags: CommonFlags & { format: ListFormat; trackType?: 'audio' | 'video' }) => {
      const call = await openCall({
        input: inputOf(flags),
        filter: filterOf(flags),
        cacheDir: flags.cacheDir,
        s3Endpoint: flags.s3Endpoint,
        signal: io.signal,
      });
      try {
        const tracks = call.tracks.filter((t) => flags.trackType === undefined || t.kind === flags.trackType);
        io.stdout.write(renderTrackList(call.model, tracks, flags.format));
      } finally {
        await call.close();
      }
    });

  const operations = [
    ['extract-audio', 'write each audio track to its own file', extractAudio, { dtx: true }],
    ['extract-video', 'write each video track to its own file', extractVideo, {}],
    ['mux-av', 'mux each participant\'s audio and video together, in sync', muxAv, { dtx: true, media: true }],
    ['mix-audio', 'mix all participants\' audio into one MP3 on the call timeline', mixAudio, { gaps: false, dtx: true }],
    ['process-all', 'extract every track, mux every pair, and mix the call', processAll, { dtx: true }],
  ] as const;
  for (const [name, description, operation, extra] of operations) {
    addOutput(raw.command(name).description(description), extra).action(async (flags: OutputFlags) => {
      const progress = new ProgressDisplay(io.stderr, !flags.json);
      try {
        const report = await operation(operationOptions(flags, io, progress));
        progress.stop();
        state.exitCode = printReport(report, flags, io);
      } catch (error) {
        progress.stop();
        throw error;
      }
    });
  }
}

