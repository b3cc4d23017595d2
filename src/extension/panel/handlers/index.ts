// One handler per request type; the compiler checks every request of the protocol has one.
import type { RequestType } from '../../../../webview/protocol';
import type { RequestHandler } from '../requestHandler';
import { approveNode } from './approveNode';
import { compareNodes } from './compareNodes';
import { compareWithParent } from './compareWithParent';
import { experimentOverview } from './experimentOverview';
import { exportNode } from './exportNode';
import { forkNode } from './forkNode';
import { knobTable } from './knobTable';
import { nodeDetails } from './nodeDetails';
import { openNodeFile } from './openNodeFile';
import { openStageLog } from './openStageLog';
import { pruneNode } from './pruneNode';
import { ready } from './ready';
import { rejectNode } from './rejectNode';
import { runNode } from './runNode';
import { selectNode } from './selectNode';

export const requestHandlers: { [T in RequestType]: RequestHandler<T> } = {
  ready,
  nodeDetails,
  selectNode,
  pruneNode,
  forkNode,
  runNode,
  approveNode,
  rejectNode,
  openNodeFile,
  openStageLog,
  compareWithParent,
  exportNode,
  compareNodes,
  knobTable,
  experimentOverview,
};
