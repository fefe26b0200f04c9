import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { writeJsonAtomic } from '../runs/atomic-write';
import { TRACKSIDE_DIR } from '../runs/protocol';
import {
  DEPLOYMENTS_DIR,
  DeploymentRecordSchema,
  isActive,
  type DeploymentRecord,
  type DeploymentStatus,
} from './records';

const nextId = monotonicFactory();

export interface StoreListing {
  records: DeploymentRecord[];
  /** Files that could not be read or did not match the schema (left alone, not deleted). */
  skipped: string[];
}

/**
 * Deployment records as JSON files, `<workspace>/.trackside/deployments/<id>.json`. Each record is
 * rewritten whole by atomic rename, so a reader never sees half a record.
 */
export class DeploymentStore {
  readonly dir: string;

  constructor(workspaceRoot: string) {
    this.dir = join(workspaceRoot, TRACKSIDE_DIR, DEPLOYMENTS_DIR);
  }

  newId(now = Date.now()): string {
    return nextId(now);
  }

  async save(record: DeploymentRecord): Promise<DeploymentRecord> {
    const valid = DeploymentRecordSchema.parse(record);
    mkdirSync(this.dir, { recursive: true });
    await writeJsonAtomic(join(this.dir, `${valid.id}.json`), valid);
    return valid;
  }

  /** Records a status change with its time, and saves. */
  async transition(
    record: DeploymentRecord,
    status: DeploymentStatus,
    changes: Partial<DeploymentRecord> = {},
    detail?: string,
  ): Promise<DeploymentRecord> {
    const at = new Date().toISOString();
    return this.save({
      ...record,
      ...changes,
      status,
      updatedAt: at,
      events: [...record.events, { at, status, ...(detail ? { detail } : {}) }],
    });
  }

  /** Every record, oldest first. */
  list(): StoreListing {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    } catch {
      return { records: [], skipped: [] };
    }
    const records: DeploymentRecord[] = [];
    const skipped: string[] = [];
    for (const name of names.sort()) {
      try {
        const parsed = DeploymentRecordSchema.safeParse(JSON.parse(readFileSync(join(this.dir, name), 'utf8')));
        if (parsed.success) records.push(parsed.data);
        else skipped.push(name);
      } catch {
        skipped.push(name);
      }
    }
    return { records, skipped };
  }

  get(id: string): DeploymentRecord | undefined {
    return this.list().records.find((r) => r.id === id);
  }

  /** The records of one name on one target, oldest first. */
  history(target: string, name: string): DeploymentRecord[] {
    return this.list().records.filter((r) => r.target === target && r.name === name);
  }

  /** The newest record that may have something running under this name, if any. */
  current(target: string, name: string): DeploymentRecord | undefined {
    return this.history(target, name)
      .reverse()
      .find((r) => isActive(r.status));
  }

  /** The newest record per (target, name): what a Deployments view lists. */
  latestPerName(): DeploymentRecord[] {
    const latest = new Map<string, DeploymentRecord>();
    for (const record of this.list().records) latest.set(`${record.target}\u0000${record.name}`, record);
    return [...latest.values()];
  }
}
