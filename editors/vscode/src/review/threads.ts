// The rationale beside its unit: a read-only comment thread (VS Code's Comments API) on the
// unit's lines, with the rationale (or a skip's reason) as its first comment, the pair's quality
// flags with what each means after it (none for a pair without flags; the thread's title names
// them too), then each reviewer's standing verdict; and a thread on each line reviewers commented on, their comments in
// it. One pair per document at most; its threads are replaced when the document shows another.
import * as vscode from 'vscode';
import { FLAG_MEANINGS, flagsShort } from './flags';
import { LineComment, Review, Step, Verdict } from './protocol';

export const VERDICT_WORDS: Record<Verdict, string> = { accept: 'Accepted', reject: 'Rejected', flag: 'Flagged' };

/** The codicon of each verdict. */
export const VERDICT_CODICONS: Record<Verdict, string> = { accept: 'pass', reject: 'error', flag: 'warning' };
const VERDICT_COLOURS: Record<Verdict, string> = { accept: 'testing.iconPassed', reject: 'testing.iconFailed', flag: 'list.warningForeground' };

/** The codicon and colour of a verdict, or of a pair nobody has reviewed yet. */
export function verdictIcon(review: Review | null | undefined): vscode.ThemeIcon {
  if (!review) return new vscode.ThemeIcon('circle-large-outline');
  return new vscode.ThemeIcon(VERDICT_CODICONS[review.verdict], new vscode.ThemeColor(VERDICT_COLOURS[review.verdict]));
}

/** Where the unit's text is in the document: the first place it occurs, else the first line. */
export function unitRange(document: vscode.TextDocument, unitText: string | undefined): vscode.Range {
  const at = unitText ? document.getText().indexOf(unitText) : -1;
  if (at < 0) return new vscode.Range(0, 0, 0, 0);
  const start = document.positionAt(at);
  const end = document.positionAt(at + unitText!.length);
  return new vscode.Range(start.line, 0, end.line, 0);
}

/**
 * The threads, one per document at most. A thread exists only while its document is visible, so
 * that the Comments panel lists what is on screen rather than every pair looked at since: what
 * each document should show is kept, and the thread is made again when it comes back into view.
 */
export class RationaleThreads implements vscode.Disposable {
  private readonly controller = vscode.comments.createCommentController('rationale.rationales', 'Rationale');
  private readonly wanted = new Map<string, { uri: vscode.Uri; range: vscode.Range; step: Step; author: string }>();
  private readonly threads = new Map<string, vscode.CommentThread[]>();
  private readonly subscriptions = [
    vscode.window.onDidChangeVisibleTextEditors(() => this.sync()),
    vscode.workspace.onDidCloseTextDocument((document) => this.clear(document.uri)),
  ];

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.threads.forEach((threads) => threads.forEach((thread) => thread.dispose()));
    this.threads.clear();
    this.controller.dispose();
  }

  /** Shows `step`'s rationale (a `rationale` step) on `range` of `uri`, replacing the thread it had. */
  show(uri: vscode.Uri, range: vscode.Range, step: Step, author: string): void {
    this.clear(uri);
    this.wanted.set(uri.toString(), { uri, range, step, author });
    this.sync();
  }

  /** Brings the verdicts of the thread on `uri` up to date, if it shows `step`'s pair. */
  update(uri: vscode.Uri, step: Step, author: string): void {
    const wanted = this.wanted.get(uri.toString());
    if (!wanted || wanted.step.seq !== step.seq) return;
    wanted.step = step;
    wanted.author = author;
    // Made again: a new comment may be on a line that had none.
    this.threads.get(uri.toString())?.forEach((thread) => thread.dispose());
    this.threads.delete(uri.toString());
    this.sync();
  }

  /** The pair shown on `uri`, and where its unit starts: a line comment's line counts from there. */
  shown(uri: vscode.Uri): { step: Step; unitLine: number } | undefined {
    const wanted = this.wanted.get(uri.toString());
    return wanted && { step: wanted.step, unitLine: wanted.range.start.line };
  }

  clear(uri: vscode.Uri): void {
    this.wanted.delete(uri.toString());
    this.threads.get(uri.toString())?.forEach((thread) => thread.dispose());
    this.threads.delete(uri.toString());
  }

  private sync(): void {
    const visible = new Set(vscode.window.visibleTextEditors.map((editor) => editor.document.uri.toString()));
    for (const [key, threads] of this.threads) {
      if (visible.has(key)) continue;
      threads.forEach((thread) => thread.dispose());
      this.threads.delete(key);
    }
    for (const [key, { uri, range, step, author }] of this.wanted) {
      if (!visible.has(key) || this.threads.has(key)) continue;
      const thread = this.controller.createCommentThread(uri, range, comments(step, author));
      thread.canReply = false;
      thread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
      thread.label = label(step);
      thread.contextValue = 'rationale';
      const threads = [thread];
      for (const [line, remarks] of byLine(step.comments ?? [])) {
        const at = range.start.line + line;
        const lineThread = this.controller.createCommentThread(uri, new vscode.Range(at, 0, at, 0), remarks.map(lineComment));
        lineThread.canReply = false;
        lineThread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
        lineThread.label = `Line ${line + 1} of \`${step.unit?.name ?? 'the unit'}\``;
        lineThread.contextValue = 'rationale.line';
        threads.push(lineThread);
      }
      this.threads.set(key, threads);
    }
  }
}

function label(step: Step): string {
  const name = step.unit ? `\`${step.unit.name}\`` : 'the unit';
  const review = step.review;
  const what = step.type === 'skip' ? `${name} skipped` : step.type === 'unexplained' ? `${name} left unexplained` : `Why ${name} changed`;
  const flags = flagsShort(step.flags);
  const verdict = review ? VERDICT_WORDS[review.verdict].toLowerCase() : 'not reviewed yet';
  return `${what}${flags ? ` · ${flags}` : ''} · ${verdict}`;
}

function byLine(remarks: LineComment[]): Map<number, LineComment[]> {
  const lines = new Map<number, LineComment[]>();
  for (const remark of remarks) lines.set(remark.line, [...(lines.get(remark.line) ?? []), remark]);
  return lines;
}

function lineComment(remark: LineComment): vscode.Comment {
  const body = new vscode.MarkdownString();
  body.appendText(remark.note);
  return { body, mode: vscode.CommentMode.Preview, author: { name: remark.reviewer }, label: 'comment', timestamp: new Date(remark.ts) };
}

function comments(step: Step, author: string): vscode.Comment[] {
  const rationale = new vscode.MarkdownString();
  if (step.type === 'skip') rationale.appendText(`Skipped: ${step.reason || 'no reason given'}`);
  else if (step.type === 'unexplained') rationale.appendText('Left unexplained: the document was closed or the session ended with this change pending.');
  else rationale.appendText(step.rationale ?? '');
  const what = step.unit ? `${step.change ?? 'modified'} ${step.unit.kind}` : 'rationale';
  const list: vscode.Comment[] = [
    { body: rationale, mode: vscode.CommentMode.Preview, author: { name: author }, label: what, timestamp: new Date(step.ts) },
  ];
  if (step.flags?.length) {
    // The server's judgement of the text, not the author's words: a comment of its own, right
    // under the rationale, so that a reviewer reads both before judging.
    const body = new vscode.MarkdownString();
    step.flags.forEach((flag, i) => {
      if (i > 0) body.appendMarkdown('\n\n');
      body.appendMarkdown(`⚑ **${flag}**`);
      if (FLAG_MEANINGS[flag]) body.appendText(`: ${FLAG_MEANINGS[flag]}`);
    });
    list.push({ body, mode: vscode.CommentMode.Preview, author: { name: 'Quality flags' }, label: 'the server\'s reading of the rationale' });
  }
  for (const review of step.reviews ?? (step.review ? [step.review] : [])) {
    const body = new vscode.MarkdownString();
    body.appendMarkdown(`**${VERDICT_WORDS[review.verdict]}**`);
    if (review.note) {
      body.appendMarkdown(': ');
      body.appendText(review.note);
    }
    list.push({ body, mode: vscode.CommentMode.Preview, author: { name: review.reviewer }, label: 'review', timestamp: new Date(review.ts) });
  }
  return list;
}
