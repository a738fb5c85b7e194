// The read-only documents a reviewer looks at, served through URI schemes of ours by the
// extension's one provider (`VirtualDocuments`, ../documents.ts):
//
// - `rationale-pair:` the two sides of a pair's diff: the unit's file after the pair's record,
//   and the same file with the unit at its baseline. Each URI names one fixed text
//   (session, folder, seq, side), asked of the server (`rationale/replay`) when it is opened.
// - `rationale-replay:` the documents of a replay, one per file of the session; its text is
//   whatever the replay's current step says, and changes as the replay steps.
//
// The URI's path is the file's workspace-relative path, so that the tab is named after the file
// and the text is highlighted as its language.
import * as vscode from 'vscode';
import { Journals } from './journals';
import { SessionInfo, Step } from './protocol';

export const PAIR_SCHEME = 'rationale-pair';
export const REPLAY_SCHEME = 'rationale-replay';

/** What a `rationale-pair:` URI names. */
export interface PairSide {
  session: string;
  folder: string;
  seq: number;
  path: string;
  side: 'before' | 'after';
}

export function pairSideUri(session: SessionInfo, step: Step, side: 'before' | 'after'): vscode.Uri {
  const query = new URLSearchParams({ session: session.id, folder: session.folder, seq: String(step.seq), side });
  return vscode.Uri.from({ scheme: PAIR_SCHEME, path: `/${step.path ?? ''}`, query: query.toString() });
}

export function parsePairSide(uri: vscode.Uri): PairSide | undefined {
  if (uri.scheme !== PAIR_SCHEME) return undefined;
  const query = new URLSearchParams(uri.query);
  const seq = Number(query.get('seq'));
  const session = query.get('session');
  const folder = query.get('folder');
  if (!session || folder === null || !Number.isInteger(seq)) return undefined;
  return { session, folder, seq, path: uri.path.replace(/^\//, ''), side: query.get('side') === 'before' ? 'before' : 'after' };
}

/** The text of a `rationale-pair:` document, from the server: what the one provider
 *  (`VirtualDocuments`) asks for a pair side it was never given. */
export function pairSideText(journals: Journals): (uri: vscode.Uri) => Promise<string> {
  return async (uri) => {
    const side = parsePairSide(uri);
    if (!side) throw new Error(`Rationale: not a pair document: ${uri.toString()}`);
    try {
      return await journals.replay({
        session: side.session,
        folder: side.folder,
        path: side.path,
        seq: side.seq,
        side: side.side,
      });
    } catch (err) {
      throw new Error(`Rationale could not rebuild ${side.path} at record ${side.seq}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

/** Under a folder named after the session, so that the tab and breadcrumbs tell it from the file itself. */
export function replayUri(session: SessionInfo, path: string): vscode.Uri {
  const query = new URLSearchParams({ folder: session.folder });
  return vscode.Uri.from({ scheme: REPLAY_SCHEME, path: `/${session.id}/${path}`, query: query.toString() });
}
