// The offline proposer (no LLM): mutates knobs of the declared search space, one at a time, and
// two at a time once single steps are used up. Which mutations it tries first is guided by the
// insights: changes that helped before are favoured, ones that hurt are avoided, untried ones get
// an optimistic prior so every knob is explored.
import { configHash } from '../experiment';
import { changeKey, type ChangeEffect } from '../insights';
import { getPath, setPath, type NodeConfig } from '../spec/configPaths';
import type { Json } from '../spec/types';
import { knobValues, valueIndex } from './space';
import type { Proposal, ProposalContext, ProposalResult, Proposer } from './proposer';

interface Candidate {
  config: NodeConfig;
  changes: { path: string; from: Json | undefined; to: Json }[];
  weight: number;
  evidence: string[];
}

const UNTRIED_PRIOR = 0.15; // optimism for a change never tried, as a fraction of the score spread
const NEIGHBOUR_BONUS = 0.05; // ordered knobs: small steps first

export class OfflineProposer implements Proposer {
  readonly name = 'offline';

  async propose(ctx: ProposalContext): Promise<ProposalResult> {
    const { exp, parentId, insights, rng } = ctx;
    const parent = exp.readNodeConfig(parentId);
    const effects = new Map<string, ChangeEffect>(insights.effects.map((e) => [changeKey(e.path, JSON.parse(e.to)), e]));
    const spread = insights.scoreSpread || 1;
    const seen = new Set(ctx.knownHashes);

    const score = (path: string, to: Json, fromIdx: number, toIdx: number): { w: number; note: string } => {
      const e = effects.get(changeKey(path, to));
      const neighbour = fromIdx >= 0 && Math.abs(fromIdx - toIdx) === 1 ? NEIGHBOUR_BONUS : 0;
      if (!e) return { w: UNTRIED_PRIOR + neighbour, note: `\`${path}\` → ${JSON.stringify(to)} has not been tried yet` };
      const rel = e.meanDelta / spread;
      // Optimism shrinks as evidence accumulates (UCB-like).
      return { w: rel + UNTRIED_PRIOR / Math.sqrt(e.n + 1) + neighbour, note: `\`${path}\` → ${JSON.stringify(to)} moved the score by ${e.meanDelta >= 0 ? '+' : ''}${e.meanDelta.toFixed(4)} on average over ${e.n} run(s)` };
    };

    const singles: Candidate[] = [];
    for (const knob of exp.spec.search_space) {
      const values = knobValues(knob);
      const current = getPath(parent, knob.path);
      const curIdx = valueIndex(values, current ?? null);
      values.forEach((v, i) => {
        if (i === curIdx) return;
        const s = score(knob.path, v, curIdx, i);
        singles.push({ config: setPath(parent, knob.path, v), changes: [{ path: knob.path, from: current, to: v }], weight: s.w, evidence: [s.note] });
      });
    }
    let pool = this.unseen(singles, ctx, seen);
    if (pool.length < ctx.k) {
      // Single steps are spent: combine two of them.
      const pairs: Candidate[] = [];
      for (let i = 0; i < singles.length; i++) {
        for (let j = i + 1; j < singles.length; j++) {
          const a = singles[i];
          const b = singles[j];
          if (a.changes[0].path === b.changes[0].path) continue;
          pairs.push({
            config: setPath(a.config, b.changes[0].path, b.changes[0].to),
            changes: [...a.changes, ...b.changes],
            weight: a.weight + b.weight,
            evidence: [...a.evidence, ...b.evidence],
          });
        }
      }
      pool = pool.concat(this.unseen(pairs, ctx, seen));
    }

    const picked: Candidate[] = [];
    while (picked.length < ctx.k && pool.length > 0) {
      // Softmax sampling: mostly the most promising, sometimes a long shot.
      const temperature = 0.1;
      const max = Math.max(...pool.map((c) => c.weight));
      const ws = pool.map((c) => Math.exp((c.weight - max) / temperature));
      let r = rng.next() * ws.reduce((a, b) => a + b, 0);
      let idx = 0;
      while (idx < ws.length - 1 && (r -= ws[idx]) > 0) idx++;
      picked.push(pool[idx]);
      pool.splice(idx, 1);
    }
    return { proposals: picked.map((c) => this.toProposal(c, parentId)), dropped: [] };
  }

  private unseen(cands: Candidate[], ctx: ProposalContext, seen: Set<string>): Candidate[] {
    const out: Candidate[] = [];
    for (const c of cands) {
      const h = configHash(ctx.exp.spec, c.config);
      if (seen.has(h)) continue;
      seen.add(h);
      out.push(c);
    }
    return out;
  }

  private toProposal(c: Candidate, parentId: string): Proposal {
    const what = c.changes.map((ch) => `\`${ch.path}\` from ${JSON.stringify(ch.from)} to ${JSON.stringify(ch.to)}`).join(' and ');
    const title = c.changes.map((ch) => `${ch.path.split('.').pop()}=${JSON.stringify(ch.to)}`).join(', ');
    const plan = [
      `# ${title}`,
      '',
      `## Hypothesis`,
      '',
      `Changing ${what} will improve the target metric over ${parentId}.`,
      '',
      `## Rationale`,
      '',
      ...c.evidence.map((e) => `- ${e}.`),
      '',
      `## Changes vs ${parentId}`,
      '',
      ...c.changes.map((ch) => `- \`${ch.path}\`: ${JSON.stringify(ch.from)} → ${JSON.stringify(ch.to)}`),
      '',
      '_Proposed by the offline proposer (search-space mutation guided by insights.md)._',
      '',
    ].join('\n');
    return { title, plan, config: c.config, changes: c.changes };
  }
}
