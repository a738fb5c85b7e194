// A pair's quality flags as a reviewer reads them: the flag's name, as the server sends it in
// `flags` (timeline steps, queue entries), and one line saying what it means, in the words of
// docs/quality.md. The Sessions view, the Queue, the Review Pair list and the thread beside a
// pair's unit all say them the same way. A pair without flags shows nothing extra.
import * as vscode from 'vscode';

/** What each flag means, in a line. A flag this list does not know (a newer server's) is shown by
 *  its name alone rather than hidden. */
export const FLAG_MEANINGS: Record<string, string> = {
  generic: 'says nothing specific: too few words, or only filler ("fix", "update", "misc")',
  restates_diff: 'repeats the names and values of the change itself and gives no reason',
  no_why: 'states no reason, purpose or problem',
  duplicate: 'nearly repeats an earlier rationale of the same author, written for another change',
};

/** The flags, or none. */
function known(flags: readonly string[] | undefined): readonly string[] {
  return flags ?? [];
}

/** "⚑ generic, no_why" for a description, "" when there is no flag. */
export function flagsShort(flags: readonly string[] | undefined): string {
  const list = known(flags);
  return list.length ? `⚑ ${list.join(', ')}` : '';
}

/** "generic: says nothing specific…" for each flag, one a line. */
export function flagLines(flags: readonly string[] | undefined): string[] {
  return known(flags).map((flag) => (FLAG_MEANINGS[flag] ? `${flag}: ${FLAG_MEANINGS[flag]}` : flag));
}

/** The flags with their meanings appended to a tooltip, under a heading; nothing without flags. */
export function appendFlags(tooltip: vscode.MarkdownString, flags: readonly string[] | undefined): void {
  const lines = flagLines(flags);
  if (!lines.length) return;
  tooltip.appendMarkdown('\n\n**Quality flags**\n');
  for (const line of lines) {
    tooltip.appendMarkdown('\n- ');
    tooltip.appendText(line);
  }
}
