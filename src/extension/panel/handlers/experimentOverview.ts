import { buildExperimentOverview } from '../experimentOverview';
import { sessionOf, type RequestHandler } from '../requestHandler';

export const experimentOverview: RequestHandler<'experimentOverview'> = (ctx) => buildExperimentOverview(sessionOf(ctx).experiment);
