// Child process of the re-attach test: a fresh client that finds a running SLURM job from its run
// folder alone and follows it to the end. Prints {first, final, exitCode} as JSON. Without its
// arguments (as the test runner starts every file under test/) it does nothing.
import { writeFileSync } from 'node:fs';
import type { StageJob } from '../../../../src/engine/backends/backend';
import { SlurmBackend } from '../../../../src/engine/backends/slurm';
import { runnerDir } from '../../../../src/engine/packageDirs';

interface Args {
  sshConfig: string;
  knownHosts: string;
  host: string;
  exp: string;
  remote: string;
  job: StageJob;
  /** Created after the first poll: the job ends only then. */
  gate: string;
}

if (process.env.SLURM_TEST_ARGS) void (async () => {
  const a = JSON.parse(process.env.SLURM_TEST_ARGS ?? '{}') as Args;
  const b = new SlurmBackend({ experimentDir: a.exp, experimentName: 'slurm-test', host: a.host, remoteDir: a.remote, runnerDir: runnerDir(), sshConfigPath: a.sshConfig, knownHostsPath: a.knownHosts, python: '/usr/bin/python3', minFreeMb: 10 });
  const first = await b.poll(a.job);
  writeFileSync(a.gate, '');
  let st = first;
  while (st.state !== 'exited' && st.state !== 'lost') {
    await new Promise((r) => setTimeout(r, 300));
    st = await b.poll(a.job);
  }
  await b.close();
  process.stdout.write(JSON.stringify({ first: first.state, final: st.state, exitCode: st.exitCode }));
})().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
