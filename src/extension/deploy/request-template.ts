import { z } from 'zod';
import { DatatypeSchema, InferRequestSchema, type InferRequest } from '../../core/deploy/oip-client';
import type { DeploymentRecord } from '../../core/deploy/records';
import { servedVersion } from './deployment-labels';

import { formatTensorJson, parseCommentedJson } from './json-layout';
import { RefusedError } from '../refusal';

/** The model's own description of its inputs (`GET /v2/models/<name>`), as far as a request needs it. */
export const ModelMetadataSchema = z.object({
  inputs: z
    .array(z.object({ name: z.string().min(1), datatype: DatatypeSchema, shape: z.array(z.number().int()) }))
    .min(1),
});
export type TensorMetadata = z.infer<typeof ModelMetadataSchema>['inputs'][number];

/** What a request starts from when the server cannot describe its model. */
export const FALLBACK_INPUT: TensorMetadata = { name: 'input-0', datatype: 'FP64', shape: [-1, -1] };

/** One row of zeros per input: the smallest request of the right shape, for the user to fill in. */
export function sampleRequest(inputs: readonly TensorMetadata[]): InferRequest {
  return {
    inputs: inputs.map((input) => {
      // A variable dimension (-1) becomes 1: one row, and one feature when the model does not say how many.
      const shape = input.shape.length > 0 ? input.shape.map((d) => (d < 0 ? 1 : d)) : [1];
      const count = shape.reduce((a, b) => a * b, 1);
      const zero = input.datatype === 'BOOL' ? false : input.datatype === 'BYTES' ? '' : 0;
      return { name: input.name, shape, datatype: input.datatype, data: Array.from({ length: count }, () => zero) };
    }),
  };
}

/** The text of a new request document: what the model takes, then a request of that shape. */
export function requestDocumentText(record: DeploymentRecord, inputs: readonly TensorMetadata[]): string {
  const expected = inputs.map((i) => `${i.name} ${i.datatype} [${i.shape.join(', ')}]`).join(', ');
  return [
    `// Test request for ${record.name} on ${record.target} (${servedVersion(record).label}), Open Inference Protocol v2.`,
    `// The model takes: ${expected}. Put your values in "data" (row by row), then click Send above.`,
    formatTensorJson(sampleRequest(inputs)),
    '',
  ].join('\n');
}

/** The request in a document, checked against the Open Inference Protocol before it is sent. */
export function parseRequestDocument(text: string): InferRequest {
  let json: unknown;
  try {
    json = parseCommentedJson(text);
  } catch (error) {
    throw new RefusedError('bad-request', `The test request is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = InferRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
    throw new RefusedError('bad-request', `The test request is not an inference request: ${issues}`);
  }
  return parsed.data;
}
