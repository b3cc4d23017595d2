// Who set each changed field of a node: the user (baseline, fork, hand edit), the offline
// proposer, the LLM Researcher or the Executor agent. Recorded on every change in node_created and
// node_edited events, so a reader can tell what a person chose from what a model chose.
import type { EdgeChange, FieldSetter, NodeOrigin } from './events';

export const FIELD_SETTERS: readonly FieldSetter[] = ['user', 'offline', 'researcher', 'executor'];
const LABELS: Record<FieldSetter, string> = { user: 'you', offline: 'offline proposer', researcher: 'Researcher', executor: 'Executor' };

export function isFieldSetter(v: unknown): v is FieldSetter {
  return typeof v === 'string' && (FIELD_SETTERS as readonly string[]).includes(v);
}

/** Who set the changes of a new node when the caller did not say: a fork is the user's; a proposal its proposer's. */
export function defaultSetter(origin: NodeOrigin, proposer?: string): FieldSetter {
  if (origin !== 'proposer') return 'user';
  return !proposer || proposer.startsWith('offline') ? 'offline' : 'researcher';
}

/** The new changes, each attributed: unchanged from before (same path and value) keeps its setter; the rest are `by`'s. */
export function attributeChanges(before: readonly EdgeChange[], after: readonly EdgeChange[], by: FieldSetter): EdgeChange[] {
  return after.map((c) => {
    const same = before.find((b) => b.path === c.path && JSON.stringify(b.to) === JSON.stringify(c.to));
    return { path: c.path, from: c.from, to: c.to, by: same?.by ?? by };
  });
}

/** One line for views: `path: from → to (set by Researcher)`. */
export function describeChange(c: EdgeChange): string {
  return `${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}${c.by ? ` (set by ${LABELS[c.by]})` : ''}`;
}
