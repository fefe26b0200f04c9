import { shortDigest } from '../../core/deploy/model-ref';
import type { DeploymentRecord } from '../../core/deploy/records';
import { DEPLOYMENT_MODEL_VERSION_LABEL } from '../../core/lineage/load-graph';

/** What a deployment shows for the model it serves: `digits-logreg v3`, or the digest when unlabelled. */
export function servedVersion(record: DeploymentRecord): { label: string; name?: string; version?: number } {
  const label = record.labels?.[DEPLOYMENT_MODEL_VERSION_LABEL];
  const at = label?.lastIndexOf('@') ?? -1;
  if (label && at > 0) {
    const name = label.slice(0, at);
    const version = Number(label.slice(at + 1));
    if (Number.isInteger(version) && version > 0) return { label: `${name} v${version}`, name, version };
  }
  return { label: `@${shortDigest(record.digest)}` };
}

/** A deployment name (a DNS label) proposed from a model name: `Digits_LogReg` → `digits-logreg`. */
export function suggestedDeploymentName(modelName: string): string {
  const label = modelName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return label || 'model';
}
