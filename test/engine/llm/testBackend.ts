// The backend for the LLM tests: the engine's own LocalBackend (real detached processes).
import { LocalBackend, runnerDir, type Backend } from '../../../src/engine';

export async function testBackend(experimentDir: string, _scratch?: string): Promise<Backend> {
  return new LocalBackend({ experimentDir, runnerDir: runnerDir(), python: process.env.TREX_PYTHON ?? '/usr/bin/python3', capacity: 2 });
}
