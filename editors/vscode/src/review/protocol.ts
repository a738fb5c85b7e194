// The reviewer's requests of `rationale lsp`, as the spec names them: `rationale/sessions`,
// `rationale/timeline`, `rationale/replay` and `rationale/review`. Only these types and the
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

export type StepType = 'open' | 'change' | 'resync' | 'save' | 'close' | 'rationale' | 'skip' | 'end';

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
  /** `<session>:<seq>`, for a `rationale`. */
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
  pairId: string;
  verdict: Verdict;
  note?: string;
}

export const sessionsRequest = new RequestType<Record<string, never>, SessionsResult, void>('rationale/sessions');
export const timelineRequest = new RequestType<TimelineParams, TimelinePage, void>('rationale/timeline');
export const replayRequest = new RequestType<ReplayParams, { text: string; version: number }, void>('rationale/replay');
export const reviewRequest = new RequestType<ReviewParams, Record<string, never>, void>('rationale/review');
