// The LLM Researcher as a Proposer: for the node the search selected it asks the model for K
// children (hypothesis, rationale, edits), turns each into a full config validated against the
// recipe/train schemas, feeds invalid ones back to the model (bounded rounds), and drops what is
// still invalid or duplicates a known config, with the reason. It never throws: every failure
// becomes a recorded reason, so a bad model or a dead endpoint cannot crash the search.
import { configHash, INSIGHTS_FILE, NODE_FILES, type Experiment } from '../../experiment';
import type { Proposal, ProposalContext, ProposalResult, Proposer } from '../proposer';
import { diffConfigs, type NodeConfig } from '../../spec/configPaths';
import type { ChatMessage, LlmClient } from '../../llm/client';
import { describeError, isLlmError, LlmError } from '../../llm/errors';
import { RESEARCH_FILE, runResearch, topicFromSpec } from '../../llm/research/researcher';
import { inline, oneLine } from '../../llm/text';
import { zeroTotals } from '../../llm/usage';
import type { LlmAgents } from '../../llm/agents';
import { BAD_CASES_FILE } from '../../llm/executorAgent/badCases';
import { applyEdits, type ProposalEdit } from './applyEdits';
import { checkProposedSources } from '../../dataPolicy';
import { buildProposalPrompt, groupFailures, PROPOSER_SYSTEM } from './prompt';
import type { Backend } from '../../backends/backend';
import type { JsonObject } from '../../spec/types';
import { MAX_NODE_FILE_BYTES, nodeFilesProblems, proposalKey, type NodeFile } from '../../proposalFiles';
import { peekNewSources } from './sourcePeek';
import { llmExpansionJudge } from './expansionJudge';
import { describeLeaderboard } from './leaderboard';
import { RefreshWatch, splitResearch } from '../../llm/research/refresh';
import type { ExpansionJudge, ExpansionStep } from '../../search/llmUct';

export interface ProposedChild {
  title: string;
  hypothesis: string;
  rationale: string;
  evidence: string[];
  edits: ProposalEdit[];
  /** Python data scripts for the new node's folder, run by recipe script steps that name them. */
  files?: NodeFile[];
}

export interface ProposalReply {
  proposals: ProposedChild[];
}

// Strict-structured-outputs compatible: every property required, no free-form objects (values
// travel as JSON text in value_json). Replies are checked against PROPOSAL_REPLY_SCHEMA, which lets
// a proposal omit `files` (most write none).
export const PROPOSAL_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['proposals'],
  properties: {
    proposals: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'hypothesis', 'rationale', 'evidence', 'edits', 'files'],
        properties: {
          title: { type: 'string', description: 'Short name of the experiment, e.g. "lr 3e-4, cosine".' },
          hypothesis: { type: 'string' },
          rationale: { type: 'string' },
          evidence: { type: 'array', items: { type: 'string' }, description: 'Insights, research findings (with links) or bad cases behind the idea.' },
          edits: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['path', 'value_json'],
              properties: {
                path: { type: 'string', description: 'Dotted path: train.learning_rate, recipe.sources.0.num_examples, recipe.format.template' },
                value_json: { type: 'string', description: 'The new value as JSON text: 0.0003, 4, "cosine", {"rank": 8}; null removes the field.' },
              },
            },
          },
          files: {
            type: 'array',
            description: `Python data scripts written into the new node's folder (usually none). A recipe.filters step {"kind": "script", "path": "<the file's path>"} runs one in prepare: JSONL examples {prompt, response, ...} on stdin, JSONL examples on stdout. At most ${MAX_NODE_FILE_BYTES} bytes each.`,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['path', 'content'],
              properties: {
                path: { type: 'string', description: 'Relative to the new node folder, ending in .py, e.g. "clean.py".' },
                content: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
};

/** The reply schema as checked: `files` may be left out. */
export const PROPOSAL_REPLY_SCHEMA = (() => {
  const s = structuredClone(PROPOSAL_SCHEMA);
  s.properties.proposals.items.required = s.properties.proposals.items.required.filter((r) => r !== 'files');
  return s;
})();

export interface LlmProposerOptions {
  client: LlmClient;
  /** Where a proposal's new Hugging Face dataset is test-loaded (a few rows, mapping applied) before it is accepted; none: not checked. */
  backend?: Backend;
  /** Analysis of results and failures; its analyses (not its debugging) are awaited before each proposal. */
  agents?: LlmAgents;
  /** Runs literature and data research when research.md is missing (default: config.research.enabled). */
  research?: boolean;
}

const MAX_EDITS = 12;

export class LlmProposer implements Proposer {
  readonly name = 'llm';
  private researchTried = false;
  private budgetReported = false;
  /** Picks from UCT's shortlist under policy llm-uct. */
  readonly judge: ExpansionJudge;
  private readonly refresh: RefreshWatch;
  private refreshSettled = false;

  constructor(
    private readonly exp: Experiment,
    private readonly opts: LlmProposerOptions,
  ) {
    this.judge = llmExpansionJudge(opts.client);
    this.refresh = new RefreshWatch(opts.client.config.research);
  }

  get client(): LlmClient {
    return this.opts.client;
  }

  /** Waits for pending analyses (bad cases, insights, debugging) of finished nodes. */
  async flush(): Promise<void> {
    await this.opts.agents?.idle();
  }

  /** Stops listening to the experiment after pending work is done. Call after the search ends. */
  async close(): Promise<void> {
    await this.opts.agents?.close();
  }

  async propose(ctx: ProposalContext): Promise<ProposalResult> {
    const client = this.opts.client;
    const collector = zeroTotals();
    const dropped: { reason: string }[] = [];
    const proposals: Proposal[] = [];
    try {
      // Bad cases and insights must be in; debugging of other nodes must not hold proposals up.
      await this.opts.agents?.analysisIdle();
      await this.researchOnce(ctx, collector);
      await this.refreshResearch(ctx, collector);
      await this.proposeInto(ctx, proposals, dropped, collector);
    } catch (e) {
      if (!(ctx.signal?.aborted || isLlmError(e, 'aborted'))) dropped.push({ reason: `proposal failed: ${describeError(e)}` });
    } finally {
      client.meter.markReported(collector.costUsd);
    }
    return { proposals, dropped, usage: { tokens: collector.tokens, costUsd: collector.costUsd } };
  }

  private async researchOnce(ctx: ProposalContext, collector: ReturnType<typeof zeroTotals>): Promise<void> {
    if (this.researchTried || !(this.opts.research ?? this.opts.client.config.research.enabled)) return;
    this.researchTried = true;
    if (this.exp.readText(RESEARCH_FILE) !== undefined) return;
    // A failed research run still writes research.md (with the reason), so it is not retried at every proposal.
    try {
      const r = await runResearch(this.opts.client, this.exp.dir, topicFromSpec(this.exp.spec, ctx.guidance), { signal: ctx.signal, collector });
      if (r.reason === 'cancelled') this.researchTried = false;
    } catch {
      // Research is an aid: proposals go ahead without it.
    }
  }

  /** Research again when the evidence changed (a plateau, a new failure class), within the cap; the reason is recorded. */
  private async refreshResearch(ctx: ProposalContext, collector: ReturnType<typeof zeroTotals>): Promise<void> {
    if (!(this.opts.research ?? this.opts.client.config.research.enabled)) return;
    const tree = this.exp.tree;
    // The first research (or the notes already there) reflects the tree as it is at the first proposal.
    if (!this.refreshSettled) {
      this.refresh.settle(tree, false);
      this.refreshSettled = true;
      return;
    }
    const due = this.refresh.due(tree);
    if (!due) return;
    const evidence = [
      `Leaderboard (validation):\n${describeLeaderboard(this.exp, 3)}`,
      `Recent failures:\n${groupFailures(ctx.insights.failures.slice(-5)).join('\n') || '- none'}`,
    ].join('\n\n');
    let ok = false;
    try {
      const r = await runResearch(this.opts.client, this.exp.dir, topicFromSpec(this.exp.spec, ctx.guidance), { signal: ctx.signal, collector, refresh: { why: due.why, evidence } });
      if (r.reason === 'cancelled') return;
      ok = r.ok;
    } catch {
      // Research is an aid: proposals go ahead without the refresh.
    }
    this.refresh.settle(tree, true);
    this.exp.emit({ type: 'research_refreshed', trigger: due.trigger, reason: due.why, ok });
  }

  private async proposeInto(ctx: ProposalContext, accepted: Proposal[], dropped: { reason: string }[], collector: ReturnType<typeof zeroTotals>): Promise<void> {
    const { exp, parentId, k } = ctx;
    const client = this.opts.client;
    const parentConfig = exp.readNodeConfig(parentId);
    const research = splitResearch(exp.readText(RESEARCH_FILE) ?? '');
    const prompt = buildProposalPrompt({
      exp,
      parentId,
      parentConfig,
      k,
      insights: ctx.insights,
      guidance: ctx.guidance,
      insightsText: exp.readText(INSIGHTS_FILE) ?? '',
      researchText: research.notes,
      researchRefresh: research.latestRefresh,
      step: ctx.step,
      badCasesText: exp.readText(`nodes/${parentId}/${BAD_CASES_FILE}`) ?? '',
      parentPlan: exp.readText(`nodes/${parentId}/${NODE_FILES.plan}`) ?? '',
      budget: ctx.budget,
    });
    const messages: ChatMessage[] = [
      { role: 'system', content: PROPOSER_SYSTEM },
      { role: 'user', content: prompt },
    ];
    const seen = new Map<string, string>();
    for (const n of exp.tree.nodes.values()) seen.set(n.configHash, n.id);
    for (const h of ctx.knownHashes) if (!seen.has(h)) seen.set(h, 'an existing node');
    const rounds = Math.max(1, client.config.replyAttempts);
    let invalid: { title: string; problems: string[] }[] = [];
    let round = 0;
    while (accepted.length < k && round < rounds) {
      round++;
      const need = k - accepted.length;
      let reply: ProposalReply;
      try {
        const r = await client.structured<ProposalReply>({ role: 'researcher', purpose: 'proposal', nodeId: parentId, messages, name: 'proposals', schema: PROPOSAL_SCHEMA, acceptSchema: PROPOSAL_REPLY_SCHEMA, strict: true, attempts: 1, signal: ctx.signal, collector });
        reply = r.value;
      } catch (e) {
        if (ctx.signal?.aborted || isLlmError(e, 'aborted')) return;
        if (isLlmError(e, 'budget')) {
          if (!this.budgetReported) dropped.push({ reason: describeError(e) });
          this.budgetReported = true;
          return;
        }
        const correctable = e instanceof LlmError && (e.correctable || e.kind === 'schema' || e.kind === 'malformed');
        if (correctable && round < rounds) {
          messages.push({ role: 'user', content: `Your reply could not be used: ${(e as LlmError).message}\nReply again with a JSON object {"proposals": [...]} holding ${need} proposal(s).` });
          continue;
        }
        dropped.push({ reason: `no usable proposals from the model after ${round} attempt(s): ${describeError(e)}` });
        break;
      }
      messages.push({ role: 'assistant', content: JSON.stringify(reply).slice(0, 6000) });
      invalid = [];
      const notes: string[] = [];
      for (const p of reply.proposals) {
        if (accepted.length >= k) break;
        const title = oneLine(p.title, 100) || '(untitled)';
        const files = p.files ?? [];
        const problems = [...checkText(p), ...nodeFilesProblems(files)];
        const built = problems.length ? undefined : applyEdits(parentConfig, p.edits);
        if (built && built.problems.length) problems.push(...built.problems);
        // Model-proposed data may come only from data/, allowlisted paths and hosts, HF ids, and its own scripts.
        if (built?.config && !problems.length) problems.push(...checkProposedSources(exp.dir, exp.spec, parentConfig.recipe, built.config.recipe, new Set(files.map((f) => f.path))));
        if (built?.config && !problems.length) problems.push(...unusedFiles(files, built.config.recipe));
        if (problems.length || !built?.config) {
          invalid.push({ title, problems });
          continue;
        }
        const config = built.config;
        const changes = diffConfigs(parentConfig, config).map((c) => ({ path: c.path, from: c.from, to: c.to }));
        if (changes.length === 0) {
          invalid.push({ title, problems: ['the edits change nothing compared with the parent'] });
          continue;
        }
        const hash = proposalKey(configHash(exp.spec, config), files);
        const owner = seen.get(hash);
        if (owner) {
          const where = owner === 'proposal' ? 'another proposal of this batch' : owner;
          dropped.push({ reason: `duplicate: "${title}" has the same config as ${where}` });
          notes.push(`"${title}" duplicates ${where}: propose something different.`);
          continue;
        }
        const peeked = this.opts.backend ? await peekNewSources(exp, this.opts.backend, parentConfig.recipe, config.recipe, { signal: ctx.signal }) : [];
        if (ctx.signal?.aborted) return;
        const failedPeeks = peeked.filter((x) => !x.ok);
        if (failedPeeks.length) {
          invalid.push({ title, problems: failedPeeks.map((x) => `recipe.sources.${x.index}: loading a few rows failed: ${x.summary}`) });
          continue;
        }
        seen.set(hash, 'proposal');
        const checked = peeked.map((x) => `recipe.sources.${x.index}: ${x.summary}`);
        accepted.push({ ...this.toProposal(p, title, config, changes, parentId, client.model('researcher'), checked, ctx.step), ...(files.length ? { files } : {}) });
      }
      if (reply.proposals.length === 0) notes.push('You proposed nothing.');
      if (accepted.length >= k || round >= rounds) break;
      const lines = [
        ...(invalid.length ? ['These proposals were invalid:', ...invalid.map((x) => `- "${x.title}": ${x.problems.join('; ')}`)] : []),
        ...notes,
        accepted.length ? `Accepted so far: ${accepted.map((a) => `"${a.title}"`).join(', ')}.` : '',
        `Propose ${k - accepted.length} more child(ren) of ${parentId} (fixed versions of the invalid ones, or new ideas), as {"proposals": [...]}.`,
      ].filter(Boolean);
      messages.push({ role: 'user', content: lines.join('\n') });
    }
    for (const x of invalid) dropped.push({ reason: `invalid proposal "${x.title}" after ${round} attempt(s): ${x.problems.join('; ')}` });
    if (accepted.length < k && dropped.length === 0) dropped.push({ reason: `the model proposed ${accepted.length} of the ${k} requested children` });
  }

  private toProposal(p: ProposedChild, title: string, config: NodeConfig, changes: { path: string; from: unknown; to: unknown }[], parentId: string, model: string, checked: string[], step?: ExpansionStep): Proposal {
    const plan = [
      `# ${title}`,
      '',
      '## Hypothesis',
      '',
      p.hypothesis.trim(),
      '',
      '## Rationale',
      '',
      p.rationale.trim(),
      '',
      ...(p.evidence.length ? ['## Evidence', '', ...p.evidence.slice(0, 10).map((e) => `- ${inline(e, 400)}`), ''] : []),
      ...(step ? [`## Why ${parentId} was expanded (policy llm-uct)`, '', `Step: ${step.kind}. ${inline(step.reason, 600)}`, ''] : []),
      `## Changes vs ${parentId}`,
      '',
      ...changes.map((c) => `- \`${c.path}\`: ${JSON.stringify(c.from) ?? '(unset)'} → ${JSON.stringify(c.to) ?? '(removed)'}`),
      '',
      ...(p.files?.length ? ['## Data scripts in this node folder', '', ...p.files.map((f) => `- \`${f.path}\` (${f.content.length} characters)`), ''] : []),
      ...(checked.length ? ['## New data sources checked (a few rows loaded and mapped)', '', ...checked.map((c) => `- ${c}`), ''] : []),
      `_Proposed by the LLM Researcher (${inline(model, 80)})._`,
      '',
    ].join('\n');
    return { title, plan, config, changes };
  }
}

/** A file no script step runs is a mistake (a misspelt step path, most likely). */
function unusedFiles(files: readonly NodeFile[], recipe: JsonObject): string[] {
  const run = new Set(Array.isArray(recipe.filters) ? recipe.filters.map((f) => (f && typeof f === 'object' && !Array.isArray(f) && f.kind === 'script' ? f.path : undefined)) : []);
  return files.filter((f) => !run.has(f.path)).map((f) => `files: ${JSON.stringify(f.path)} is not run by any recipe.filters step {"kind": "script", "path": ${JSON.stringify(f.path)}}`);
}

function checkText(p: ProposedChild): string[] {
  const problems: string[] = [];
  if (!p.title.trim()) problems.push('title is empty');
  if (!p.hypothesis.trim()) problems.push('hypothesis is empty');
  if (!p.rationale.trim()) problems.push('rationale is empty');
  if (p.edits.length === 0) problems.push('no edits: a child must change the recipe or the training config');
  if (p.edits.length > MAX_EDITS) problems.push(`too many edits (${p.edits.length}; at most ${MAX_EDITS})`);
  return problems;
}
