// The reviewer's requests of `rationale lsp`, as the spec names them: `rationale/sessions`,
// `rationale/timeline`, `rationale/replay`, `rationale/review` and `rationale/reviewQueue`. Only these types and the
// request objects live here; everything that calls them goes through `Journals` (journals.ts).
import { RequestType } from 'vscode-languageclient/node';

export type Verdict = 'accept' | 'reject' | 'flag';

/** One recorded session of one workspace folder. */
export interface SessionInfo {
  id: string;
  author: string;
  /** RFC 3339 UTC. */
  started: string;
  /** Absent while the session is being recorded. */
  ended?: string;
  files: string[];
  /** Explained pairs. */
  pairs: number;
  /** Pairs with at least one quality flag (absent from a server older than the flags). */
  flagged?: number;
  skips: number;
  /** Pairs with at least one verdict. */
  reviewed: number;
  /** The folder's name. */
  workspace: string;
  /** The workspace folder's absolute path: several folders may hold a session with the same id. */
  folder: string;
}

export interface SessionsResult {
  sessions: SessionInfo[];
  /** Journals that could not be read, as "<file>:<line>: message". */
  errors?: string[];
}

/** A reviewer's standing verdict on a pair. */
export interface Review {
  verdict: Verdict;
  reviewer: string;
  ts: string;
  note?: string;
}

/** A reviewer's remark on one line (0-based) of a pair's `after` text. */
export interface LineComment {
  line: number;
  note: string;
  reviewer: string;
  ts: string;
}

export type StepType = 'open' | 'change' | 'resync' | 'save' | 'close' | 'rationale' | 'skip' | 'unexplained' | 'end';

/** One record of a session's journal (the `session` record aside). */
export interface Step {
  seq: number;
  ts: string;
  type: StepType;
  path?: string;
  /** For a `change`: how many content changes it holds. */
  edits?: number;
  unit?: { name: string; kind: string; previousName?: string };
  change?: 'modified' | 'added' | 'removed';
  /** `<session>:<seq>`, for a `rationale`, `skip` or `unexplained`: what a verdict names. */
  pairId?: string;
  rationale?: string;
  /** The unit's whole text before and after, for a `rationale` or `skip`. */
  before?: string;
  after?: string;
  reason?: string;
  /** The most recent standing verdict of any reviewer. */
  review?: Review | null;
  /** Every reviewer's standing verdict. */
  reviews?: Review[];
  /** Every line comment, by line. */
  comments?: LineComment[];
  /** A pair's quality flags (`generic`, `restates_diff`, `no_why`, `duplicate`); empty for a
   *  skip, an unexplained change and a pair without a flag. */
  flags?: string[];
}

export interface TimelineParams {
  session: string;
  granularity: 'pairs' | 'edits';
  folder?: string;
  /** The `seq` the page starts at (default: the first step). */
  from?: number;
  /** At most this many steps (default 500, at most 5,000). */
  limit?: number;
}

/** A page of a timeline. */
export interface TimelinePage {
  steps: Step[];
  /** The `from` of the next page; null after the last. */
  next: number | null;
  /** How many steps the whole timeline has. */
  total: number;
}

export interface ReplayParams {
  session: string;
  path: string;
  seq: number;
  side?: 'before' | 'after';
  folder?: string;
}

export interface ReviewParams {
  /** A pair's, a skip's or an unexplained change's id. */
  pairId: string;
  verdict?: Verdict;
  note?: string;
  /** With `note`: a comment on this line (0-based) of the `after` text. */
  line?: number;
  folder?: string;
}

/** One entry of the review queue: a pair, skip or unexplained change of any workspace. */
export interface QueueEntry {
  id: string;
  type: 'rationale' | 'skip' | 'unexplained';
  session: string;
  seq: number;
  ts: string;
  author: string;
  workspace: string;
  folder: string;
  path: string;
  unit: { name: string; kind: string; previousName?: string };
  change: 'modified' | 'added' | 'removed';
  /** The unit's whole text before and after (empty for an unexplained change). */
  before: string;
  after: string;
  rationale?: string;
  reason?: string;
  flags: string[];
  review: Review | null;
  reviews: Review[];
  comments: LineComment[];
}

export interface QueueParams {
  filter?: { author?: string; flag?: string; unreviewed?: boolean };
  from?: number;
  limit?: number;
}

export interface QueueResult {
  entries: QueueEntry[];
  next: number | null;
  total: number;
  errors: string[];
}

export const sessionsRequest = new RequestType<Record<string, never>, SessionsResult, void>('rationale/sessions');
export const timelineRequest = new RequestType<TimelineParams, TimelinePage, void>('rationale/timeline');
export const replayRequest = new RequestType<ReplayParams, { text: string; version: number }, void>('rationale/replay');
export const reviewRequest = new RequestType<ReviewParams, Record<string, never>, void>('rationale/review');
export const queueRequest = new RequestType<QueueParams, QueueResult, void>('rationale/reviewQueue');
