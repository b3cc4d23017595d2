// The user's compute overrides from settings (Python, remote work dir), as the engine takes them.
import type { TrexSettings } from '../settings';

export function computeOverrides(settings: TrexSettings): { python?: string; remote_dir?: string } {
  return { ...(settings.python ? { python: settings.python } : {}), ...(settings.remoteWorkDir ? { remote_dir: settings.remoteWorkDir } : {}) };
}
