import { buildCompareData, MAX_COMPARED } from '../compareNodes';
import { nodeIdOf, sessionOf, type RequestHandler } from '../requestHandler';

export const compareNodes: RequestHandler<'compareNodes'> = (ctx, data) => {
  const ids: unknown = data.ids;
  if (!Array.isArray(ids) || ids.length < 2 || ids.length > MAX_COMPARED) throw new Error(`compare takes 2 to ${MAX_COMPARED} nodes`);
  const checked = ids.map((id: unknown) => nodeIdOf(ctx, { id }));
  if (new Set(checked).size !== checked.length) throw new Error('compare got the same node twice');
  return buildCompareData(sessionOf(ctx).experiment, checked);
};
