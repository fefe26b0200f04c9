import { z } from 'zod';
import { DeployError } from './errors';

/** Open Inference Protocol v2 tensors, requests and responses (the JSON/REST binding). */
export const DatatypeSchema = z.enum([
  'BOOL',
  'UINT8',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
]);

const TensorDataSchema = z.array(z.union([z.number(), z.string(), z.boolean(), z.array(z.unknown())]));

export const InferInputSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  datatype: DatatypeSchema,
  data: TensorDataSchema,
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const InferRequestSchema = z.object({
  id: z.string().optional(),
  inputs: z.array(InferInputSchema).min(1),
  outputs: z.array(z.object({ name: z.string() })).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type InferRequest = z.infer<typeof InferRequestSchema>;

export const InferOutputSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int()),
  datatype: DatatypeSchema,
  data: TensorDataSchema,
});

export const InferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string().optional(),
  outputs: z.array(InferOutputSchema),
});
export type InferResponse = z.infer<typeof InferResponseSchema>;

const ErrorBodySchema = z.object({ error: z.string() });

const requestTimeoutMs = 30_000;

function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** True once the server answers `/v2/health/ready` with 200; false while it is starting or unreachable. */
export async function isServerReady(endpoint: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const response = await fetch(new URL('/v2/health/ready', endpoint), { signal: withTimeout(signal, 2_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch (error) {
    if (signal?.aborted) throw error;
    return false;
  }
}

/** Sends one inference request; a 4xx/5xx answer becomes a DeployError carrying the server's own message. */
export async function sendInferRequest(
  endpoint: string,
  modelName: string,
  request: InferRequest,
  signal?: AbortSignal,
  token?: string,
): Promise<InferResponse> {
  const body = InferRequestSchema.parse(request);
  const url = new URL(`/v2/models/${encodeURIComponent(modelName)}/infer`, endpoint);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: withTimeout(signal, requestTimeoutMs),
    });
  } catch (error) {
    if (signal?.aborted) throw new DeployError('aborted', 'the test request was cancelled', [], { cause: error });
    throw new DeployError('target-unreachable', `cannot reach ${url.origin}: ${String(error)}`, [], { cause: error });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DeployError('target-error', `${url.href} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const parsed = ErrorBodySchema.safeParse(json);
    const detail = parsed.success ? parsed.data.error : text.slice(0, 500);
    if (response.status === 401) {
      throw new DeployError(
        'auth-refused',
        token
          ? 'the model server refused the serving token: set the token this deployment was started with'
          : 'the model server asks for a serving token: set one, then send the request again',
      );
    }
    const reason = response.status >= 400 && response.status < 500 ? 'invalid-request' : 'target-error';
    throw new DeployError(reason, `the model server answered ${response.status}: ${detail}`);
  }
  const parsed = InferResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeployError(
      'target-error',
      `the model server's answer is not an inference response: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
