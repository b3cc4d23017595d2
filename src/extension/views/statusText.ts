// The status bar's words for one experiment: running nodes, best score, runs used and left, and
// what the LLM has cost. Pure, so it is tested without VS Code.
export interface StatusFacts {
  running: number;
  best: number | undefined;
  runs: number;
  maxRuns: number | null | undefined;
  costUsd: number;
  maxCostUsd: number | null | undefined;
}

export function statusText(f: StatusFacts): string {
  const runs = f.maxRuns ? `${f.runs}/${f.maxRuns} runs (${Math.max(0, f.maxRuns - f.runs)} left)` : `${f.runs} runs`;
  const cost = `LLM $${f.costUsd.toFixed(2)}${f.maxCostUsd ? `/$${f.maxCostUsd.toFixed(2)}` : ''}`;
  const icon = f.running > 0 ? '$(sync~spin)' : '$(beaker)';
  return `${icon} TREX ${f.running > 0 ? `${f.running} running · ` : ''}best ${f.best !== undefined ? f.best.toFixed(4) : '—'} · ${runs} · ${cost}`;
}
