import { exportNodeAction } from '../../actions/nodeActions';
import { nodeIdOf, sessionOf, type RequestHandler } from '../requestHandler';

export const exportNode: RequestHandler<'exportNode'> = async (ctx, data) => {
  await exportNodeAction(sessionOf(ctx), nodeIdOf(ctx, data));
};
