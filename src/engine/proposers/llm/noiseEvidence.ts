// How noisy the metric is, so the model does not chase differences a re-run would erase: the
// binomial standard error at the best score for the validation size, and the spread of replicates.
import type { Experiment } from '../../experiment';
import { binomialSE, replicateGroups, specValidationSize, validationSizeOf } from '../../metricNoise';

const f4 = (x: number) => x.toFixed(4);

export function describeNoise(exp: Experiment): string {
  const tree = exp.tree;
  const best = tree.best();
  const lines: string[] = [];
  const n = validationSizeOf(best?.result, specValidationSize(exp.spec));
  const p = best?.result?.score;
  const se = p === undefined ? undefined : binomialSE(p, n, tree.goal);
  if (se !== undefined && p !== undefined) {
    lines.push(`- Validation size n=${n}: the standard error of ${tree.metric} at p=${f4(p)} is ${f4(se)} (sqrt(p(1-p)/n), p kept half an example from 0 and 1); a difference under 2 SE (${f4(2 * se)}) between two nodes is within noise, not evidence.`);
  } else if (n !== undefined) {
    lines.push(`- Validation size n=${n} (${tree.metric} is not a rate, so no binomial standard error; judge differences by the replicate spread).`);
  }
  const groups = replicateGroups(tree);
  for (const g of groups.slice(0, 5)) lines.push(`- Replicates of ${g.of} (same config, other seeds): ${g.ids.join(', ')} scored ${g.scores.map(f4).join(', ')}; sd ${f4(g.sd)}.`);
  if (!groups.length) lines.push('- No config has been re-run with other seeds yet (no replicate spread measured).');
  return lines.join('\n');
}
