import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventLog } from '../../../src/engine/store/eventLog';

interface Ev {
  seq: number;
  type: string;
  payload: string;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'trex-store-'));

test('events round-trip in order with contiguous sequence numbers', () => {
  const dir = tmp();
  const path = join(dir, 'tree.jsonl');
  const log = new EventLog<Ev>(path);
  log.open();
  for (let i = 0; i < 100; i++) log.append({ type: 'x', payload: `p${i}` });
  log.close();
  const again = new EventLog<Ev>(path);
  const { events, droppedTail } = again.open();
  assert.equal(droppedTail, false);
  assert.deepEqual(events.map((e) => e.seq), [...Array(100).keys()]);
  assert.equal(again.append({ type: 'x', payload: 'next' }).seq, 100);
  again.close();
  rmSync(dir, { recursive: true });
});

test('a torn last line is dropped on load and repaired by the next append', () => {
  const dir = tmp();
  const path = join(dir, 'tree.jsonl');
  writeFileSync(path, '{"seq":0,"type":"a","payload":""}\n{"seq":1,"type":"b","payl');
  const log = new EventLog<Ev>(path);
  const { events, droppedTail } = log.open();
  assert.equal(droppedTail, true);
  assert.equal(events.length, 1);
  log.append({ type: 'c', payload: '' });
  log.close();
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  assert.equal(JSON.parse(lines[1]).seq, 1);
  rmSync(dir, { recursive: true });
});

test('a corrupt line in the middle is reported by number and skipped', () => {
  const dir = tmp();
  const path = join(dir, 'tree.jsonl');
  writeFileSync(path, '{"seq":0,"type":"a","payload":""}\nnot json\n{"seq":1,"type":"b","payload":""}\n');
  const r = EventLog.read<Ev>(path);
  assert.deepEqual(r.badLines, [2]);
  assert.equal(r.events.length, 2);
  rmSync(dir, { recursive: true });
});

// A child process appends as fast as it can; we kill -9 it at random moments. Every time, the
// log must load with every complete event, contiguous sequence numbers, and accept new appends.
test('kill -9 during writes leaves a log that loads with every completed event', async () => {
  const dir = tmp();
  const path = join(dir, 'tree.jsonl');
  const writer = join(dir, 'writer.js');
  const modulePath = require.resolve('../../../src/engine/store/eventLog');
  writeFileSync(
    writer,
    `const { EventLog } = require(${JSON.stringify(modulePath)});
     const log = new EventLog(process.argv[2]); log.open();
     const big = 'x'.repeat(20000);
     process.stdout.write('ready\\n');
     for (let i = 0; ; i++) log.append({ type: 'w', payload: i % 7 === 0 ? big : String(i) });`,
  );
  let expectedSeq = 0;
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, [writer, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 30 + Math.random() * 120));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const log = new EventLog<Ev>(path);
    const { events } = log.open();
    assert.ok(events.length > expectedSeq, `round ${round}: the writer made progress`);
    events.forEach((e, i) => assert.equal(e.seq, i, `round ${round}: contiguous seq at ${i}`));
    for (const e of events) assert.ok(e.type === 'w' || e.type === 'check');
    log.append({ type: 'check', payload: String(round) });
    log.close();
    expectedSeq = events.length + 1;
  }
  // Simulate a crash that left half a line, as a power loss could.
  appendFileSync(path, '{"seq":99999,"ty');
  const r = EventLog.read<Ev>(path);
  assert.equal(r.droppedTail, true);
  assert.equal(r.badLines.length, 0);
  rmSync(dir, { recursive: true });
});
