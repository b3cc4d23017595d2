// `trex doctor` through the bundled CLI: on this machine's trainer venv (hf, trl, llamafactory
// usable, versions as the real packages tell them) and over a real loopback sshd (same report).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DoctorReport } from '../../../src/engine/doctor';
import { ROOT, trex } from '../../helpers/cli';
import { SshdHarness, sshdAvailable } from '../backends/ssh/sshd';

const PYTHON = process.env.TREX_PYTHON ?? join(ROOT, '.venv-trainer', 'bin', 'python');
const noCli = existsSync(join(ROOT, 'dist', 'cli.js')) ? false : 'dist/cli.js is not built (node esbuild.mjs)';
const skipLocal = noCli || (existsSync(PYTHON) ? false : `no trainer venv at ${PYTHON}: run .ci/setup.sh (or set TREX_PYTHON)`);
const skipSsh = noCli || (sshdAvailable() ? false : 'OpenSSH server (/usr/sbin/sshd) is not installed');

/** Versions as the packages themselves report them (their modules / LLaMA-Factory's own VERSION constant). */
function realVersions(): Record<string, string> {
  const code = [
    'import json, re, importlib.util, transformers, peft, trl',
    'src = open(importlib.util.find_spec("llamafactory").submodule_search_locations[0] + "/extras/env.py").read()',
    'print(json.dumps({"transformers": transformers.__version__, "peft": peft.__version__, "trl": trl.__version__, "llamafactory": re.search(r\'VERSION = "([^"]+)"\', src).group(1)}))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
}

function doctorJson(args: string[], env: Record<string, string>): { code: number; report: DoctorReport } {
  const r = trex(['doctor', ...args, '--json'], env);
  assert.ok(r.stdout.trim().startsWith('{'), `doctor --json printed JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport };
}

const row = (r: DoctorReport, name: string) => {
  const found = r.rows.find((x) => x.name === name);
  assert.ok(found, `row ${name} in ${r.rows.map((x) => x.name).join(', ')}`);
  return found;
};

test('doctor --json on the trainer venv: hf, trl and llamafactory usable, with the packages\' own versions and the python it would use', { skip: skipLocal, timeout: 180_000 }, () => {
  const { code, report } = doctorJson([], { TREX_PYTHON: PYTHON });
  assert.equal(code, 0);
  assert.equal(report.backend, 'local');
  assert.equal(report.python, PYTHON);
  assert.equal(report.usable, true);
  const v = realVersions();
  for (const fw of ['hf', 'trl', 'llamafactory']) assert.equal(row(report, fw).status, 'ok', JSON.stringify(row(report, fw)));
  assert.match(row(report, 'hf').has, new RegExp(`transformers ${v.transformers}, peft ${v.peft}`));
  assert.match(row(report, 'trl').has, new RegExp(`trl ${v.trl}`));
  assert.match(row(report, 'llamafactory').has, new RegExp(`llamafactory ${v.llamafactory}`));
  assert.ok(['unshare', 'bwrap', 'unshare, bwrap', 'none'].includes(row(report, 'isolation').has));
  const unshareWorks = spawnSync('unshare', ['-rn', 'true']).status === 0;
  assert.equal(row(report, 'isolation').has.startsWith('unshare'), unshareWorks, 'isolation row agrees with `unshare -rn true`');
});

test('doctor prints a table of checks with what each needs and has, and says the default framework can train', { skip: skipLocal, timeout: 180_000 }, () => {
  const r = trex(['doctor'], { TREX_PYTHON: PYTHON });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], new RegExp(`trex doctor — local — python ${PYTHON.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.ok(lines.some((l) => /^\s+check\s+needs\s+has$/.test(l)), r.stdout);
  for (const name of ['python', 'torch device', 'GPUs', 'disk', 'isolation', 'micro', 'hf', 'trl', 'llamafactory', 'lm-eval evaluation', 'vllm generation']) {
    assert.ok(lines.some((l) => new RegExp(`^[✓~✗–]  ${name} `).test(l)), `a row for ${name}:\n${r.stdout}`);
  }
  assert.match(r.stdout, /^✓  hf .*transformers .*peft/m);
  assert.match(r.stdout, /The default framework \(hf\) can train here\./);
});

/** The system python, when it has torch but not the hf packages (Debian's python3-torch alone). */
function torchOnlyPython(): string | undefined {
  const py = '/usr/bin/python3';
  const r = spawnSync(py, ['-c', 'import importlib.util as u, torch; raise SystemExit(0 if u.find_spec("peft") is None else 1)']);
  return r.status === 0 ? py : undefined;
}

test('doctor exits 1 when the python it would use lacks what the default framework needs, and says how to fix it', { skip: noCli || (torchOnlyPython() ? false : 'no python here with torch but without peft'), timeout: 180_000 }, () => {
  const py = torchOnlyPython()!;
  const r = trex(['doctor'], { TREX_PYTHON: py });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^✗  hf /m);
  assert.ok(r.stdout.includes(`fix: ${py} -m pip install`), r.stdout);
  assert.match(r.stdout, /The default framework \(hf\) cannot train here/);
});

let h: SshdHarness | undefined;
before(async () => {
  if (!skipSsh) h = await SshdHarness.start();
});
after(async () => {
  await h?.cleanup();
});

test('doctor over ssh gives the same report shape as locally, and its exit status follows the default framework', { skip: skipSsh, timeout: 180_000 }, () => {
  const local = skipLocal ? undefined : doctorJson([], { TREX_PYTHON: PYTHON }).report;
  const { code, report } = doctorJson(['--backend', `ssh:${h!.host}`], { ...h!.env(), HOME: h!.dir });
  assert.equal(report.backend, `ssh:${h!.host}`);
  const hf = row(report, 'hf');
  assert.equal(code, report.usable ? 0 : 1, 'the exit status follows the default framework');
  if (!report.usable) assert.ok(hf.status === 'unusable' && hf.fix, JSON.stringify(hf));
  if (local) {
    assert.deepEqual(Object.keys(report).sort(), Object.keys(local).sort());
    assert.deepEqual(report.rows.map((x) => x.name), local.rows.map((x) => x.name));
    const keys = (o: object) => Object.keys(o).filter((k) => k !== 'fix').sort();
    for (const x of report.rows) assert.deepEqual(keys(x), keys(row(local, x.name)), x.name);
  }
  const text = trex(['doctor', '--backend', `ssh:${h!.host}`], { ...h!.env(), HOME: h!.dir });
  assert.equal(text.code, code);
  assert.match(text.stdout, new RegExp(`^trex doctor — ssh:${h!.host}`));
  assert.match(text.stdout, /^. {2}hf /m);
});
