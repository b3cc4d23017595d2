// Builds the compute backend for a node run by hand: the same choice a search makes
// (openSearchSession): the host picked in settings (trex.compute.backend), else trex.yaml's
// compute.backend, else local; settings may override the Python and work dir.
import * as vscode from 'vscode';
import { chooseBackend, createBackend, withComputeOverrides, type Backend } from '../../engine';
import type { TrexSettings } from '../settings';
import type { ExperimentSession } from '../experiments/experimentSession';
import { computeOverrides } from './computeOverrides';

export function createBackendFor(session: ExperimentSession, settings: TrexSettings, parallel: number): Promise<Backend> {
  const exp = session.experiment;
  return createBackend({
    name: chooseBackend(exp.spec, settings.computeBackend),
    experimentDir: exp.dir,
    spec: withComputeOverrides(exp.spec, computeOverrides(settings)),
    parallel,
    confirmNewHost,
  });
}

/** An unknown host key needs the user's consent; it is then recorded in known_hosts. */
export async function confirmNewHost(host: string, fingerprint: string): Promise<boolean> {
  const trust = 'Trust and Connect';
  const answer = await vscode.window.showWarningMessage(
    `TREX: the host '${host}' is not in known_hosts. Its key fingerprint is ${fingerprint}. Connect and remember this key?`,
    { modal: true },
    trust,
  );
  return answer === trust;
}
