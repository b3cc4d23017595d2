// Experiment trackers (MLflow, W&B, TensorBoard) that receive every finished node as a run.
export { TrackingObserver, openTracking, createTrackers, type TrackingOptions } from './observer';
export { resolveTracking, type ResolvedTracking, type TrackingOverrides } from './settings';
export { buildNodeRun, stepsFromProgress, stepsFromTrainerLog, type NodeRunRecord, type RunStep } from './nodeRun';
export { MlflowTracker } from './mlflow';
export { TRACKING_LOG } from './trackerQueue';
export type { Tracker } from './tracker';
