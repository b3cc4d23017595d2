// The probe's JSON (trainer/trex_probe.py), checked field by field at the boundary: it comes from
// another machine's python and its packages, so nothing in it is trusted by shape.
import { isPlainObject } from '../util/isPlainObject';
export const PROBED_PACKAGES = ['transformers', 'peft', 'trl', 'llamafactory', 'datasets', 'accelerate', 'lm_eval', 'vllm'] as const;
export type ProbedPackage = (typeof PROBED_PACKAGES)[number];

/** A package's version, or why there is none ("not installed", an import error). */
export type Installed = { version: string } | { error: string };

export interface CommandResult {
  rc: number;
  out: string;
}

export interface ProbeReport {
  python: { executable: string; version: string };
  torch: { version: string; cudaAvailable: boolean; cudaDevices: number; mpsAvailable: boolean } | { error: string };
  packages: Record<ProbedPackage, Installed>;
  disk: { path: string; freeMb: number } | { path: string; error: string };
  /** nvidia-smi's answer; absent when it is not installed. */
  nvidiaSmi?: CommandResult;
  isolation: { unshare: boolean; bwrap: boolean };
}

type Json = Record<string, unknown>;

function obj(v: unknown, where: string): Json {
  if (!isPlainObject(v)) throw new Error(`probe: ${where} is not an object`);
  return v as Json;
}

function str(o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`probe: ${where}.${key} is not a string`);
  return v;
}

function num(o: Json, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`probe: ${where}.${key} is not a number`);
  return v;
}

function bool(o: Json, key: string, where: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new Error(`probe: ${where}.${key} is not a boolean`);
  return v;
}

function installed(v: unknown, where: string): Installed {
  const o = obj(v, where);
  return 'version' in o ? { version: str(o, 'version', where) } : { error: str(o, 'error', where) };
}

/** True when the probe found the thing (it has no `error`). */
export function hasVersion<T extends object>(x: T): x is Exclude<T, { error: string }> {
  return !('error' in x);
}

/** Parses one line of probe output; anything malformed is an error naming the field. */
export function parseProbeReport(text: string): ProbeReport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`probe: not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const o = obj(raw, 'report');
  if (o.probe !== 1) throw new Error(`probe: unknown report version ${JSON.stringify(o.probe)}`);
  const pyObj = obj(o.python, 'python');
  const python = { executable: str(pyObj, 'executable', 'python'), version: str(pyObj, 'version', 'python') };
  const t = obj(o.torch, 'torch');
  const torch: ProbeReport['torch'] =
    'version' in t
      ? { version: str(t, 'version', 'torch'), cudaAvailable: bool(t, 'cuda_available', 'torch'), cudaDevices: num(t, 'cuda_devices', 'torch'), mpsAvailable: bool(t, 'mps_available', 'torch') }
      : { error: str(t, 'error', 'torch') };
  const p = obj(o.packages, 'packages');
  const packages = Object.fromEntries(PROBED_PACKAGES.map((name) => [name, installed(p[name], `packages.${name}`)])) as Record<ProbedPackage, Installed>;
  const d = obj(o.disk, 'disk');
  const disk: ProbeReport['disk'] = 'free_mb' in d ? { path: str(d, 'path', 'disk'), freeMb: num(d, 'free_mb', 'disk') } : { path: str(d, 'path', 'disk'), error: str(d, 'error', 'disk') };
  let nvidiaSmi: CommandResult | undefined;
  if (o.nvidia_smi !== null && o.nvidia_smi !== undefined) {
    const n = obj(o.nvidia_smi, 'nvidia_smi');
    nvidiaSmi = { rc: num(n, 'rc', 'nvidia_smi'), out: str(n, 'out', 'nvidia_smi') };
  }
  const iso = obj(o.isolation, 'isolation');
  return {
    python,
    torch,
    packages,
    disk,
    nvidiaSmi,
    isolation: { unshare: bool(iso, 'unshare', 'isolation'), bwrap: bool(iso, 'bwrap', 'isolation') },
  };
}
