// What the reviewer's views know about the recorded sessions: the server's answers to
// `rationale/sessions` and `rationale/timeline` (the pairs, every page), cached until something
// changes them (a verdict, *Refresh*, a restarted server), and the requests that read or write one
// thing (a page of a timeline, `rationale/replay`, `rationale/review`).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
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
    this.pairLists.clear();
    this.changed.fire();
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

  /** One page of the session's timeline: what a replay fetches as the reviewer moves. */
  page(session: SessionInfo, granularity: 'pairs' | 'edits', from: number, limit: number): Promise<TimelinePage> {
    return this.request((client) => client.sendRequest(timelineRequest, { session: session.id, granularity, folder: session.folder, from, limit }));
  }

  /** The text of a document of the session after record `seq` (`before`: with the pair's unit at its baseline). */
  async replay(params: ReplayParams): Promise<string> {
    return this.request(async (client) => (await client.sendRequest(replayRequest, params)).text);
  }

  /** Records a verdict (on disk once this resolves); the session's pairs and counts are asked again. */
  async review(session: SessionInfo, pairId: string, verdict: Verdict, note?: string): Promise<void> {
    await this.request((client) => client.sendRequest(reviewRequest, note ? { pairId, verdict, note } : { pairId, verdict }));
    this.sessionList = undefined;
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
