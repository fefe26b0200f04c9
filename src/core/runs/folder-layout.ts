/**
 * Names and version of the run-folder protocol, without the schemas: the launcher's start path
 * imports only these, so starting a run does not pay for building every zod schema (~60 ms on a
 * slow machine). protocol.ts re-exports them beside the schemas.
 */

export const PROTOCOL_VERSION = 1;

export const RUNS_DIR = 'runs';
export const TRACKSIDE_DIR = '.trackside';

export const RunFile = {
  run: 'run.json',
  events: 'events.jsonl',
  output: 'output.log',
  patch: 'git.patch',
  status: 'status.json',
} as const;
