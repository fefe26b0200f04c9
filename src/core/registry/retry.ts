import { PushCancelledError, RegistryError } from './errors';

/** How often and how patiently dropped connections and 5xx answers are retried. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 15_000 };

/** Exponential backoff with ±20 % jitter, so clients cut off together do not return together. */
export function backoffDelay(policy: RetryPolicy, failures: number, random = Math.random): number {
  const plain = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(plain * (0.8 + 0.4 * random()));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PushCancelledError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new PushCancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function isRetryable(error: unknown): boolean {
  return error instanceof RegistryError && error.retryable;
}

/** Runs `fn` until it succeeds, fails for good, or the policy's attempts are used up. */
export async function withRetry<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isRetryable(error) || attempt >= policy.attempts) throw error;
      await sleep(backoffDelay(policy, attempt), signal);
    }
  }
}
