// Finding 11 of issue 16: a hostile remote's tar stream is an error, never an infinite loop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packTar, unpackTar } from '../../src/engine/backends/ssh/tar';

/** A valid ustar header block (type, size) whose checksum matches. */
function header(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}
function pax(records: string): Buffer[] {
  const body = Buffer.from(records, 'utf8');
  return [header('PaxHeader', body.length, 'x'), Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)])];
}
const rec = (k: string, v: string) => {
  const body = ` ${k}=${v}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
};

for (const size of ['-512', '-1', 'abc', '1e3', '99999999999999999999', '']) {
  test(`a pax size of ${JSON.stringify(size)} followed by another pax header is an error, not a loop`, () => {
    const buf = Buffer.concat([...pax(rec('size', size)), ...pax(rec('path', 'x')), header('f', 0, '0'), Buffer.alloc(1024)]);
    const t0 = Date.now();
    assert.throws(() => unpackTar(buf), /malformed|truncated/);
    assert.ok(Date.now() - t0 < 1000);
  });
}

test('a pax size applies to the next file, not to another pax header', () => {
  const data = Buffer.from('hello');
  const buf = Buffer.concat([
    ...pax(rec('size', '5')),
    ...pax(rec('path', 'long/name.txt')),
    header('f', 0, '0'),
    data,
    Buffer.alloc(512 - data.length),
    Buffer.alloc(1024),
  ]);
  const [e, ...rest] = unpackTar(buf);
  assert.equal(rest.length, 0);
  assert.equal(e.name, 'long/name.txt');
  assert.equal(e.data.toString(), 'hello');
});

test('archives written by packTar still round-trip', () => {
  const name = 'a/'.repeat(60) + 'é.txt';
  const [e] = unpackTar(packTar([{ name, data: Buffer.from('x') }]));
  assert.equal(e.name, name);
});
