// The trex.tracking.* settings, in the form the engine takes (they add to, or override, trex.yaml's
// `tracking:`). Credentials are not settings: the trackers read them from the environment.
import type { TrackingOverrides } from '../../engine';

interface SettingsReader {
  get<T>(key: string, defaultValue: T): T;
}

export function readTrackingSettings(c: SettingsReader): TrackingOverrides {
  const mode = c.get<string>('tracking.wandbMode', '');
  const text = (key: string) => c.get<string>(key, '').trim() || undefined;
  return {
    mlflowTrackingUri: text('tracking.mlflowTrackingUri'),
    mlflowExperiment: text('tracking.mlflowExperiment'),
    wandbProject: text('tracking.wandbProject'),
    wandbEntity: text('tracking.wandbEntity'),
    wandbMode: mode === 'online' || mode === 'offline' ? mode : undefined,
    tensorboard: c.get<boolean>('tracking.tensorboard', false) || undefined,
    python: text('tracking.python'),
  };
}
