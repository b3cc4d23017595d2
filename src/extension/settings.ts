// Every setting the extension reads, behind one typed accessor (keys live only here).
import * as vscode from 'vscode';
import type { PolicyName, TrackingOverrides } from '../engine';
import { readTrackingSettings } from './search/trackingSettings';

export const SECTION = 'trex';

export interface TrexSettings {
  llmEndpoint: string;
  researcherModel: string;
  analystModel: string;
  /** '' = the policy in trex.yaml. */
  defaultPolicy: PolicyName | '';
  /** 0 = the value in trex.yaml. */
  parallelSlots: number;
  /** '' = trex.yaml's compute.backend, else local. Otherwise local | ssh:<host> | slurm:<host> | pool:<member>,… as in the CLI. */
  computeBackend: string;
  remoteWorkDir: string;
  /** A Python with PyTorch for the local backend ('' = find one). */
  python: string;
  logMaxBytesShown: number;
  followSearchLogs: boolean;
  /** trex.tracking.*: trackers on top of trex.yaml's `tracking:` (absent: none added). */
  tracking?: TrackingOverrides;
}

export function readSettings(scope?: vscode.Uri): TrexSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    llmEndpoint: c.get<string>('llm.endpoint', ''),
    researcherModel: c.get<string>('llm.researcherModel', ''),
    analystModel: c.get<string>('llm.analystModel', ''),
    defaultPolicy: c.get<PolicyName | ''>('search.defaultPolicy', ''),
    parallelSlots: c.get<number>('search.parallelSlots', 0),
    computeBackend: c.get<string>('compute.backend', ''),
    remoteWorkDir: c.get<string>('compute.remoteWorkDir', ''),
    python: c.get<string>('compute.python', ''),
    logMaxBytesShown: c.get<number>('logs.maxBytesShown', 1 << 20),
    followSearchLogs: c.get<boolean>('logs.followSearchRuns', false),
    tracking: readTrackingSettings(c),
  };
}

export async function writeComputeBackend(value: string): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION).update('compute.backend', value, target);
}
