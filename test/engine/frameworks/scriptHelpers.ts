// The script step the local and ssh prepare tests run: a file under the experiment's data/.

/** Upper-cases every prompt and adds one example marked `tag`. */
export function markingScript(tag: string): string {
  return [
    'import json, sys',
    'for line in sys.stdin:',
    '    row = json.loads(line)',
    "    row['prompt'] = row['prompt'].upper()",
    '    print(json.dumps(row))',
    `print(json.dumps({'prompt': 'Review: made by ${tag}'.upper(), 'response': 'positive', 'source': '${tag}'}))`,
    '',
  ].join('\n');
}

export const SCRIPT = 'data/mark.py';
