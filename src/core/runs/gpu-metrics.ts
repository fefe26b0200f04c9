import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * GPU readings from `nvidia-smi`, for the GPUs a run may use. Only the driver's own tool is
 * asked (no native binding): it prints one CSV line per GPU, and a field the GPU cannot report
 * reads `[N/A]` or `[Not Supported]`, which becomes "no value" rather than a zero.
 */

export const NVIDIA_SMI_QUERY = [
  '--query-gpu=index,uuid,utilization.gpu,memory.used,power.draw',
  '--format=csv,noheader,nounits',
];
const QUERY_TIMEOUT_MS = 4000;

export interface GpuReading {
  index: number;
  uuid: string;
  utilPercent: number | null;
  memoryMb: number | null;
  powerW: number | null;
}

/** The GPUs of `nvidia-smi --query-gpu=index,uuid,utilization.gpu,memory.used,power.draw --format=csv,noheader,nounits`. */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const readings: GpuReading[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length !== 5) continue;
    const [index, uuid = '', util, memory, power] = fields;
    if (!/^\d+$/.test(index ?? '')) continue;
    readings.push({
      index: Number(index),
      uuid,
      utilPercent: reported(util),
      memoryMb: reported(memory),
      powerW: reported(power),
    });
  }
  return readings;
}

function reported(field: string | undefined): number | null {
  if (field === undefined || !/^[-+]?\d+(?:\.\d+)?$/.test(field)) return null;
  return Number(field);
}

/**
 * The GPUs the run may use: those CUDA_VISIBLE_DEVICES names (by index or by UUID, a unique
 * prefix as CUDA accepts), else Slurm's SLURM_STEP_GPUS or SLURM_JOB_GPUS (indices), else all.
 * An empty CUDA_VISIBLE_DEVICES, `-1` or Slurm's `NoDevFiles` hide every GPU.
 */
export function gpusOfRun(readings: readonly GpuReading[], env: NodeJS.ProcessEnv): GpuReading[] {
  const list = env.CUDA_VISIBLE_DEVICES ?? env.SLURM_STEP_GPUS ?? env.SLURM_JOB_GPUS;
  if (list === undefined) return [...readings];
  const chosen: GpuReading[] = [];
  for (const entry of list.split(',').map((item) => item.trim())) {
    const gpu = /^\d+$/.test(entry)
      ? readings.find((reading) => reading.index === Number(entry))
      : entry.startsWith('GPU-')
        ? readings.find((reading) => reading.uuid.startsWith(entry))
        : undefined;
    // CUDA ignores every entry after the first it cannot use.
    if (!gpu) break;
    if (!chosen.includes(gpu)) chosen.push(gpu);
  }
  return chosen;
}

/** `sys/gpu<index>/…` values of one reading; fields the GPU does not report are left out. */
export function gpuMetricValues(gpu: GpuReading): Array<[string, number]> {
  const prefix = `sys/gpu${gpu.index}`;
  const values: Array<[string, number | null]> = [
    [`${prefix}/util_percent`, gpu.utilPercent],
    [`${prefix}/memory_mb`, gpu.memoryMb],
    [`${prefix}/power_w`, gpu.powerW],
  ];
  return values.filter((entry): entry is [string, number] => entry[1] !== null);
}

/** The path of `nvidia-smi` on the run's PATH, or null when there is none (no NVIDIA driver). */
export function findNvidiaSmi(env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'nvidia-smi');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** One query of every GPU; rejects when nvidia-smi fails or hangs. */
export function queryNvidiaSmi(path: string): Promise<GpuReading[]> {
  return new Promise((resolve, reject) => {
    execFile(path, NVIDIA_SMI_QUERY, { timeout: QUERY_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout) => {
      if (error) reject(error);
      else resolve(parseNvidiaSmiCsv(stdout));
    });
  });
}
