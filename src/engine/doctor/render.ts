// The doctor's report as a terminal table: one row per check, then the fixes.
import type { DoctorReport, RowStatus } from './assess';

const MARK: Record<RowStatus, string> = { ok: '✓', limited: '~', unusable: '✗', none: '–' };

export function renderDoctor(r: DoctorReport): string {
  const head = ['', 'check', 'needs', 'has'];
  const body = r.rows.map((row) => [MARK[row.status], row.name, row.needs, row.has]);
  const width = head.map((_, i) => Math.max(...[head, ...body].map((cells) => [...cells[i]].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(width[i] - [...c].length))).join('  ');
  const out = [`trex doctor — ${r.backend}${r.python ? ` — python ${r.python}` : ''}`];
  if (r.note) out.push(r.note);
  out.push('', line(head), ...body.map(line));
  const issues = r.rows.filter((row) => row.problems.length || row.fix);
  if (issues.length) {
    out.push('');
    for (const row of issues) {
      out.push(`${MARK[row.status]} ${row.name}: ${row.problems.join('; ')}`);
      if (row.fix) out.push(`    fix: ${row.fix}`);
    }
  }
  out.push('', r.usable ? `The default framework (${r.defaultFramework}) can train here.` : `The default framework (${r.defaultFramework}) cannot train here: see the fixes above.`);
  return out.join('\n') + '\n';
}
