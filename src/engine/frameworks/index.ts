// Training frameworks: what a node's stages run, per train.yaml `framework`.
export * from './types';
export * from './stages';
export * from './memory';
export * from './modelInfo';
export * from './trainConfig';
export * from './compute';
export { warmStartFile, warmStartTail, type WarmStartTail } from './warmStart';
export { datasetInfo, llamafactoryConfig } from './llamafactory';
export { trlConfig } from './trl';
export { lmEvalCommand, lmEvalModelArgs } from './evaluation';
