import { buildKnobTable } from '../knobTable';
import { sessionOf, type RequestHandler } from '../requestHandler';

export const knobTable: RequestHandler<'knobTable'> = (ctx) => buildKnobTable(sessionOf(ctx).experiment);
