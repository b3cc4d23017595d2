// Runs the engine's search loop inside the extension host, one per experiment: start, pause
// (let running nodes finish, start nothing new), stop (cancel running stages now; those nodes go
// back to the queue and resume on the next start).
import * as vscode from 'vscode';
import { openSearchSession, type Search, type SearchSummary } from '../../engine';
import type { ExperimentSession } from '../experiments/experimentSession';
import type { ApiKeyStore } from '../secrets';
import { readSettings } from '../settings';
import { confirmNewHost } from './backendFor';
import { searchRequestFromSettings } from './sessionRequest';
import { askFolderConsent } from './folderConsent';

interface ActiveSearch {
  search: Search;
  controller: AbortController;
  done: Promise<SearchSummary | undefined>;
  pauseWatch?: vscode.Disposable;
}

export class SearchController implements vscode.Disposable {
  private readonly active = new Map<string, ActiveSearch>();
  private readonly summaryEmitter = new vscode.EventEmitter<{ session: ExperimentSession; summary: SearchSummary | undefined; error?: Error }>();
  /** A search ended (summary undefined when it failed). */
  readonly onDidEnd = this.summaryEmitter.event;

  constructor(
    private readonly apiKeys: ApiKeyStore,
    private readonly isManualRunActive: (session: ExperimentSession) => boolean,
  ) {}

  isRunning(session: ExperimentSession): boolean {
    return this.active.has(session.dir);
  }

  /** Starts the search and returns once it is running (preflight done); it goes on in the background. */
  async start(session: ExperimentSession): Promise<void> {
    if (this.active.has(session.dir)) return;
    if (this.isManualRunActive(session)) throw new Error('a node you started by hand is still running; wait for it or cancel it, then start the search');
    const settings = readSettings(vscode.Uri.file(session.dir));
    const exp = session.experiment;
    const notice = (m: string) => vscode.window.setStatusBarMessage(`TREX: ${m}`, 8000);
    await askFolderConsent(exp.spec, exp.dir);
    const opened = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `TREX: preparing ${session.name}`, cancellable: false },
      async (progress) => {
        progress.report({ message: 'checking the compute backend (Python, PyTorch, disk)…' });
        return openSearchSession(exp, {
          ...searchRequestFromSettings(settings, await this.apiKeys.get(), exp.dir, process.env),
          confirmNewHost,
          acquireLock: () => session.acquireLock(),
          onProgress: (p) => session.reportProgress(p),
          onNotice: notice,
        });
      },
    );
    notice(opened.proposerNotice);
    const search = opened.search;
    const controller = new AbortController();
    session.setSearchState('running');
    const done = search.run(controller.signal).then(
      (summary) => {
        this.summaryEmitter.fire({ session, summary });
        return summary;
      },
      (error: Error) => {
        this.summaryEmitter.fire({ session, summary: undefined, error });
        return undefined;
      },
    );
    const entry: ActiveSearch = { search, controller, done };
    this.active.set(session.dir, entry);
    void done.finally(async () => {
      entry.pauseWatch?.dispose();
      this.active.delete(session.dir);
      await opened.close().catch(() => undefined);
      session.setSearchState('idle');
    });
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `$(beaker) TREX search: ${session.name}` }, () => done);
  }

  /** Lets running nodes finish, then stops; nothing new starts meanwhile. */
  pause(session: ExperimentSession): void {
    const entry = this.active.get(session.dir);
    if (!entry || entry.pauseWatch) return;
    session.setSearchState('pausing');
    const waitingFor = new Set([...session.experiment.tree.nodes.values()].filter((n) => n.status === 'running').map((n) => n.id));
    const check = () => {
      for (const id of waitingFor) {
        if (session.experiment.tree.nodes.get(id)?.status !== 'running') waitingFor.delete(id);
      }
      if (waitingFor.size === 0) entry.controller.abort();
    };
    entry.pauseWatch = session.onDidEvent(check);
    check();
  }

  /** Stops now: running stages are cancelled and their nodes resume on the next start. */
  stop(session: ExperimentSession): void {
    const entry = this.active.get(session.dir);
    if (!entry) return;
    session.setSearchState('stopping');
    entry.controller.abort();
  }

  /** Wakes the loop after a prune, an approval or a fork, so it reconsiders what to run. */
  poke(session: ExperimentSession): void {
    this.active.get(session.dir)?.search.poke();
  }

  /** Resolves when the session's search has ended (at once if none runs). */
  async whenStopped(session: ExperimentSession): Promise<void> {
    await this.active.get(session.dir)?.done;
  }

  dispose(): void {
    // Jobs are detached processes: leaving them running lets the next window re-attach to them.
    for (const entry of this.active.values()) entry.pauseWatch?.dispose();
    this.summaryEmitter.dispose();
  }
}
