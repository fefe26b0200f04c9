import { constants } from 'node:os';
import type { RunStatusValue } from './protocol';

/** How a run ended, as status.json records it and as the launcher's own exit code reports it. */
export interface RunOutcome {
  status: RunStatusValue;
  /** The process's code, or 128 + signal number when a signal ended it (the shell convention). */
  exitCode: number;
  signal: NodeJS.Signals | null;
  message: string;
}

export function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

/**
 * `interruptedBy` is the signal the launcher forwarded (Ctrl-C, SIGTERM): a run stopped on
 * request is killed, even when the script caught the interrupt and exited cleanly.
 */
export function outcomeOf(
  code: number | null,
  signal: NodeJS.Signals | null,
  interruptedBy: NodeJS.Signals | null,
  lastErrorLine: string | null,
): RunOutcome {
  const exitCode = signal ? 128 + signalNumber(signal) : (code ?? 1);
  if (interruptedBy) {
    const how = interruptedBy === 'SIGINT' ? 'stopped by Ctrl-C' : `stopped by ${interruptedBy}`;
    const detail = signal ? ` (ended by ${signal})` : ` (exit code ${exitCode})`;
    return { status: 'killed', exitCode, signal, message: `${how}${detail}` };
  }
  if (signal) return { status: 'killed', exitCode, signal, message: `killed by ${signal}` };
  if (code === 0) return { status: 'finished', exitCode: 0, signal: null, message: 'exited with code 0' };
  const reason = lastErrorLine ? `: ${lastErrorLine}` : '';
  return { status: 'failed', exitCode, signal: null, message: `exited with code ${exitCode}${reason}` };
}
