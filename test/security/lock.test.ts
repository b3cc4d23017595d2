// Finding 9 of issue 16: the experiment lock is atomic. Eight processes acquiring at once leave
// exactly one holder, every time; a dead or reused pid is stale; a just-created empty lock is not.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExperimentLock, processStartTime } from '../../src/engine/lock';

const LOCK_JS = join(__dirname, '..', '..', 'src', 'engine', 'lock.js');

function contender(dir: string, startAt: number): { answer: Promise<string>; done: () => Promise<void> } {
  const script = `
    const { ExperimentLock } = require(${JSON.stringify(LOCK_JS)});
    const lock = new ExperimentLock(${JSON.stringify(dir)});
    while (Date.now() < ${startAt}) {}
    let out;
    try { lock.acquire(); out = 'got'; } catch (e) { out = 'busy'; }
    process.stdout.write(out + '\\n');
    // Hold until every contender has answered (the parent closes stdin), so a late starter never
    // sees a lock released in the meantime.
    process.stdin.resume();
    process.stdin.on('end', () => { lock.release(); process.exit(0); });`;
  const p = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answer = new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    p.on('error', reject);
    p.on('exit', () => resolve(out.trim()));
  });
  return { answer, done: () => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.on('exit', () => r()), p.stdin.end()))) };
}

test('8 processes acquiring at once: exactly one holder, 10 times out of 10', async () => {
  for (let trial = 0; trial < 10; trial++) {
    const dir = mkdtempSync(join(tmpdir(), 'trex-sec-lock-'));
    const startAt = Date.now() + 700;
    const procs = Array.from({ length: 8 }, () => contender(dir, startAt));
    const results = await Promise.all(procs.map((p) => p.answer));
    await Promise.all(procs.map((p) => p.done()));
    assert.equal(results.filter((r) => r === 'got').length, 1, `trial ${trial}: ${results.join(',')}`);
    assert.equal(results.filter((r) => r === 'busy').length, 7);
  }
});

test('a just-created empty lock is held, an old empty one and a dead pid are stale', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-sec-lock-'));
  mkdirSync(join(dir, '.trex'));
  const path = join(dir, '.trex', 'search.lock');
  writeFileSync(path, '');
  const lock = new ExperimentLock(dir);
  assert.throws(() => lock.acquire(), /already/);
  const old = new Date(Date.now() - 60_000);
  utimesSync(path, old, old);
  lock.acquire();
  lock.release();
  writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 12345, start: '1' }));
  lock.acquire();
  assert.equal(new ExperimentLock(dir).holder(), process.pid);
  lock.release();
});

test('a live pid with another start time (reused pid) is stale', { skip: processStartTime(process.pid) === null }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-sec-lock-'));
  mkdirSync(join(dir, '.trex'));
  writeFileSync(join(dir, '.trex', 'search.lock'), JSON.stringify({ pid: process.ppid, start: '1' }));
  const lock = new ExperimentLock(dir);
  lock.acquire();
  lock.release();
  writeFileSync(join(dir, '.trex', 'search.lock'), JSON.stringify({ pid: process.ppid, start: processStartTime(process.ppid) }));
  assert.throws(() => lock.acquire(), /already running .*pid/);
});
