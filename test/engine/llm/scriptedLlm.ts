// A scripted model for the end-to-end tests: research with tools, proposals (one a deliberate
// failure that the Executor then fixes), lessons, bad-case analysis.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { FakeReply, RecordedRequest } from './fakeOpenAI';

const proposal = (title: string, edits: [string, unknown][]) => ({
  title,
  hypothesis: `${title} will raise exact match`,
  rationale: 'Research notes say the output format matters; insights so far are thin.',
  evidence: ['research.md: reversed digits help small transformers'],
  edits: edits.map(([path, v]) => ({ path, value_json: JSON.stringify(v) })),
});

export function scriptedLlm(expDir: () => string) {
  let proposals = 0;
  const ideas = [
    proposal('long sequences, lower lr', [['train.max_seq_len', 512], ['train.learning_rate', 0.001]]),
    proposal('reversed answer digits', [['recipe.format.template', 'reversed']]),
    proposal('more epochs', [['train.epochs', 4]]),
    proposal('lr 1e-2', [['train.learning_rate', 0.01]]),
  ];
  return (req: RecordedRequest): FakeReply => {
    const system = String(req.body.messages[0]?.content ?? '');
    const toolTurns = req.body.messages.filter((m) => m.role === 'tool').length;
    if (req.kind === 'proposals') return { json: { proposals: [ideas[Math.min(proposals++, ideas.length - 1)]] }, usage: { prompt_tokens: 3000, completion_tokens: 400 } };
    if (req.kind === 'lessons') return { json: { worked: ['The baseline learns the task (n0000).'], failed: ['max_seq_len above 128 crashes the micro trainer (n0001).'], open_questions: ['Does the reversed template help?'], next_directions: ['Try reversed digits.'] } };
    if (req.kind === 'bad_case_analysis') return { json: { summary: 'Carries are dropped.', likely_causes: ['few carry examples'], suggestions: ['reversed template'] } };
    if (system.includes('You are the Researcher')) {
      if (toolTurns === 0) return { toolCalls: [{ name: 'search_arxiv', arguments: { query: 'teaching arithmetic small transformers' } }, { name: 'search_hf_datasets', arguments: { query: 'arithmetic' } }] };
      return {
        toolCalls: [
          {
            name: 'finish',
            arguments: {
              summary: 'Small transformers learn addition much faster with reversed output digits.',
              findings: [{ claim: 'Reversing the sum digits makes addition easy to learn', source_url: 'http://arxiv.org/abs/2307.03381v1' }],
              candidate_datasets: [{ id: 'openai/gsm8k', url: 'https://huggingface.co/datasets/openai/gsm8k', why: 'harder arithmetic word problems' }],
              candidate_models: [],
              training_ideas: ['reversed template', 'more data'],
              open_questions: [],
            },
          },
        ],
      };
    }
    if (system.includes('You are the Executor')) {
      const id = /Node (n\d{4})/.exec(String(req.body.messages[1]?.content ?? ''))?.[1] ?? 'n0001';
      if (toolTurns === 0) return { toolCalls: [{ name: 'read_log', arguments: { stage: 'train' } }, { name: 'read_file', arguments: { path: 'train.yaml' } }] };
      if (toolTurns === 2) {
        const train = parse(readFileSync(join(expDir(), 'nodes', id, 'train.yaml'), 'utf8')) as Record<string, unknown>;
        return { toolCalls: [{ name: 'write_file', arguments: { path: 'train.yaml', content: stringify({ ...train, max_seq_len: 96 }) } }, { name: 'cheap_check', arguments: {} }] };
      }
      return { toolCalls: [{ name: 'finish', arguments: { status: 'fixed', summary: 'max_seq_len 512 is above the micro trainer limit (128); set to 96.', changed_files: ['train.yaml'] } }] };
    }
    return { status: 400, body: `{"error":{"message":"unexpected request kind ${req.kind}"}}` };
  };
}
