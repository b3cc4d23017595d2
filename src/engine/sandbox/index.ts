export { detectIsolation, describeIsolation, type Isolation } from './isolation';
export { runConfined, confinedEnv, SETUP_FAILED, type ConfinedCommand, type ConfinedResult } from './confine';
