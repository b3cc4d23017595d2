// Finding 4 of issue 16: fetch_url (publicOnly) refuses every spelling of a loopback or private
// address, IPv4-mapped IPv6 included, and checks the address it actually connects to (no DNS
// rebinding between a check and the fetch).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { checkedLookup, httpGet, isPrivateAddress, publicOnlyFetch } from '../../src/engine/llm/research/http';

async function loopbackServer(): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end('secret');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}

test('IPv4-mapped IPv6 and other loopback spellings never reach a loopback server', async () => {
  const { server, port, hits } = await loopbackServer();
  try {
    for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '127.1', '0x7f.0.0.1', '2130706433', '0177.0.0.1', '127.0.0.1', '[::1]', '0.0.0.0', '[::]', '[::127.0.0.1]', '[64:ff9b::7f00:1]', 'localhost', 'LOCALHOST.']) {
      await assert.rejects(
        httpGet(`http://${host}:${port}/`, { timeoutMs: 3000, maxBytes: 10_000, publicOnly: true }),
        /refusing/,
        host,
      );
    }
    assert.equal(hits(), 0);
    // Without publicOnly (user-configured endpoints) loopback still works.
    const ok = await httpGet(`http://127.0.0.1:${port}/`, { timeoutMs: 3000, maxBytes: 10_000 });
    assert.equal(ok.body, 'secret');
  } finally {
    server.close();
  }
});

test('the address is checked where the socket connects, not in a separate lookup', async () => {
  const { server, port, hits } = await loopbackServer();
  try {
    // A name (no literal pre-check possible) that resolves to loopback at connect time is refused.
    await assert.rejects(publicOnlyFetch(`http://localhost:${port}/`), (e: Error & { cause?: Error }) => /refusing/.test(e.cause?.message ?? e.message));
    assert.equal(hits(), 0);
  } finally {
    server.close();
  }
  await new Promise<void>((resolve) =>
    checkedLookup('localhost', { all: true }, (err) => {
      assert.ok(err && /refusing/.test(err.message));
      resolve();
    }),
  );
});

test('isPrivateAddress covers mapped, compatible, NAT64 and reserved forms', () => {
  for (const ip of ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a00:1', '::ffff:808:808', '0:0:0:0:0:ffff:7f00:1', '::127.0.0.1', '64:ff9b::a00:1', '2002:7f00:1::', 'fe80::1%eth0', 'ff02::1', '255.255.255.255', '100.64.0.1', 'not-an-ip'])
    assert.ok(isPrivateAddress(ip), ip);
  for (const ip of ['8.8.8.8', '140.82.112.3', '2606:4700::1111', '2a00:1450::1']) assert.ok(!isPrivateAddress(ip), ip);
});
