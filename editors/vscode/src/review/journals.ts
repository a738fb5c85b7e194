// What the reviewer's views know about the recorded sessions: the server's answers to
// `rationale/sessions`, `rationale/timeline` (the pairs, every page) and `rationale/reviewQueue`,
// cached until something changes them (a verdict, *Refresh*, a journal or reviews file changed on
// disk, a restarted server), and the requests that read or write one thing (a page of a timeline,
// one record of it, `rationale/replay`, `rationale/review`).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  QueueParams,
  QueueResult,
  queueRequest,
  replayRequest,
  ReplayParams,
  reviewRequest,
  SessionInfo,
  sessionsRequest,
  Step,
  TimelinePage,
  timelineRequest,
  Verdict,
} from './protocol';

/** The server is not running: the views say so instead of failing one request at a time. */
export class NotRunning extends Error {
  constructor() {
    super('the Rationale language server is not running');
  }
}

/** A session is named by its folder and id: one id may be recorded in several folders. */
export function sessionKey(session: { id: string; folder: string }): string {
  return `${session.folder}\u0000${session.id}`;
}

/** The server's sentence, without vscode-languageclient's "Request … failed with message:". */
export function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^Request \S+ failed with message: /, '');
}

export class Journals implements vscode.Disposable {
  private sessionList: Promise<{ sessions: SessionInfo[]; errors: string[] }> | undefined;
  private readonly pairLists = new Map<string, Promise<Step[]>>();
  private queuePage: Promise<QueueResult> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when cached answers were dropped: whoever shows them asks again. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly client: () => LanguageClient | undefined) {}

  dispose(): void {
    this.changed.dispose();
  }

  private running(): LanguageClient {
    const client = this.client();
    if (!client?.isRunning()) throw new NotRunning();
    return client;
  }

  /** Forgets every answer (the journals may have grown: the session being recorded does). */
  refresh(): void {
    this.sessionList = undefined;
    this.queuePage = undefined;
    this.pairLists.clear();
    this.changed.fire();
  }

  /** After a journal or reviews file changed on disk: asks again, and drops what the views show
   *  only if the answers differ. A session being recorded changes its journal at every edit, and
   *  redrawing the views each time would take a click on a row away from under the pointer. */
  async refreshIfChanged(): Promise<void> {
    const before = JSON.stringify([await this.sessionList?.catch(() => undefined), await this.queuePage?.catch(() => undefined)]);
    const fresh = this.request((client) => client.sendRequest(sessionsRequest, {})).then((r) => ({ sessions: r.sessions, errors: r.errors ?? [] }));
    const queue = this.request((client) => client.sendRequest(queueRequest, {}));
    const after = JSON.stringify([await fresh.catch(() => undefined), await queue.catch(() => undefined)]);
    if (after !== before) this.refresh();
  }

  /** The first page of the review queue across every workspace (the view's); other pages and
   *  filters are asked each time. */
  queue(params: QueueParams = {}): Promise<QueueResult> {
    const ask = () => this.request((client) => client.sendRequest(queueRequest, params));
    if (Object.keys(params).length > 0) return ask();
    if (!this.queuePage) {
      const asked = ask();
      this.queuePage = asked;
      asked.catch(() => this.queuePage === asked && (this.queuePage = undefined));
    }
    return this.queuePage;
  }

  /** Every session of every workspace folder, oldest first, and the journals that could not be read. */
  sessions(): Promise<{ sessions: SessionInfo[]; errors: string[] }> {
    if (!this.sessionList) {
      const asked = this.request(async (client) => {
        const result = await client.sendRequest(sessionsRequest, {});
        return { sessions: result.sessions, errors: result.errors ?? [] };
      });
      this.sessionList = asked;
      asked.catch(() => this.sessionList === asked && (this.sessionList = undefined));
    }
    return this.sessionList;
  }

  /** The session's pairs (its `rationale` records), in order, with their verdicts: every page of them. */
  pairs(session: SessionInfo): Promise<Step[]> {
    const key = sessionKey(session);
    let steps = this.pairLists.get(key);
    if (!steps) {
      const asked = this.request(async (client) => {
        const all: Step[] = [];
        let from: number | null | undefined;
        do {
          const page = await client.sendRequest(timelineRequest, { session: session.id, granularity: 'pairs', folder: session.folder, from: from ?? undefined, limit: 5000 });
          all.push(...page.steps);
          from = page.next;
        } while (from !== null && from !== undefined);
        return all;
      });
      steps = asked;
      this.pairLists.set(key, asked);
      asked.catch(() => this.pairLists.get(key) === asked && this.pairLists.delete(key));
    }
    return steps;
  }

  /** Record `seq` of the session as a step, with its verdicts and comments (a page of one). */
  async step(session: SessionInfo, seq: number): Promise<Step | undefined> {
    return (await this.page(session, 'edits', seq, 1)).steps.find((s) => s.seq === seq);
  }

  /** One page of the session's timeline: what a replay fetches as the reviewer moves. */
  page(session: SessionInfo, granularity: 'pairs' | 'edits', from: number, limit: number): Promise<TimelinePage> {
    return this.request((client) => client.sendRequest(timelineRequest, { session: session.id, granularity, folder: session.folder, from, limit }));
  }

  /** The text of a document of the session after record `seq` (`before`: with the pair's unit at its baseline). */
  async replay(params: ReplayParams): Promise<string> {
    return this.request(async (client) => (await client.sendRequest(replayRequest, params)).text);
  }

  /** Records a verdict (on disk once this resolves) in the session's folder; the session's pairs
   *  and counts, and the queue, are asked again. */
  async review(session: SessionInfo, pairId: string, verdict: Verdict, note?: string): Promise<void> {
    const params = note ? { pairId, verdict, note } : { pairId, verdict };
    await this.request((client) => client.sendRequest(reviewRequest, { ...params, folder: session.folder }));
    this.forget(session);
  }

  /** Records a comment on line `line` (0-based) of the pair's `after` text. */
  async comment(session: SessionInfo, pairId: string, line: number, note: string): Promise<void> {
    await this.request((client) => client.sendRequest(reviewRequest, { pairId, line, note, folder: session.folder }));
    this.forget(session);
  }

  private forget(session: SessionInfo): void {
    this.sessionList = undefined;
    this.queuePage = undefined;
    this.pairLists.delete(sessionKey(session));
    this.changed.fire();
  }

  private async request<T>(ask: (client: LanguageClient) => Promise<T>): Promise<T> {
    const client = this.running();
    try {
      return await ask(client);
    } catch (err) {
      throw new Error(errorText(err));
    }
  }
}
