// The parts of the Rationale protocol the extension speaks, beyond the standard LSP: the
// `rationale/pendingChanges` and `rationale/changeTexts` requests, the arguments of `rationale.explain`, and the commands the
// server executes. The names are the spec's; see "The language server" in the spec.
import { RequestType } from 'vscode-languageclient/node';

/** A unit's kind as the server names it: `function`, `method`, `class`, and whatever else a
 *  language's `units.scm` captures (`interface`, `struct`, `impl`, ...; docs/languages.md). The
 *  server decides, and the extension only shows it, so any string is taken. */
export type UnitKind = string;
export type ChangeKind = 'modified' | 'added' | 'removed';

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

/** One pending change, as `rationale/pendingChanges` reports it. */
export interface PendingChange {
  id: string;
  uri: string;
  unit: { name: string; kind: UnitKind; range: LspRange };
  change: ChangeKind;
  previousName?: string;
  /** The server's words for the prompt, as its diagnostic says them: "Explain the change to
   *  function `helper`". */
  prompt: string;
  /** The unit has gone `settleMs` without an edit, or its document was saved: it has a prompt. */
  ready: boolean;
  edits: number;
  /** The unit's text at its baseline ("" for an added unit); `null` when over 16 KiB. */
  before: string | null;
  /** The unit's text now ("" for a removed unit); `null` when over 16 KiB. */
  after: string | null;
  /** A text was left out for its size: `rationale/changeTexts` answers both. */
  textsOmitted?: boolean;
}

export interface ChangeTexts {
  before: string;
  after: string;
}

/** Both texts of a pending change, whatever their size. */
export const changeTextsRequest = new RequestType<{ changeId: string }, ChangeTexts, void>('rationale/changeTexts');

export interface PendingChangesParams {
  uri?: string;
}

export interface PendingChangesResult {
  changes: PendingChange[];
  /** The shortest rationale `rationale.record` accepts for these changes (trimmed, in characters). */
  minRationaleChars?: number;
}

export const pendingChangesRequest = new RequestType<PendingChangesParams, PendingChangesResult, void>(
  'rationale/pendingChanges',
);

/** The single argument of `rationale.explain`, as the server puts it in code actions and lenses. */
export interface ExplainArguments {
  changeId: string;
  uri: string;
  unit: string;
  kind: UnitKind;
  change?: ChangeKind;
  prompt?: string;
}

/** The quality of a pair, as `rationale.record` answers it (see docs/quality.md). */
export interface Quality {
  flags: string[];
  generic: number;
  no_why: number;
  restates_diff: number | null;
  duplicate_of: string | null;
  typed_share: number | null;
  largest_insert: number | null;
  edit_seconds: number | null;
  compose_ms: number | null;
}

/** The argument of `rationale.record`: `dryRun` judges the rationale and records nothing. */
export interface RecordArguments {
  changeId?: string;
  changeIds?: string[];
  text: string;
  composeMs?: number;
  dryRun?: boolean;
}

/** The answer of `rationale.record`: no pairs for a dry run; `hint` is the server's words for the
 *  nudge, `null` when the rationale does not earn one. */
export interface RecordResult {
  pairId?: string;
  pairIds?: string[];
  quality: Quality | null;
  qualities: Quality[];
  hint: string | null;
}

export const EXPLAIN = 'rationale.explain';
export const RECORD = 'rationale.record';
export const SKIP = 'rationale.skip';

/** The commands this extension implements itself; the server leaves them to it. */
export const CLIENT_COMMANDS = [EXPLAIN];
