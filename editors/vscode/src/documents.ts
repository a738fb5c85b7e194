// The read-only documents the extension shows, whatever their scheme: a unit's before and after
// beside the explain box (`rationale-unit:`, see explain.ts), the two sides of a recorded pair
// (`rationale-pair:`) and the files of a replay (`rationale-replay:`, see review/documents.ts).
// One provider serves them all: a text given with `set` is served as it is (and the editor showing
// it follows when it changes); any other is asked of the scheme's loader, if it has one.
import * as vscode from 'vscode';

export class VirtualDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly loaders = new Map<string, (uri: vscode.Uri) => Promise<string>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  dispose(): void {
    this.changed.dispose();
  }

  /** Serves `scheme`; `load` gives the text of a document of it that was never `set`. */
  register(scheme: string, load?: (uri: vscode.Uri) => Promise<string>): vscode.Disposable {
    if (load) this.loaders.set(scheme, load);
    return vscode.workspace.registerTextDocumentContentProvider(scheme, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string | Promise<string> {
    const text = this.texts.get(uri.toString());
    if (text !== undefined) return text;
    return this.loaders.get(uri.scheme)?.(uri) ?? '';
  }

  /** The text last `set` for `uri`. */
  text(uri: vscode.Uri): string | undefined {
    return this.texts.get(uri.toString());
  }

  /** Gives `uri` a new text; resolves once an open document shows it (so that decorations land on
   *  it), or at once when none is open. */
  async set(uri: vscode.Uri, text: string): Promise<void> {
    const key = uri.toString();
    this.texts.set(key, text);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (!open || open.getText() === text) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        subscription.dispose();
        resolve();
      };
      const subscription = vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.uri.toString() === key && event.document.getText() === text) done();
      });
      const timer = setTimeout(done, 3000);
      this.changed.fire(uri);
    });
  }

  /** Drops the text of `uri` (its document was closed for good). */
  forget(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }
}
