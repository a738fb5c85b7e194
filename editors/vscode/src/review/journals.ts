// What the reviewer's views know about the recorded sessions: the server's answers to
// `rationale/sessions`, `rationale/timeline` (the pairs, every page) and `rationale/reviewQueue`
// (a page of `QUEUE_PAGE` entries at a time, as the views and *Next in Queue* reach it), cached until something changes them (a verdict, *Refresh*, a journal or reviews file changed on
// disk, a restarted server), and the requests that read or write one thing (a page of a timeline,
// one record of it, `rationale/replay`, `rationale/review`).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  QueueEntry,
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

/** Entries a page of the review queue holds: a team's folder may queue tens of thousands, and the
 *  Queue view and *Next in Queue* ask for one page at a time as the reviewer gets to it. */
export const QUEUE_PAGE = 200;

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
  /** Pages of the whole queue (no filter), by where they start: 0, QUEUE_PAGE, 2 × QUEUE_PAGE... */
  private readonly queuePages = new Map<number, Promise<QueueResult>>();
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
    this.queuePages.clear();
    this.pairLists.clear();
    this.changed.fire();
  }

  /** After a journal or reviews file changed on disk: asks again, and drops what the views show
   *  only if the answers differ. A session being recorded changes its journal at every edit, and
   *  redrawing the views each time would take a click on a row away from under the pointer. */
  async refreshIfChanged(): Promise<void> {
    // The pages asked for so far, asked again; none while the Queue was never opened.
    const froms = [...this.queuePages.keys()].sort((a, b) => a - b);
    const before = JSON.stringify([
      await this.sessionList?.catch(() => undefined),
      ...(await Promise.all(froms.map((from) => this.queuePages.get(from)?.catch(() => undefined)))),
    ]);
    const fresh = this.request((client) => client.sendRequest(sessionsRequest, {})).then((r) => ({ sessions: r.sessions, errors: r.errors ?? [] }));
    const pages = froms.map((from) => this.request((client) => client.sendRequest(queueRequest, { from, limit: QUEUE_PAGE })).catch(() => undefined));
    const after = JSON.stringify([await fresh.catch(() => undefined), ...(await Promise.all(pages))]);
    if (after !== before) this.refresh();
  }

  /** The page of the whole review queue, across every workspace, that starts at `from` (a multiple
   *  of QUEUE_PAGE): kept until something changes, so that the view and *Next in Queue* share it. */
  queuePage(from: number): Promise<QueueResult> {
    let page = this.queuePages.get(from);
    if (!page) {
      const asked = this.request((client) => client.sendRequest(queueRequest, { from, limit: QUEUE_PAGE }));
      page = asked;
      this.queuePages.set(from, asked);
      asked.catch(() => this.queuePages.get(from) === asked && this.queuePages.delete(from));
    }
    return page;
  }

  /** The entries of the whole queue from place `start` on, with their places, a page at a time as
   *  the caller reads on (it stops reading when it has found what it wanted). */
  async *queueFrom(start: number): AsyncGenerator<{ entry: QueueEntry; index: number }> {
    const { total } = await this.queuePage(0);
    for (let from = start - (start % QUEUE_PAGE); from < total; from += QUEUE_PAGE) {
      const page = await this.queuePage(from);
      for (let i = Math.max(0, start - from); i < page.entries.length; i++) yield { entry: page.entries[i], index: from + i };
      if (page.next === null) return;
    }
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
    this.queuePages.clear();
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
