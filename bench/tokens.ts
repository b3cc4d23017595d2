// Tokens the LLM roles spend as the tree grows: the real LlmProposer and distiller, through the real
// client over HTTP to the fake OpenAI-compatible server, on synthetic trees of 10/100/300 nodes that
// carry every evidence item the proposal prompt shows, and one scripted Executor debug session of a
// failed node. The fake server reports no usage, so the client charges with the ledger's own
// estimate (4 characters ≈ 1 token, src/engine/llm/tokenEstimate.ts) of everything a request sends.
// The rows' values count, with the same estimate, everything each recorded request sent
// (replayed tool calls, tool schemas, the reply schema: bench/tokenStats.ts sentChars) plus the
// reply, as the server received it; the ledger's figure is in the note.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { computeInsights, policyByName, Rng, searchSettings, shortlist, type Experiment, type ProposalContext } from '../src/engine';
import { llmExpansionJudge } from '../src/engine/proposers/llm/expansionJudge';
import { LlmClient, LlmProposer, resolveLlmConfig, UsageMeter, type CallUsage, type ProposalReply } from '../src/engine/llm';
import { distillWithClient } from '../src/engine/llm/distill';
import { runExecutorAgent } from '../src/engine/llm/executorAgent/agent';
import { FakeOpenAI, type RecordedRequest } from '../test/engine/llm/fakeOpenAI';
import type { Row } from './report';
import { buildSyntheticTree, growTree } from './syntheticTree';
import { meanMax, sentTokens, shares, tokensByHeading } from './tokenStats';

const SIZES = [10, 100, 300];
const PROPOSAL_GOAL = 6000;
const DEBUG_GOAL = 8000;

/** Headings and lines that show each evidence item of the proposal prompt. */
export const EVIDENCE_ITEMS: { name: string; marker: string }[] = [
  { name: 'frozen paths', marker: '## Never change (search.frozen' },
  { name: 'noise', marker: '## Noise of the metric' },
  { name: 'budget and compute', marker: '## Budget and compute' },
  { name: 'leaderboard', marker: '## Leaderboard (top' },
  { name: 'effects by context', marker: '## Effects of each change by context' },
  { name: 'data stats', marker: 'Data (data_stats.json):' },
  { name: 'formatted samples', marker: 'Formatted training samples:' },
  { name: 'loss summary', marker: 'Training (trainer log):' },
  { name: 'bad cases', marker: '## Bad cases of' },
  { name: 'research notes', marker: '## Research notes' },
  { name: 'insights', marker: '## Insights so far' },
  { name: 'guidance', marker: '## Guidance from the user' },
  { name: 'research refresh', marker: '## Latest research refresh' },
  { name: 'step kind (llm-uct)', marker: '# Step asked of this expansion' },
];

/** The step a policy llm-uct choice hands the proposer, of realistic length. */
const STEP = { kind: 'explore' as const, reason: 'The best node’s neighbourhood is within noise of it after four children (all Δ under 2 SE); its sibling branch with the agreement filter has only one child and the research refresh suggests loss-based selection there.' };

// A reply of realistic length: k children, each a hypothesis, a rationale citing evidence, one edit.
function proposalReply(k: number, counter: { n: number }): ProposalReply {
  return {
    proposals: Array.from({ length: k }, () => {
      const v = Number((0.001 + (counter.n++ % 400) * 0.001).toFixed(3));
      return {
        title: `warmup ${v}`,
        hypothesis: `A warmup ratio of ${v} stabilises the first steps, where the loss curve of the parent is flat, and improves accuracy on negated reviews.`,
        rationale: 'The leaderboard leaders share a low learning rate; the effects by context show warmup helped under two parents by more than 2 SE, and the bad cases are dominated by negations that a steadier start may learn.',
        evidence: ['leaderboard', 'effects by context', 'bad cases'],
        edits: [{ path: 'train.warmup_ratio', value_json: JSON.stringify(v) }],
      };
    }),
  };
}

const LESSONS = {
  worked: ['label_agreement filter (+0.05 over n0000, n0004 and n0011)', 'learning rate 0.003 with cosine schedule'],
  failed: ['batch 64 with full fine-tuning ran out of memory (n0007)', 'lora rank 4 underfits the negations'],
  open_questions: ['does more data help once the noisy labels are filtered?'],
  next_directions: ['combine the agreement filter with 2000 examples', 'try 5 epochs from the best node (warm start)'],
};

interface Spent {
  /** What the ledger charged (message texts and replies). */
  ledger: number;
  /** Everything the requests sent plus the replies. */
  sent: number;
}

interface SizeResult {
  size: number;
  proposals: number[];
  proposalsLedger: number[];
  proposalPrompt: number[];
  calls: number[];
  perChildProposal: number[];
  distill: number[];
  missing: string[];
  /** The largest proposal prompt's user message. */
  largestPrompt: string;
  /** Proposals that made no successful call, with the reason; left out of the figures. */
  failedCalls: string[];
  failedShare: number;
  debug?: Spent & { steps: number };
  /** One policy llm-uct judgement over UCT's shortlist. */
  selection?: number;
}

/** Tokens of the calls and requests made since the given marks. */
function spentSince(calls: CallUsage[], firstCall: number, fake: FakeOpenAI, firstRequest: number): Spent {
  const mine = calls.slice(firstCall);
  const completion = mine.reduce((a, u) => a + u.completionTokens, 0);
  const sent = fake.requests.slice(firstRequest).reduce((a, q) => a + sentTokens(q.body), 0);
  return { ledger: mine.reduce((a, u) => a + u.tokens, 0), sent: sent + completion };
}

async function measureSize(fake: FakeOpenAI, work: string, size: number, proposalsPerSize: number, distillsPerSize: number, withDebug: boolean): Promise<SizeResult> {
  const rng = new Rng(size);
  const exp = buildSyntheticTree(join(work, `tree-${size}`), size, rng);
  const config = resolveLlmConfig(null, {}, { apiKey: 'sk-bench-local', settings: { base_url: fake.baseURL, model: 'gpt-4o-mini', timeout_ms: 30_000, max_retries: 0, reply_attempts: 3 } });
  if (!config) throw new Error('no LLM config');
  const meter = new UsageMeter({ prices: config.prices });
  const calls: CallUsage[] = [];
  meter.onRecord((u) => calls.push(u));
  const client = new LlmClient(config, meter);
  const proposer = new LlmProposer(exp, { client, research: false });
  const k = searchSettings(exp.spec).children_per_expansion;
  const counter = { n: 0 };
  fake.handler = (req: RecordedRequest) =>
    req.kind === 'proposals' ? { json: proposalReply(k, counter), usage: null } : req.kind === 'expansion' ? { json: judgeReply(req), usage: null } : { json: LESSONS, usage: null };

  const out: SizeResult = { size, proposals: [], proposalsLedger: [], failedCalls: [], largestPrompt: '', failedShare: 0, proposalPrompt: [], calls: [], perChildProposal: [], distill: [], missing: [] };
  const parents = parentsToExpand(exp, proposalsPerSize, rng);
  for (const parentId of parents) {
    const first = calls.length;
    const firstRequest = fake.requests.length;
    const r = await proposer.propose(ctx(exp, parentId, k, rng));
    const mine = calls.slice(first);
    if (mine.length === 0) {
      // No reply reached the ledger (a dropped connection on a loaded machine): nothing to measure.
      out.failedCalls.push(r.dropped.map((d) => d.reason).join('; ') || 'no call');
      continue;
    }
    const spent = spentSince(calls, first, fake, firstRequest);
    out.proposals.push(spent.sent);
    out.proposalsLedger.push(spent.ledger);
    out.proposalPrompt.push(Math.max(...fake.requests.slice(firstRequest).map((q) => sentTokens(q.body))));
    out.calls.push(mine.length);
    out.perChildProposal.push(spent.sent / Math.max(1, r.proposals.length));
    const prompt = fake.requests.slice(firstRequest).map((q) => q.body.messages.map((m) => String(m.content)).join('\n')).join('\n');
    if (prompt.length > out.largestPrompt.length) out.largestPrompt = prompt;
    for (const item of EVIDENCE_ITEMS) if (!prompt.includes(item.marker) && !out.missing.includes(item.name)) out.missing.push(item.name);
  }
  out.selection = await selectionTokens(exp, client, calls, fake);
  // The first distillation summarises everything already in the tree; after it, each new result costs one update.
  await distillWithClient(exp, client);
  for (let i = 0; i < distillsPerSize; i++) {
    growTree(exp, 1, rng);
    const first = calls.length;
    const firstRequest = fake.requests.length;
    await distillWithClient(exp, client);
    out.distill.push(spentSince(calls, first, fake, firstRequest).sent);
  }
  const all = [...exp.tree.nodes.values()];
  out.failedShare = all.filter((n) => n.status === 'failed').length / all.length;
  if (withDebug) {
    const first = calls.length;
    const firstRequest = fake.requests.length;
    const steps = await debugSession(exp, client, fake);
    out.debug = { ...spentSince(calls, first, fake, firstRequest), steps };
  }
  await proposer.close();
  exp.close();
  return out;
}

// A train log of realistic length ending in the out-of-memory traceback the synthetic failures carry.
function oomLog(): string {
  const steps = Array.from({ length: 120 }, (_, i) => `{'loss': ${(0.7 - i * 0.002).toFixed(4)}, 'grad_norm': 1.${i % 10}2, 'learning_rate': 0.001, 'epoch': ${(i / 40).toFixed(2)}}`);
  const trace = ['Traceback (most recent call last):', '  File "trainer/trex_llm/train.py", line 212, in main', '    trainer.train()', '  File "transformers/trainer.py", line 2241, in train', '    return inner_training_loop(', '  File "torch/nn/modules/module.py", line 1751, in _call_impl', '    return forward_call(*args, **kwargs)', 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity; 76.90 GiB already allocated)'];
  return [...steps, ...trace].join('\n') + '\n';
}

/**
 * One debug session of a failed node, scripted as a capable model would run it (list the folder,
 * read the log, the config and the data stats, write the fix, finish): returns the steps taken.
 */
async function debugSession(exp: Experiment, client: LlmClient, fake: FakeOpenAI): Promise<number> {
  const failed = [...exp.tree.nodes.values()].find((n) => n.status === 'failed');
  if (!failed) throw new Error('the synthetic tree has no failed node');
  mkdirSync(exp.nodePath(failed.id, 'logs'), { recursive: true });
  writeFileSync(exp.nodePath(failed.id, 'logs', 'train.log'), oomLog());
  const train = exp.readNodeConfig(failed.id).train;
  const fixed = stringify({ ...train, batch_size: 8 });
  const script: { name: string; arguments: object }[] = [
    { name: 'list_files', arguments: {} },
    { name: 'read_log', arguments: { stage: 'train', lines: 200 } },
    { name: 'read_file', arguments: { path: 'train.yaml' } },
    { name: 'read_file', arguments: { path: 'data_stats.json' } },
    { name: 'write_file', arguments: { path: 'train.yaml', content: fixed } },
    { name: 'finish', arguments: { status: 'fixed', summary: 'CUDA out of memory at batch size 32 with full fine-tuning; batch size 8 fits in memory and keeps the plan (the edge changes only the learning rate).', changed_files: ['train.yaml'] } },
  ];
  let step = 0;
  fake.handler = () => ({ toolCalls: [script[Math.min(step++, script.length - 1)]], usage: null });
  const out = await runExecutorAgent(exp, failed.id, { client, mode: 'debug' });
  if (out.status !== 'fixed') throw new Error(`the scripted debug session ended ${out.status}: ${out.summary}`);
  return out.steps;
}

/** The judge's reply: the last candidate of the shortlist its prompt lists. */
function judgeReply(req: RecordedRequest): { id: string; kind: string; reason: string } {
  const ids = [...req.lastMessage.matchAll(/^\d\. (n\d{4})/gm)].map((m) => m[1]);
  return { id: ids[ids.length - 1] ?? 'n0000', kind: 'explore', reason: STEP.reason };
}

/** Tokens of one policy llm-uct judgement over UCT's shortlist of this tree. */
async function selectionTokens(exp: Experiment, client: LlmClient, calls: CallUsage[], fake: FakeOpenAI): Promise<number | undefined> {
  const sel = { tree: exp.tree, settings: { ...searchSettings(exp.spec), policy: 'llm-uct' as const }, rng: new Rng(1), isExhausted: () => false };
  const list = shortlist(policyByName('llm-uct'), sel);
  if (list.length < 2) return undefined;
  const first = calls.length;
  const firstRequest = fake.requests.length;
  const { verdict } = await llmExpansionJudge(client).judge(exp, list);
  return verdict.ok ? spentSince(calls, first, fake, firstRequest).sent : undefined;
}

/** The best node and other finished nodes: what a search that exploits and explores expands. */
function parentsToExpand(exp: Experiment, count: number, rng: Rng): string[] {
  const done = [...exp.tree.nodes.values()].filter((n) => n.status === 'succeeded' && n.result).sort((a, b) => b.result!.score - a.result!.score);
  const picked = new Set<string>([done[0].id]);
  while (picked.size < Math.min(count, done.length)) picked.add(done[rng.int(done.length)].id);
  return [...picked];
}

function ctx(exp: Experiment, parentId: string, k: number, rng: Rng): ProposalContext {
  return {
    exp,
    parentId,
    k,
    rng,
    insights: computeInsights(exp.tree),
    knownHashes: new Set([...exp.tree.nodes.values()].map((n) => n.configHash)),
    guidance: exp.readText('guidance.md') ?? '',
    step: STEP,
  };
}

export async function benchTokens(quick: boolean, log: (s: string) => void): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), 'trex-bench-tokens-'));
  const fake = await FakeOpenAI.start();
  const rows: Row[] = [];
  const note = 'estimated, 4 chars/token';
  try {
    const results: SizeResult[] = [];
    for (const size of SIZES) {
      log(`tokens: ${size}-node tree`);
      results.push(await measureSize(fake, work, size, quick ? 3 : 8, quick ? 2 : 5, size === SIZES[SIZES.length - 1]));
    }
    for (const r of results) {
      const p = meanMax(r.proposals);
      const last = r.size === SIZES[SIZES.length - 1];
      const present = `${EVIDENCE_ITEMS.length - r.missing.length}/${EVIDENCE_ITEMS.length}`;
      rows.push({ section: 'tokens', name: `tokens per proposal, ${r.size} nodes, mean`, value: p.mean, unit: 'tok', note: `${p.n} proposals, ${meanMax(r.calls).mean.toFixed(1)} calls each, ${note}; ledger ${meanMax(r.proposalsLedger).mean.toFixed(0)}${r.failedCalls.length ? `; ${r.failedCalls.length} left out, no reply: ${r.failedCalls[0]}` : ''}` });
      rows.push({
        section: 'tokens',
        name: `tokens per proposal, ${r.size} nodes, max`,
        value: p.max,
        unit: 'tok',
        ...(last ? { target: `≤ ${PROPOSAL_GOAL} tok, every evidence item present`, met: p.max <= PROPOSAL_GOAL && r.missing.length === 0 } : {}),
        note: `evidence items present ${present}${r.missing.length ? ` (missing: ${r.missing.join(', ')})` : ''}; largest prompt ${meanMax(r.proposalPrompt).max} tok`,
      });
      const perNode = r.perChildProposal.map((x, i) => x + (r.distill[i % Math.max(1, r.distill.length)] ?? 0));
      const n = meanMax(perNode);
      rows.push({ section: 'tokens', name: `tokens per node, ${r.size} nodes, mean`, value: n.mean, unit: 'tok', note: 'its share of a proposal + one distiller update; executor debug in the shares below' });
      rows.push({ section: 'tokens', name: `tokens per node, ${r.size} nodes, max`, value: n.max, unit: 'tok' });
      rows.push({ section: 'tokens', name: `tokens per llm-uct selection, ${r.size} nodes`, value: r.selection !== undefined ? Math.round(r.selection) : 'not measured', ...(r.selection !== undefined ? { unit: 'tok' } : {}), note: `one judgement over UCT's top 3 (policy llm-uct only), ${note}` });
    }
    const big = results[results.length - 1];
    const top = tokensByHeading(big.largestPrompt).slice(0, 6);
    const short = (h: string) => (h.length > 22 ? `${h.slice(0, 21)}…` : h);
    rows.push({ section: 'tokens', name: `largest parts of the largest proposal prompt at ${big.size} nodes`, value: top.slice(0, 3).map((t) => `${short(t.heading)} ${t.tokens}`).join(', '), note: `tok by heading: ${top.map((t) => `${t.heading} ${t.tokens}`).join('; ')}` });
    const debug = big.debug;
    const parts = shares([
      { name: 'researcher proposal', tokens: meanMax(big.perChildProposal).mean },
      { name: 'distiller', tokens: meanMax(big.distill).mean },
      ...(debug ? [{ name: 'executor debug', tokens: debug.sent * big.failedShare }] : []),
    ]);
    const debugNote = debug ? `executor: one session per failed node, ${(100 * big.failedShare).toFixed(0)} % of nodes failed` : 'executor debug not measured';
    for (const s of parts) rows.push({ section: 'tokens', name: `share of tokens per node at ${big.size} nodes: ${s.name}`, value: `${(100 * s.share).toFixed(0)} %`, note: `${s.tokens.toFixed(0)} tok per node; ${debugNote}; bad-case analysis and research not included` });
    if (debug) rows.push({ section: 'tokens', name: 'executor tokens per debug session', value: debug.sent, unit: 'tok', target: `≤ ${DEBUG_GOAL} tok`, met: debug.sent <= DEBUG_GOAL, note: `scripted ${debug.steps}-step session, no commands; ledger ${debug.ledger}` });
    else rows.push({ section: 'tokens', name: 'executor tokens per debug session', value: 'not measured', target: `≤ ${DEBUG_GOAL} tok` });
  } finally {
    await fake.close();
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}
