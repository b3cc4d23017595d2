// Remote output is validated at the boundary: nvidia-smi lines, preflight reports, tar streams.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GpuLeases, parseNvidiaSmi } from '../../../../src/engine/backends/ssh/gpus';
import { parsePreflight } from '../../../../src/engine/backends/ssh/preflight';
import { LAUNCH_SH } from '../../../../src/engine/backends/jobScripts';
import { packTar, unpackTar } from '../../../../src/engine/backends/ssh/tar';

test('nvidia-smi output is parsed (with or without units) and anything else is refused', () => {
  assert.deepEqual(parseNvidiaSmi('0, 1234 MiB, 81559 MiB\n1, 3 MiB, 81559 MiB\n'), [
    { index: 0, memoryUsedMb: 1234, memoryTotalMb: 81559 },
    { index: 1, memoryUsedMb: 3, memoryTotalMb: 81559 },
  ]);
  assert.deepEqual(parseNvidiaSmi('2, [N/A], 16384\n')[0].index, 2);
  assert.ok(Number.isNaN(parseNvidiaSmi('2, [N/A], 16384\n')[0].memoryUsedMb));
  assert.deepEqual(parseNvidiaSmi(''), []);
  assert.throws(() => parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver'), /unexpected nvidia-smi line/);
});

test('GPU leases: one stage per GPU, least used first, shared per host, released on exit', () => {
  const a = GpuLeases.forHost('u@h:22');
  assert.equal(GpuLeases.forHost('u@h:22'), a);
  a.setInventory([
    { index: 0, memoryUsedMb: 5000, memoryTotalMb: 8000 },
    { index: 1, memoryUsedMb: 10, memoryTotalMb: 8000 },
  ]);
  assert.equal(a.count, 2);
  assert.equal(a.acquire('/r/n1'), 1, 'the idle GPU first');
  assert.equal(a.acquire('/r/n1'), 1, 'asking again keeps the lease');
  assert.equal(a.acquire('/r/n2'), 0);
  a.release('/r/n1');
  assert.equal(a.acquire('/r/n3'), 1);
  a.adopt('/r/n4', 0);
  assert.equal(a.holder('/r/n4'), 0);
  assert.equal(GpuLeases.forHost('u@other:22').acquire('/r/x'), undefined, 'no GPU: no CUDA_VISIBLE_DEVICES');
});

/** One probe line as trex_probe.py prints it (trainer/trex_probe.py), for the python at `path`. */
function probeLine(path: string, rc: number, over: { torch?: object; free_mb?: number; nvidia_smi?: object | null } = {}): string {
  const packages = Object.fromEntries(['transformers', 'peft', 'trl', 'llamafactory', 'datasets', 'accelerate', 'lm_eval', 'vllm'].map((p) => [p, { error: 'not installed' }]));
  const report = {
    probe: 1,
    python: { executable: path, version: '3.11.2' },
    torch: over.torch ?? { version: '2.1.0', cuda_available: true, cuda_devices: 2, mps_available: false },
    packages,
    disk: { path: '/r', free_mb: over.free_mb ?? 102400 },
    nvidia_smi: over.nvidia_smi === undefined ? null : over.nvidia_smi,
    isolation: { unshare: false, bwrap: false },
  };
  return `probe\t${path}\t${rc}\t${JSON.stringify(report)}\n`;
}

test('preflight output: a good host, missing pieces with fixes, and garbage refused', () => {
  const ok = parsePreflight(probeLine('/usr/bin/python3', 0, { nvidia_smi: { rc: 0, out: '0, 10 MiB, 81559 MiB\n1, 10 MiB, 81559 MiB\n' } }) + 'end\n', ['python3'], 500, '/r');
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.python?.torch, '2.1.0');
  assert.equal(ok.python?.path, '/usr/bin/python3');
  assert.equal(ok.gpus.length, 2);
  assert.equal(ok.freeMb, 102400);
  const h100 = parsePreflight(probeLine('/opt/torch/.venv/bin/python3', 0, { torch: { version: '2.11.0+cu130', cuda_available: true, cuda_devices: 1, mps_available: false }, nvidia_smi: { rc: 0, out: '0, 0 MiB, 81559 MiB\n' } }) + 'end\n', ['python3'], 500, '/r');
  assert.deepEqual(h100.problems, []);
  assert.deepEqual(h100.gpus, [{ index: 0, memoryUsedMb: 0, memoryTotalMb: 81559 }]);
  assert.equal(h100.python?.cudaDevices, 1);
  const noTorch = probeLine('/usr/bin/python', 3, { torch: { error: "ModuleNotFoundError: No module named 'torch'" }, free_mb: 1, nvidia_smi: { rc: 9, out: 'NVIDIA-SMI has failed' } });
  const bad = parsePreflight(`missing\tsetsid\nnopython\tpython3\n${noTorch}end\n`, ['python3', 'python'], 500, '/r');
  const what = bad.problems.map((p) => p.what).join('\n');
  assert.match(what, /'setsid' is missing/);
  assert.match(what, /no Python with PyTorch .*'python3' not found.*No module named 'torch'/);
  assert.match(what, /only 1 MB free in \/r/);
  assert.match(what, /nvidia-smi is installed but fails/);
  assert.ok(bad.problems.every((p) => p.fix.length > 10), 'each problem says how to fix it');
  const blind = parsePreflight(probeLine('/p', 0, { torch: { version: '2.1.0', cuda_available: false, cuda_devices: 0, mps_available: false }, nvidia_smi: { rc: 0, out: '0, 1, 2\n' } }) + 'end\n', ['p'], 500, '/r');
  assert.match(blind.problems[0].what, /torch .* sees none/);
  assert.throws(() => parsePreflight('Welcome to the cluster!\nend\n', ['p'], 1, '/r'), /unexpected probe output/);
  assert.throws(() => parsePreflight(probeLine('/p', 0), ['p'], 1, '/r'), /incomplete/);
  assert.throws(() => parsePreflight('probe\t/p\t0\t{"probe": 1, "python": {}}\nend\n', ['p'], 1, '/r'), /python\.executable is not a string/);
});

test('tar: our archives extract with GNU tar, GNU tar archives (pax, long names) read back, checksums checked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-tar-'));
  try {
    const long = `deep/${'d'.repeat(120)}/fïle with 'quotes' and $(x).txt`;
    writeFileSync(join(dir, 'ours.tar'), packTar([{ name: 'a/b.txt', data: Buffer.from('hello\n') }, { name: long, data: Buffer.alloc(5000, 7), mode: 0o755 }]));
    spawnSync('mkdir', ['-p', join(dir, 'x')]);
    assert.equal(spawnSync('tar', ['-xf', join(dir, 'ours.tar'), '-C', join(dir, 'x')]).status, 0);
    assert.equal(readFileSync(join(dir, 'x', 'a/b.txt'), 'utf8'), 'hello\n');
    assert.equal(readFileSync(join(dir, 'x', long)).length, 5000);
    assert.equal(spawnSync('tar', ['--format=pax', '-cf', join(dir, 'theirs.tar'), '-C', join(dir, 'x'), 'a', 'deep']).status, 0);
    const entries = unpackTar(readFileSync(join(dir, 'theirs.tar')));
    const files = entries.filter((e) => e.type === 'file');
    assert.deepEqual(files.map((f) => f.name).sort(), ['a/b.txt', long].sort());
    assert.equal(files.find((f) => f.name === long)?.mode, 0o755);
    const corrupt = readFileSync(join(dir, 'theirs.tar'));
    corrupt[10] ^= 0xff;
    assert.throws(() => unpackTar(corrupt), /checksum/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the launch script we upload (LAUNCH_SH) passes the command (env and all) to the wrapper intact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-launch-'));
  try {
    const r = spawnSync('bash', ['-c', LAUNCH_SH, 'launch', join(dir, 'run'), dir, 'env', 'A=1 2', 'bash', '-c', 'echo "[$A]"'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (let i = 0; i < 100 && spawnSync('test', ['-f', join(dir, 'run', 'exit_code')]).status !== 0; i++) spawnSync('sleep', ['0.05']);
    assert.equal(readFileSync(join(dir, 'run', 'output.log'), 'utf8'), '[1 2]\n');
    assert.equal(readFileSync(join(dir, 'run', 'exit_code'), 'utf8').trim(), '0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
