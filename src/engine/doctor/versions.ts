// Versions known to train wrongly or not at all with what TREX renders, each with the reason.
// Pure decisions on version strings, so they are tested without installing old releases.

/** Compares release numbers (0.9.4 < 0.9.10; suffixes such as .dev0 or +cu130 ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => (/^\d+(?:\.\d+)*/.exec(v.trim())?.[0] ?? '0').split('.').map(Number);
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export const atLeast = (version: string, min: string): boolean => compareVersions(version, min) >= 0;

export interface KnownBad {
  package: 'llamafactory' | 'trl';
  /** What the version breaks: the whole framework, or only one use of it. */
  scope: 'framework' | 'qwen3 templates' | 'multi-GPU DPO';
  reason: string;
  fix: string;
}

/** Qwen3 chat templates (thinking tags) arrived in LLaMA-Factory 0.9.4; older ones render them wrongly. */
export function llamafactoryKnownBad(version: string): KnownBad | undefined {
  if (atLeast(version, '0.9.4')) return undefined;
  return { package: 'llamafactory', scope: 'qwen3 templates', reason: `LLaMA-Factory ${version} < 0.9.4 has no correct Qwen3 templates (qwen3, qwen3_nothink)`, fix: "pip install 'llamafactory>=0.9.4'" };
}

/** TRL before 0.23 ignores the `dtype` TREX renders, so the model loads in fp32. */
export function trlKnownBad(version: string): KnownBad | undefined {
  if (atLeast(version, '0.23')) return undefined;
  return { package: 'trl', scope: 'framework', reason: `TRL ${version} < 0.23 ignores dtype (the model loads in fp32)`, fix: "pip install 'trl>=0.23'" };
}

/** `trl dpo` before 0.29 ignores --num_processes, so a multi-GPU DPO run uses one GPU. */
export function trlDpoKnownBad(version: string, gpus: number): KnownBad | undefined {
  if (gpus <= 1 || atLeast(version, '0.29')) return undefined;
  return { package: 'trl', scope: 'multi-GPU DPO', reason: `TRL ${version} < 0.29: \`trl dpo\` ignores --num_processes (DPO runs on one of the ${gpus} GPUs)`, fix: "pip install 'trl>=0.29' (or run DPO with framework hf)" };
}

/** Every known-bad version among the installed ones. */
export function knownBadVersions(versions: { llamafactory?: string; trl?: string }, gpus: number): KnownBad[] {
  const found: (KnownBad | undefined)[] = [];
  if (versions.llamafactory) found.push(llamafactoryKnownBad(versions.llamafactory));
  if (versions.trl) found.push(trlKnownBad(versions.trl), trlDpoKnownBad(versions.trl, gpus));
  return found.filter((k): k is KnownBad => k !== undefined);
}
