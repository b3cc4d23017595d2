// From what the probe saw to what each way of training needs and has: one row per framework (and
// per evaluation/generation path, disk, GPUs, isolation), each with the fix for what is missing.
import { parseNvidiaSmi } from '../backends/ssh/gpus';
import type { HostProbe } from './hostProbe';
import { hasVersion, type ProbedPackage, type ProbeReport } from './probeReport';
import { knownBadVersions, type KnownBad } from './versions';

export type RowStatus = 'ok' | 'limited' | 'unusable' | 'none';

export interface DoctorRow {
  name: string;
  needs: string;
  has: string;
  status: RowStatus;
  /** Why a row is limited or unusable. */
  problems: string[];
  fix?: string;
}

export interface DoctorReport {
  backend: string;
  /** The python stages would run with, when one imports torch. */
  python?: string;
  /** How the probe was run, when it is not the obvious way (e.g. SLURM: on the login host). */
  note?: string;
  rows: DoctorRow[];
  /** The framework a run uses unless train.framework says otherwise; doctor fails when it is unusable. */
  defaultFramework: string;
  usable: boolean;
}

export const DEFAULT_FRAMEWORK = 'hf';

interface Need {
  name: string;
  needs: readonly ProbedPackage[];
  /** A missing package makes the row limited, not unusable (a fallback exists). */
  optional?: string;
}

const FRAMEWORKS: readonly Need[] = [
  { name: 'micro', needs: [] },
  { name: 'hf', needs: ['transformers', 'peft', 'accelerate', 'datasets'] },
  { name: 'trl', needs: ['transformers', 'peft', 'accelerate', 'datasets', 'trl'] },
  { name: 'llamafactory', needs: ['transformers', 'peft', 'accelerate', 'datasets', 'trl', 'llamafactory'] },
  { name: 'lm-eval evaluation', needs: ['transformers', 'lm_eval'] },
  { name: 'vllm generation', needs: ['vllm'], optional: 'evaluation generates with transformers instead' },
];

const PIP_NAME: Partial<Record<ProbedPackage, string>> = { lm_eval: 'lm-eval' };

function version(report: ProbeReport, pkg: ProbedPackage): string | undefined {
  const p = report.packages[pkg];
  return hasVersion(p) ? p.version : undefined;
}

function gpuCount(report: ProbeReport): number {
  if (!report.nvidiaSmi || report.nvidiaSmi.rc !== 0) return 0;
  try {
    return parseNvidiaSmi(report.nvidiaSmi.out).length;
  } catch {
    return 0;
  }
}

function frameworkRow(need: Need, report: ProbeReport, python: string, torchOk: boolean, bad: KnownBad[]): DoctorRow {
  const missing = need.needs.filter((p) => !version(report, p));
  const has = [torchOk ? 'torch' : '', ...need.needs.filter((p) => version(report, p)).map((p) => `${p} ${version(report, p)}`)].filter(Boolean).join(', ') || '—';
  const needs = ['torch', ...need.needs].join(', ');
  const problems = [...(torchOk ? [] : ['torch does not import']), ...missing.map((p) => `${p}: ${(report.packages[p] as { error: string }).error}`)];
  const mine = bad.filter((b) => need.needs.includes(b.package));
  const refusing = mine.filter((b) => b.scope === 'framework');
  problems.push(...mine.map((b) => (b.scope === 'framework' ? b.reason : `${b.scope}: ${b.reason}`)));
  const fixes = [
    ...(missing.length ? [`${python} -m pip install ${missing.map((p) => PIP_NAME[p] ?? p).join(' ')}${need.optional ? '' : ' (pinned versions: trainer/requirements.txt)'}`] : []),
    ...mine.map((b) => b.fix),
  ];
  let status: RowStatus = 'ok';
  if (!torchOk || refusing.length || (missing.length && !need.optional)) status = 'unusable';
  else if (missing.length || mine.length) status = 'limited';
  if (need.optional && missing.length && torchOk) problems.push(need.optional);
  return { name: need.name, needs, has, status, problems, fix: fixes.join('; ') || undefined };
}

export function assess(probe: HostProbe, backend: string, opts: { minFreeMb?: number; note?: string } = {}): DoctorReport {
  const rows: DoctorRow[] = [];
  const chosen = probe.chosen;
  const report = chosen?.report;
  const torchOk = !!report && hasVersion(report.torch);
  const python = torchOk ? chosen!.path : undefined;
  const tried = probe.attempts.map((a) => (a.found ? `${a.python}${a.report && !hasVersion(a.report.torch) ? ' (no torch)' : a.error ? ` (${a.error.slice(0, 80)})` : ''}` : `${a.python} (not found)`)).join(', ');
  rows.push({
    name: 'python',
    needs: 'python 3 that imports torch',
    has: report ? `${chosen!.path} (${report.python.version})` : '—',
    status: torchOk ? 'ok' : 'unusable',
    problems: torchOk ? [] : [`no python with torch (tried ${tried})`],
    fix: torchOk ? undefined : 'Run .ci/setup.sh (creates .venv-trainer), or pip install -r trainer/requirements.txt; or point TREX_PYTHON / compute.python at a python with torch.',
  });
  if (probe.missingTools.length) {
    rows.push({ name: 'shell tools', needs: 'bash tar setsid tail head df mkdir mv', has: `missing ${probe.missingTools.join(' ')}`, status: 'unusable', problems: probe.missingTools.map((t) => `'${t}' is missing`), fix: 'sudo apt-get install bash tar coreutils util-linux' });
  }
  if (!report) return { backend, note: opts.note, rows, defaultFramework: DEFAULT_FRAMEWORK, usable: false };
  const t = report.torch;
  const gpus = gpuCount(report);
  rows.push({
    name: 'torch device',
    needs: 'torch (a CUDA build for GPUs)',
    has: hasVersion(t) ? `torch ${t.version}, ${t.cudaAvailable ? `cuda × ${t.cudaDevices}` : t.mpsAvailable ? 'mps' : 'cpu'}` : t.error,
    status: !hasVersion(t) ? 'unusable' : gpus > 0 && t.cudaDevices === 0 ? 'limited' : 'ok',
    problems: hasVersion(t) && gpus > 0 && t.cudaDevices === 0 ? [`nvidia-smi lists ${gpus} GPU(s) but torch sees none`] : [],
    fix: hasVersion(t) && gpus > 0 && t.cudaDevices === 0 ? 'Install a CUDA build of PyTorch matching the driver (https://pytorch.org/get-started/locally/).' : undefined,
  });
  const smi = report.nvidiaSmi;
  rows.push({
    name: 'GPUs',
    needs: 'nvidia-smi (optional: CPU trains the tiny models)',
    has: !smi ? 'none (no nvidia-smi)' : smi.rc === 0 ? `${gpus} GPU(s)` : `nvidia-smi fails: ${smi.out.split('\n')[0].slice(0, 120)}`,
    status: smi && smi.rc !== 0 ? 'unusable' : gpus > 0 ? 'ok' : 'none',
    problems: smi && smi.rc !== 0 ? ['nvidia-smi is installed but fails'] : [],
    fix: smi && smi.rc !== 0 ? 'Check the NVIDIA driver (nvidia-smi must list the GPUs).' : undefined,
  });
  const minFree = opts.minFreeMb ?? 500;
  const d = report.disk;
  rows.push({
    name: 'disk',
    needs: `≥ ${minFree} MB free in the work dir`,
    has: hasVersion(d) ? `${d.freeMb} MB free in ${d.path}` : `${d.path}: ${d.error}`,
    status: hasVersion(d) && d.freeMb >= minFree ? 'ok' : 'unusable',
    problems: hasVersion(d) ? (d.freeMb >= minFree ? [] : [`only ${d.freeMb} MB free`]) : [d.error],
    fix: hasVersion(d) && d.freeMb >= minFree ? undefined : 'Free some disk space, or use a work dir on a bigger disk (compute.remote_dir).',
  });
  const iso = report.isolation;
  rows.push({
    name: 'isolation',
    needs: 'unshare -rn (user+net namespaces) or bwrap, for model-written commands',
    has: iso.unshare ? 'unshare' + (iso.bwrap ? ', bwrap' : '') : iso.bwrap ? 'bwrap' : 'none',
    status: iso.unshare || iso.bwrap ? 'ok' : 'none',
    problems: iso.unshare || iso.bwrap ? [] : ['model-written commands run unboxed'],
    fix: iso.unshare || iso.bwrap ? undefined : 'Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or install bubblewrap.',
  });
  const bad = knownBadVersions({ llamafactory: version(report, 'llamafactory'), trl: version(report, 'trl') }, gpus);
  const py = python ?? chosen!.path;
  for (const need of FRAMEWORKS) rows.push(frameworkRow(need, report, py, torchOk, bad));
  const main = rows.find((r) => r.name === DEFAULT_FRAMEWORK)!;
  const blocking = rows.filter((r) => ['python', 'shell tools', 'disk'].includes(r.name) && r.status === 'unusable');
  return { backend, python, note: opts.note, rows, defaultFramework: DEFAULT_FRAMEWORK, usable: main.status !== 'unusable' && blocking.length === 0 };
}
