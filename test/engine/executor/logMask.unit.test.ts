// Stage logs are copied with secrets masked byte for byte, whatever the chunking, so the copy keeps
// the remote log's length (resume offsets) and no secret lands in nodes/<id>/logs/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogMask } from '../../../src/engine/executor/logMask';

const SECRET = 'tok-1234567890abcdef';
const LOG = Buffer.from(`step 1\nusing ${SECRET} now\nAuthorization: Bearer abcdefghijk123\nkey sk-ABCDEFGHIJKLMNOPQRSTUV end\n${SECRET}`);

function copy(chunkBytes: number): Buffer {
  const mask = new LogMask([SECRET]);
  const out: Buffer[] = [];
  for (let at = 0; at < LOG.length; at += chunkBytes) out.push(mask.push(LOG.subarray(at, at + chunkBytes)));
  out.push(mask.flush());
  return Buffer.concat(out);
}

test('every chunking gives the same masked copy, as long as the log, with no secret in it', () => {
  const whole = copy(LOG.length);
  assert.equal(whole.length, LOG.length);
  const text = whole.toString('utf8');
  assert.ok(!text.includes(SECRET) && !text.includes('abcdefghijk123') && !text.includes('sk-ABCDEF'), text);
  assert.ok(text.includes(`using ${'*'.repeat(SECRET.length)} now`), text);
  assert.ok(text.includes('Authorization: Bearer **************'), text);
  assert.ok(text.startsWith('step 1\n'));
  for (const size of [1, 2, 3, 5, 7, 13, 64]) assert.deepEqual(copy(size), whole, `chunks of ${size} bytes`);
});

test('an unfinished line waits for its end (a secret may still be arriving); finished lines are written at once', () => {
  const mask = new LogMask([SECRET]);
  assert.equal(mask.push(Buffer.from('abc tok-12')).length, 0);
  assert.equal(mask.push(Buffer.from('34567890abcdef!\nnext')).toString(), `abc ${'*'.repeat(SECRET.length)}!\n`);
  assert.equal(mask.push(Buffer.from(' 10%\r 20%')).toString(), 'next 10%\r', "a progress bar's carriage return ends a line");
  assert.equal(mask.flush().toString(), ' 20%');
});
