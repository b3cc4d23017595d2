// Child process of the re-attach test: starts a job through the ssh backend and streams its log
// into a local file until the parent SIGKILLs it. Run without arguments (as the test runner does
// with every file under test/) it does nothing.
import { SshBackend } from '../../../../src/engine/backends/ssh/sshBackend';
import { runnerDir } from '../../../../src/engine/packageDirs';
import { follow, loopJob } from './helpers';

interface ChildArgs {
  harnessConfig: string;
  knownHosts: string;
  host: string;
  exp: string;
  remote: string;
  logFile: string;
}

async function main(args: ChildArgs): Promise<void> {
  const backend = new SshBackend({
    experimentDir: args.exp,
    experimentName: 'ssh-test',
    host: args.host,
    remoteDir: args.remote,
    runnerDir: runnerDir(),
    sshConfigPath: args.harnessConfig,
    knownHostsPath: args.knownHosts,
    python: '/usr/bin/python3',
    minFreeMb: 10,
  });
  const job = loopJob('n4', 200, 0.03);
  await backend.start(job);
  await follow(backend, job, args.logFile, { pollMs: 50, chunk: 37 }); // odd chunk size: offsets land mid-line
}

if (require.main === module && process.argv[2]) {
  main(JSON.parse(process.argv[2]) as ChildArgs).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
