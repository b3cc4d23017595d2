// The red-team case table: each hostile case is registered here with its category, run as its own
// test, and counted by the summary test, which prints how many ran and that all held.
export interface HostileCase {
  category: string;
  name: string;
  /** Skip reason when the machine lacks what the case needs (isolation, sshd). */
  skip?: string | false;
  run: () => Promise<void> | void;
}

export const CASES: HostileCase[] = [];
export const held = new Set<string>();

export function hostile(category: string, name: string, run: HostileCase['run'], skip?: string | false): void {
  CASES.push({ category, name, run, skip });
}
