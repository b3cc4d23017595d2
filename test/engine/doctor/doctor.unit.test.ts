// The doctor's decisions on what it was told: known-bad versions and what each framework row
// concludes from a probe report (as trex_probe.py prints it), without installing old releases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assess, compareVersions, knownBadVersions, llamafactoryKnownBad, trlDpoKnownBad, trlKnownBad } from '../../../src/engine/doctor';
import { parseHostProbe } from '../../../src/engine/doctor/hostProbe';

test('versions compare by release number, ignoring local and dev suffixes', () => {
  assert.equal(compareVersions('0.9.10', '0.9.4'), 1);
  assert.equal(compareVersions('0.23', '0.23.0'), 0);
  assert.equal(compareVersions('2.11.0+cu130', '2.11.0'), 0);
  assert.equal(compareVersions('0.22.2', '0.23'), -1);
  assert.equal(compareVersions('0.29.0.dev0', '0.29'), 0);
});

test('LLaMA-Factory < 0.9.4 is refused for Qwen3 templates, with the reason and the fix', () => {
  const bad = llamafactoryKnownBad('0.9.3');
  assert.equal(bad?.scope, 'qwen3 templates');
  assert.match(bad!.reason, /0\.9\.3 < 0\.9\.4.*Qwen3/);
  assert.match(bad!.fix, /llamafactory>=0\.9\.4/);
  assert.equal(llamafactoryKnownBad('0.9.4'), undefined);
  assert.equal(llamafactoryKnownBad('0.9.5'), undefined);
});

test('TRL < 0.23 is refused (dtype ignored, fp32); multi-GPU DPO needs TRL ≥ 0.29', () => {
  assert.match(trlKnownBad('0.22.2')!.reason, /ignores dtype.*fp32/);
  assert.equal(trlKnownBad('0.22.2')!.scope, 'framework');
  assert.equal(trlKnownBad('0.23.0'), undefined);
  assert.match(trlDpoKnownBad('0.24.0', 2)!.reason, /ignores --num_processes/);
  assert.equal(trlDpoKnownBad('0.24.0', 1), undefined, 'one GPU: nothing to ignore');
  assert.equal(trlDpoKnownBad('0.29.0', 8), undefined);
  assert.deepEqual(knownBadVersions({ llamafactory: '0.9.5', trl: '0.24.0' }, 1), []);
  assert.deepEqual(knownBadVersions({ llamafactory: '0.9.2', trl: '0.20.0' }, 4).map((k) => k.scope), ['qwen3 templates', 'framework', 'multi-GPU DPO']);
});

function probeOutput(packages: Record<string, string | undefined>, gpus = 0): string {
  const pk = Object.fromEntries(['transformers', 'peft', 'trl', 'llamafactory', 'datasets', 'accelerate', 'lm_eval', 'vllm'].map((p) => [p, packages[p] ? { version: packages[p] } : { error: 'not installed' }]));
  const smi = gpus ? { rc: 0, out: Array.from({ length: gpus }, (_, i) => `${i}, 1 MiB, 81559 MiB`).join('\n') } : null;
  const report = { probe: 1, python: { executable: '/opt/py/bin/python', version: '3.11.2' }, torch: { version: '2.8.0', cuda_available: gpus > 0, cuda_devices: gpus, mps_available: false }, packages: pk, disk: { path: '/w', free_mb: 9000 }, nvidia_smi: smi, isolation: { unshare: false, bwrap: true } };
  return `probe\t/opt/py/bin/python\t0\t${JSON.stringify(report)}\nend\n`;
}

const GOOD = { transformers: '5.6.0', peft: '0.18.1', accelerate: '1.11.0', datasets: '4.0.0', trl: '0.24.0', llamafactory: '0.9.5', lm_eval: '0.4.13' };

test('an old TRL makes the trl and llamafactory rows unusable with the reason; hf stays usable', () => {
  const r = assess(parseHostProbe(probeOutput({ ...GOOD, trl: '0.22.0', llamafactory: '0.9.3' }, 2)), 'ssh:gpu');
  const row = (n: string) => r.rows.find((x) => x.name === n)!;
  assert.equal(row('trl').status, 'unusable');
  assert.match(row('trl').problems.join(' '), /TRL 0\.22\.0 < 0\.23 ignores dtype/);
  assert.match(row('trl').fix ?? '', /trl>=0\.23/);
  assert.match(row('llamafactory').problems.join(' '), /qwen3 templates: LLaMA-Factory 0\.9\.3 < 0\.9\.4/);
  assert.match(row('trl').problems.join(' '), /multi-GPU DPO/);
  assert.equal(row('hf').status, 'ok');
  assert.equal(row('isolation').has, 'bwrap');
  assert.equal(row('GPUs').has, '2 GPU(s)');
  assert.equal(r.python, '/opt/py/bin/python');
  assert.equal(r.usable, true);
});

test('a missing peft makes the default framework (hf) unusable, with the pip command for that python', () => {
  const r = assess(parseHostProbe(probeOutput({ ...GOOD, peft: undefined })), 'local');
  const hf = r.rows.find((x) => x.name === 'hf')!;
  assert.equal(hf.status, 'unusable');
  assert.match(hf.problems.join(' '), /peft: not installed/);
  assert.match(hf.fix ?? '', /^\/opt\/py\/bin\/python -m pip install peft/);
  assert.equal(r.usable, false);
  assert.equal(r.rows.find((x) => x.name === 'micro')!.status, 'ok', 'micro needs torch only');
});
