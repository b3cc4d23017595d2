// Live progress in the terminal: a line per running node (stage, step, loss, elapsed), redrawn in
// place on a TTY, and a line per finished node.
import type { StageProgress, TreeEvent, ExperimentTree } from '../engine';
import { describeChanges } from '../engine';

const fmtScore = (x: number | undefined | null) => (x === undefined || x === null ? '—' : x.toFixed(4));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export class ProgressView {
  private readonly live = new Map<string, StageProgress>();
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastPlain = new Map<string, string>();

  constructor(
    private readonly tree: ExperimentTree,
    private readonly out: NodeJS.WriteStream,
    private readonly tty = !!out.isTTY && process.env.TERM !== 'dumb',
  ) {
    if (this.tty) this.timer = setInterval(() => this.redraw(), 250);
  }

  onProgress(p: StageProgress): void {
    this.live.set(p.nodeId, p);
    if (!this.tty) {
      // Without a TTY, print a line when the stage changes or a quarter of the steps passed.
      const quarter = p.total && p.step ? Math.floor((4 * p.step) / p.total) : -1;
      const key = `${p.stage}:${p.phase ?? ''}:${quarter}`;
      if (this.lastPlain.get(p.nodeId) !== key) {
        this.lastPlain.set(p.nodeId, key);
        this.print(`  ${this.liveLine(p)}`);
      }
    }
  }

  onEvent(e: TreeEvent): void {
    const tree = this.tree;
    switch (e.type) {
      case 'node_created':
        if (e.parent) this.print(`+ ${e.id} ← ${e.parent}: ${e.title}`);
        else this.print(`+ ${e.id}: baseline`);
        break;
      case 'node_result': {
        this.live.delete(e.id);
        const n = tree.get(e.id);
        const r = e.result;
        const extra = r.reusedFrom ? ` (reused ${r.reusedFrom}, saved ${secs(r.savedMs)})` : `${r.warmStartFrom ? ` (warm start from ${r.warmStartFrom})` : ''}${r.dataCacheHit ? ' (cached data)' : ''}`;
        this.print(`✓ ${e.id} ${tree.metric}=${fmtScore(r.score)} test=${fmtScore(r.testScore)} in ${secs(r.computeMs)}${extra}  [${describeChanges(n)}]`);
        break;
      }
      case 'node_failed':
        this.live.delete(e.id);
        this.print(`✗ ${e.id} failed in ${e.stage}: ${e.reason.split('\n')[0]}`);
        break;
      case 'node_status':
        if (e.status === 'pending' && e.reason) {
          this.live.delete(e.id);
          this.print(`… ${e.id} ${e.reason}`);
        }
        break;
      case 'node_stopped_early':
        this.live.delete(e.id);
        this.print(`⏸ ${e.id} ${e.reason}`);
        break;
      case 'proposal_dropped':
        this.print(`- proposal for ${e.parent} dropped: ${e.reason}`);
        break;
      case 'expansion_chosen':
        this.print(`→ expand ${e.id}${e.kind ? ` (${e.kind})` : ''} of ${e.shortlist.join(', ')}: ${e.reason}`);
        break;
      case 'research_refreshed':
        this.print(`~ research refreshed${e.ok ? '' : ' (did not complete)'}: ${e.reason}`);
        break;
      default:
        break;
    }
  }

  private liveLine(p: StageProgress): string {
    const step = p.step !== undefined ? ` step ${p.step}${p.total ? `/${p.total}` : ''}` : p.phase && p.phase !== 'training' ? ` ${p.phase}` : '';
    const loss = p.loss !== undefined ? ` loss ${p.loss.toFixed(4)}` : '';
    const where = p.where && p.where !== 'local' ? ` @${p.where}` : '';
    return `${p.nodeId} ${p.stage.padEnd(8)}${step}${loss}  ${secs(Date.now() - p.startedAtMs)}${where}`;
  }

  print(line: string): void {
    this.clear();
    this.out.write(line + '\n');
    this.redraw();
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.tty) return;
    this.clear();
    const lines = [...this.live.values()].map((p) => `  ⟳ ${this.liveLine(p)}`);
    for (const l of lines) this.out.write(l + '\n');
    this.drawn = lines.length;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }
}
