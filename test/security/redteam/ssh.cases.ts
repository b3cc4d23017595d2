// Cases over the loopback sshd: a remote stage gets no secret (environment, command file, logs),
// and the Executor's commands on a remote node are never arbitrary argv (no isolation there).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runJobToEnd } from '../../../src/engine/llm/executorAgent/jobs';
import { executorTools } from '../../../src/engine/llm/executorAgent/tools';
import { newExperiment, testConfig } from '../../engine/llm/helpers';
import { makeBackend } from '../../engine/backends/ssh/helpers';
import { SshdHarness, sshdAvailable } from '../../engine/backends/ssh/sshd';
import { assertNoSecret, assertNoSecretUnder, plantSecrets } from './common';
import { hostile } from './table';

const skip = sshdAvailable() ? false : 'OpenSSH server (/usr/sbin/sshd) is not installed';
let harness: Promise<SshdHarness> | undefined;
/** One sshd for all ssh cases, started on first use and stopped by the suite. */
export function sshd(): Promise<SshdHarness> {
  harness ??= SshdHarness.start();
  return harness;
}
export async function stopSshd(): Promise<void> {
  if (harness) await (await harness).cleanup();
}

hostile('over the loopback sshd', 'a remote stage that prints its environment sees no secret', async () => {
  const h = await sshd();
  const undo = plantSecrets();
  try {
    const exp = newExperiment();
    const remote = join(h.dir, `remote-redteam-${process.pid}`);
    const backend = makeBackend(h, exp.dir, remote);
    try {
      await backend.preflight();
      const r = await runJobToEnd(backend, { runDir: 'nodes/n0000/run/envdump', argv: ['bash', '-c', 'env; echo end'], env: { SOME_TOKEN: 'tok-redteam-suite-0007', OK_VAR: 'fine' }, inputs: [], outputs: [], label: 'n0000 envdump' }, 60_000);
      assert.equal(r.exitCode, 0, r.output);
      assert.match(r.output, /OK_VAR=fine/);
      assertNoSecret(r.output, 'the remote output');
      assert.ok(!r.output.includes('tok-redteam-suite-0007'));
      assertNoSecretUnder(remote); // the command file, the log, the run state on the host
      assertNoSecretUnder(exp.dir);
    } finally {
      await backend.close();
    }
  } finally {
    undo();
  }
}, skip);

hostile('over the loopback sshd', 'the Executor cannot run an interpreter on a remote node, even when allowed', async () => {
  const h = await sshd();
  const exp = newExperiment();
  const backend = makeBackend(h, exp.dir, join(h.dir, `remote-redteam-exec-${process.pid}`));
  try {
    const settings = { ...testConfig('http://127.0.0.1:9/v1').executor, allowedCommands: ['python3', 'bash', 'cat'] };
    const run = executorTools({ exp, nodeId: 'n0000', settings, backend, session: 1, changed: new Set() }).find((t) => t.name === 'run_command')!;
    await assert.rejects(Promise.resolve().then(() => run.run({ argv: ['python3', '-c', 'import os; print(os.environ)'] }, new AbortController().signal)), /cannot run without OS isolation/);
    await assert.rejects(Promise.resolve().then(() => run.run({ argv: ['bash', '-c', 'cat ~/.ssh/id_rsa'] }, new AbortController().signal)), /cannot run without OS isolation/);
  } finally {
    await backend.close();
  }
}, skip);
