// SLURM output parsing and the status decision, on outputs captured from Slurm 22.05 (Debian 12).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideStatus } from '../../../../src/engine/backends/slurm/jobStatus';
import { sbatchFlags, slurmOptionsFromSpec } from '../../../../src/engine/backends/slurm/options';
import { parseSacct, parseSbatchParsable, parseScontrolJob, parseSqueue } from '../../../../src/engine/backends/slurm/parsers';
import { parseProbe, probeScript, type Probe } from '../../../../src/engine/backends/slurm/probe';
import { slurmJobName, submitCommand } from '../../../../src/engine/backends/slurm/submit';

const SCONTROL_RUNNING =
  'JobId=1 JobName=wrap UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 Nice=0 Account=(null) QOS=(null) JobState=RUNNING Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:02 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-11-22T11:01:27 EligibleTime=2026-11-22T11:01:27 AccrueTime=2026-11-22T11:01:27 StartTime=2026-11-22T11:01:29 EndTime=Unknown Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-11-22T11:01:29 Scheduler=Main Partition=debug AllocNode:Sid=localhost:25863 ReqNodeList=(null) ExcNodeList=(null) NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,mem=100M,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryCPU=100M MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=(null) WorkDir=/tmp/trex slurm StdErr=/tmp/x/slurm-1.out StdIn=/dev/null StdOut=/tmp/x/slurm-1.out Power= \n';
const SCONTROL_FAILED = 'JobId=7 JobName=exp-demo UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=2 BatchFlag=1 Reboot=0 ExitCode=5:0 RunTime=00:00:03 NodeList=vm\n';

test('sbatch --parsable: id, id;cluster; anything else is an error', () => {
  assert.equal(parseSbatchParsable('1\n'), '1');
  assert.equal(parseSbatchParsable('4242;trextest\n'), '4242');
  assert.throws(() => parseSbatchParsable('Submitted batch job 1\n'), /unexpected sbatch output/);
  assert.throws(() => parseSbatchParsable(''), /unexpected sbatch output/);
});

test('squeue lines', () => {
  assert.deepEqual(parseSqueue('1|PENDING|None|\n', '1'), { jobId: '1', state: 'PENDING', reason: 'None', nodes: undefined });
  assert.equal(parseSqueue('1|RUNNING|None|vm\n', '1')?.nodes, 'vm');
  assert.equal(parseSqueue('', '1'), undefined);
  assert.equal(parseSqueue('2|RUNNING|None|vm\n', '1'), undefined);
  assert.throws(() => parseSqueue('slurm_load_jobs error: Invalid job id specified\n', '1'), /unexpected squeue line/);
  assert.throws(() => parseSqueue('1|WEIRD|None|vm\n', '1'), /unknown SLURM job state/);
});

test('scontrol show job -o', () => {
  const running = parseScontrolJob(SCONTROL_RUNNING, '1');
  assert.deepEqual(running, { jobId: '1', state: 'RUNNING', reason: undefined, nodes: 'vm', exitCode: 0, restarts: 0 });
  const failed = parseScontrolJob(SCONTROL_FAILED, '7');
  assert.deepEqual([failed?.state, failed?.exitCode, failed?.restarts, failed?.reason], ['FAILED', 5, 2, 'NonZeroExitCode']);
  assert.throws(() => parseScontrolJob('no such thing\n', '1'), /unexpected scontrol output/);
});

test('sacct -P: the last record of the job; CANCELLED by <uid> is CANCELLED', () => {
  const out = '12|PREEMPTED|0:15|vm\n12|CANCELLED by 0|0:15|vm\n13|COMPLETED|0:0|vm\n';
  assert.deepEqual(parseSacct(out, '12'), { jobId: '12', state: 'CANCELLED', exitCode: 0, nodes: 'vm' });
  assert.equal(parseSacct('12|PENDING|0:0|None assigned\n', '12')?.nodes, undefined);
  assert.throws(() => parseSacct('12|COMPLETED|x|vm\n', '12'), /ExitCode/);
});

test('the probe script quotes the run folder, and its output is validated', () => {
  assert.match(probeScript("/r/it's here"), /d='\/r\/it'\\''s here'/);
  assert.deepEqual(parseProbe('none\n'), { dirExists: false, files: {} });
  const p = parseProbe('jobid\t5\nsqueue.rc\t0\nsqueue\t5|RUNNING|None|vm\nfile\tstarted_at_ms\t1700000000000\nend\n');
  assert.deepEqual(p, { dirExists: true, jobId: '5', squeue: { rc: 0, out: '5|RUNNING|None|vm\n' }, files: { started_at_ms: '1700000000000' } });
  assert.throws(() => parseProbe('jobid\t5\n'), /incomplete/);
  assert.throws(() => parseProbe('jobid\t5;rm\nend\n'), /unexpected job id/);
  assert.throws(() => parseProbe('hello\nend\n'), /unexpected job probe line/);
});

const where = (id: string) => `slurm:${id}@login`;
const probe = (over: Partial<Probe>): Probe => ({ dirExists: true, jobId: '9', files: {}, ...over });

test('status: the scheduler decides while the job waits or runs; a requeued job with an old exit_code is not done', () => {
  assert.deepEqual(decideStatus(probe({ jobId: undefined }), where), { state: 'none' });
  const pending = decideStatus(probe({ squeue: { rc: 0, out: '9|PENDING|BeginTime|\n' }, files: { exit_code: '143', started_at_ms: '1' } }), where);
  assert.equal(pending.state, 'starting');
  assert.equal(pending.where, 'slurm:9@login');
  assert.equal(decideStatus(probe({ squeue: { rc: 0, out: '9|RUNNING|None|vm\n' } }), where).state, 'running');
  assert.equal(decideStatus(probe({ squeue: { rc: 0, out: '9|COMPLETING|None|vm\n' }, files: { exit_code: '0' } }), where).state, 'running');
});

test('status: after the end, the run folder exit code, except for time limit and preemption', () => {
  const gone = { squeue: { rc: 0, out: '' }, sacct: { rc: 1, out: 'Slurm accounting storage is disabled\n' } };
  const failed = decideStatus(probe({ ...gone, scontrol: { rc: 0, out: SCONTROL_FAILED.replace('JobId=7', 'JobId=9') }, files: { exit_code: '5', finished_at_ms: '10' } }), where);
  assert.deepEqual([failed.state, failed.exitCode, failed.finishedAtMs], ['exited', 5, 10]);
  const timeout = decideStatus(probe({ ...gone, scontrol: { rc: 0, out: 'JobId=9 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15\n' }, files: { exit_code: '143' } }), where);
  assert.deepEqual([timeout.state, timeout.exitCode], ['exited', 124]);
  const cancelledEarly = decideStatus(probe({ ...gone, scontrol: { rc: 0, out: 'JobId=9 JobState=CANCELLED Reason=None ExitCode=0:0\n' } }), where);
  assert.deepEqual([cancelledEarly.state, cancelledEarly.exitCode], ['exited', 143]);
  const fromSacct = decideStatus(probe({ squeue: { rc: 0, out: '' }, sacct: { rc: 0, out: '9|FAILED|3:0|vm\n' }, scontrol: { rc: 1, out: 'slurm_load_jobs error: Invalid job id specified\n' } }), where);
  assert.deepEqual([fromSacct.state, fromSacct.exitCode], ['exited', 3]);
});

test('status: controller unreachable → the run folder; forgotten and no exit_code → lost', () => {
  const down = { rc: 1, out: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n' };
  assert.equal(decideStatus(probe({ squeue: down, sacct: down, scontrol: down, files: { started_at_ms: '5' } }), where).state, 'running');
  assert.equal(decideStatus(probe({ squeue: down, sacct: down, scontrol: down }), where).state, 'starting');
  assert.equal(decideStatus(probe({ squeue: down, sacct: down, scontrol: down, files: { exit_code: '0' } }), where).exitCode, 0);
  const invalid = { rc: 1, out: 'slurm_load_jobs error: Invalid job id specified\n' };
  assert.deepEqual(decideStatus(probe({ squeue: invalid, scontrol: invalid }), where), { state: 'lost', where: 'slurm:9@login' });
  assert.equal(decideStatus(probe({ squeue: invalid, scontrol: invalid, files: { exit_code: '0' } }), where).state, 'exited');
});

test('compute.slurm becomes checked sbatch flags', () => {
  assert.deepEqual(sbatchFlags(slurmOptionsFromSpec({ slurm: { partition: 'gpu', account: 'proj-1', time_limit: '02:00:00', gpus: 2 } })), ['--partition=gpu', '--account=proj-1', '--time=02:00:00', '--gpus=2']);
  assert.deepEqual(sbatchFlags(slurmOptionsFromSpec({})), []);
  assert.deepEqual(sbatchFlags(slurmOptionsFromSpec({ slurm: { time_limit: '1-12', gpus: 0 } })), ['--time=1-12']);
  assert.throws(() => slurmOptionsFromSpec({ slurm: { partition: 'gpu; rm -rf /' } }), /SLURM name/);
  assert.throws(() => slurmOptionsFromSpec({ slurm: { time_limit: 'two hours' } }), /not a SLURM time/);
  assert.throws(() => slurmOptionsFromSpec({ slurm: { gpus: 1.5 } }), /whole number/);
});

test('the submit command quotes paths, env and argv', () => {
  const cmd = submitCommand({ runDir: "/w/it's/run", workDir: '/w', batchScript: '/w/.trex/s.sbatch', jobName: slurmJobName('n0001 train'), flags: ['--time=5'], env: { A: '$(x)' }, argv: ['bash', '-c', 'echo "$HOME"'] });
  assert.match(cmd, /d='\/w\/it'\\''s\/run'/);
  assert.match(cmd, /'--job-name=trex-n0001-train' /);
  assert.match(cmd, /'--output=\/w\/it'\\''s\/run\/output.log'/);
  assert.match(cmd, / env A='\$\(x\)' bash '-c' 'echo "\$HOME"'\)/);
  assert.match(cmd, /'--time=5' /);
});
