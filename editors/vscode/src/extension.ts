// The Rationale extension: starts the `rationale lsp` language server for the files of every
// language it reads (`LANGUAGES` of generated.ts, generated from the server's table), implements
// `rationale.explain` (see explain.ts), counts and lists what is waiting to be explained (see
// pending.ts), and lets reviewers replay sessions and review their pairs (see review/).
//
// `restart()` is the only code that starts the server: activation calls it, and so does
// *Rationale: Restart Server*.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import * as vscode from 'vscode';
import {
  CodeLensRequest,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { VirtualDocuments } from './documents';
import { Explainer, UNIT_SCHEME } from './explain';
import { inExplainOrder, Pending, PendingItem, pendingItem, revealUnit } from './pending';
import { CLIENT_COMMANDS, EXPLAIN, ExplainArguments, SKIP } from './protocol';
import { registerQuickFix } from './quickfix';
import { registerReview, Review } from './review';
import { findServer, ServerNotFound } from './server';
import { createTraceChannel } from './trace';
import { LANGUAGES } from './generated';
import { SERVER_KEYS, serverSettings } from './settings';

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let trace: vscode.LogOutputChannel & vscode.Disposable;
let pending: Pending;
let review: Review;
let restarting: Promise<void> = Promise.resolve();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('Rationale', { log: true });
  trace = createTraceChannel();
  pending = new Pending(() => client);
  const documents = new VirtualDocuments();
  const explainer = new Explainer(context.workspaceState, documents, () => client, pending);
  review = registerReview(context, () => client, documents);

  context.subscriptions.push(
    output,
    trace,
    registerQuickFix(pending),
    pending,
    documents,
    documents.register(UNIT_SCHEME),
    vscode.commands.registerCommand(EXPLAIN, (args?: ExplainArguments) => explainer.explain(args)),
    vscode.commands.registerCommand('rationale.explainNext', () => explainer.explainNext()),
    vscode.commands.registerCommand('rationale.explainSeveral', () => explainer.explainSeveral()),
    vscode.commands.registerCommand('rationale.showPending', () => showPending(explainer)),
    vscode.commands.registerCommand('rationale.restartServer', () => confirmRestart(context)),
    vscode.commands.registerCommand('rationale.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('rationale.server.path')) {
        void vscode.window
          .showInformationMessage('Rationale: the server path changed; restart the server to use it.', 'Restart Server')
          .then((pick) => pick && confirmRestart(context));
      } else if (SERVER_KEYS.some((key) => event.affectsConfiguration(`rationale.${key}`))) {
        // Lenses follow `rationale.codelens` at once, not at the next edit: asked for again once
        // the server has the new settings (it applies them before it reads the next message).
        const lenses = event.affectsConfiguration('rationale.codelens');
        void sendSettings().then(() => lenses && refreshCodeLenses(vscode.workspace.textDocuments.map((d) => d.uri)));
      }
    }),
    // The count follows the server's prompts (it publishes a diagnostic when a change becomes
    // ready and withdraws it when it is explained) and the edits that make changes pending.
    vscode.languages.onDidChangeDiagnostics((event) => {
      pending.scheduleRefresh();
      refreshCodeLenses(event.uris);
    }),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (LANGUAGES.includes(event.document.languageId) && event.contentChanges.length) pending.scheduleRefresh(500);
    }),
    vscode.workspace.onDidCloseTextDocument(() => pending.scheduleRefresh()),
  );
  await restart(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop().catch(() => undefined);
  client = undefined;
}

function log(line: string): void {
  output.info(line);
}

/**
 * *Restart Server*. A new server takes the documents as they are as its baselines, so the
 * pending changes of this one are forgotten (their edits stay in its journal): say so first.
 */
async function confirmRestart(context: vscode.ExtensionContext): Promise<void> {
  const count = client?.isRunning() ? (await pending.refresh()).length : 0;
  if (count > 0) {
    const restartAnyway = 'Restart';
    const pick = await vscode.window.showWarningMessage(
      `Restarting the Rationale server forgets ${count} pending change${count === 1 ? '' : 's'}: ` +
        'the new server starts from the files as they are now. Their edits stay in the journal, unexplained.',
      { modal: true },
      restartAnyway,
    );
    if (pick !== restartAnyway) return;
  }
  return restart(context);
}

/** Stops the running server, if any, and starts a new one. Calls are queued, never interleaved. */
function restart(context: vscode.ExtensionContext): Promise<void> {
  restarting = restarting.then(() => restartNow(context)).catch((err) => log(`restart failed: ${err}`));
  return restarting;
}

async function restartNow(context: vscode.ExtensionContext): Promise<void> {
  if (client) {
    const old = client;
    client = undefined;
    log('stopping the server');
    await old.stop(5000).catch((err) => log(`the server did not stop cleanly: ${err}`));
    await old.dispose().catch(() => undefined);
  }
  pending.setState({ kind: 'starting' });

  let server;
  try {
    server = findServer(context.extensionPath);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    output.error(message);
    if (err instanceof ServerNotFound) err.tried.forEach((line) => output.error(`  tried ${line}`));
    pending.setState({ kind: 'failed', message });
    void vscode.window
      .showErrorMessage(message, 'Open Settings', 'Show Output', 'Retry')
      .then((pick) => {
        if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'rationale.server.path');
        if (pick === 'Show Output') output.show(true);
        if (pick === 'Retry') void restart(context);
      });
    return;
  }
  log(`using ${server.version} from ${server.source}: ${server.path}`);

  const serverOptions: ServerOptions = {
    command: server.path,
    args: ['lsp'],
    transport: TransportKind.stdio, // vscode-languageclient appends --stdio, which the server accepts
    options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
    outputChannel: output,
    traceOutputChannel: trace,
    stdioOptions: { stdout: forwardLines((line) => output.info(line)), stderr: forwardLines(logServerLine) },
    initializationOptions: { clientCommands: CLIENT_COMMANDS, ...serverSettings() },
    middleware: {
      executeCommand: async (command, args, next) => {
        const result = await next(command, args);
        // *Skip* from the quick fix runs on the server; say that it was done.
        if (command === SKIP) skipped(args[0]?.changeId);
        return result;
      },
    },
  };
  const started = new LanguageClient('rationale', 'Rationale', serverOptions, clientOptions);
  started.onDidChangeState((event) => {
    if (client !== started) return;
    if (event.newState === State.Stopped) pending.setState({ kind: 'stopped' });
    if (event.newState === State.Running) {
      pending.setState({ kind: 'running', version: server.version });
      pending.scheduleRefresh(0);
      review.serverStarted();
    }
  });
  client = started;
  try {
    await started.start();
  } catch (err) {
    const message = `the server did not start: ${err instanceof Error ? err.message : String(err)}`;
    output.error(message);
    if (client === started) pending.setState({ kind: 'failed', message });
    void vscode.window.showErrorMessage(`Rationale: ${message}`, 'Show Output').then((pick) => pick && output.show(true));
    return;
  }
  pending.setState({ kind: 'running', version: server.version });
  await pending.refresh();
}

/**
 * Asks VS Code for the code lenses again. A lens appears when a change becomes *ready*, which
 * the server announces with a diagnostic, not with `workspace/codeLens/refresh`; VS Code asks
 * for lenses only after an edit (when the change is not ready yet), so without this the lens
 * would wait for the next edit.
 */
function refreshCodeLenses(uris: readonly vscode.Uri[]): void {
  if (!client?.isRunning()) return;
  const feature = client.getFeature(CodeLensRequest.method);
  const documents = vscode.workspace.textDocuments;
  const fired = new Set<unknown>();
  for (const uri of uris) {
    const document = documents.find((d) => d.uri.toString() === uri.toString());
    const shape = document && feature.getProvider(document);
    if (shape && !fired.has(shape)) {
      fired.add(shape);
      shape.onDidChangeCodeLensEmitter.fire();
    }
  }
}

/** A short confirmation that a change was skipped, gone after a few seconds. */
function skipped(changeId?: string): void {
  const unit = pending.current.find((change) => change.id === changeId)?.unit.name;
  vscode.window.setStatusBarMessage(`$(check) Rationale: skipped ${unit ? `\`${unit}\`` : 'the change'}: no explanation needed`, 4000);
  pending.scheduleRefresh(0);
}

/** Calls `sink` with every line of `input`. */
function forwardLines(sink: (line: string) => void): (input: Readable) => void {
  return (input) => createInterface({ input, crlfDelay: Infinity, terminal: false }).on('line', sink);
}

/**
 * The server logs to stderr through `tracing` ("<time>  INFO target: message"). Each line goes to
 * the output channel at its own level, without the server's timestamp (the channel adds one),
 * rather than every line as an error.
 */
function logServerLine(line: string): void {
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  const match = /^\S+Z\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$/.exec(plain);
  if (!match) return output.info(plain);
  const [, level, message] = match;
  const text = `server: ${message}`;
  if (level === 'ERROR') output.error(text);
  else if (level === 'WARN') output.warn(text);
  else if (level === 'INFO') output.info(text);
  else if (level === 'DEBUG') output.debug(text);
  else output.trace(text);
}

/** Tells the running server about changed settings (section `rationale`, explicit values only). */
async function sendSettings(): Promise<void> {
  if (!client?.isRunning()) return;
  await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { rationale: serverSettings() } });
}

const EXPLAIN_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('comment'), tooltip: 'Explain this change' };
const SKIP_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('circle-slash'), tooltip: 'Skip: no explanation needed' };

/** *Show Pending Changes*: every pending change; Enter jumps to the unit, the buttons explain or skip it. */
async function showPending(explainer: Explainer): Promise<void> {
  if (!client?.isRunning()) {
    void vscode.window.showWarningMessage('Rationale: the language server is not running.');
    return;
  }
  const changes = inExplainOrder(await pending.refresh());
  if (changes.length === 0) {
    void vscode.window.showInformationMessage('Rationale: no pending changes.');
    return;
  }
  const pick = vscode.window.createQuickPick<PendingItem>();
  pick.title = `Rationale: ${changes.length} pending change${changes.length === 1 ? '' : 's'}`;
  pick.placeholder = 'Pick a change to go to its unit; the buttons explain or skip it';
  pick.matchOnDescription = true;
  pick.items = changes.map((change) => ({ ...pendingItem(change), buttons: [EXPLAIN_BUTTON, SKIP_BUTTON] }));
  const chosen = await new Promise<{ item: PendingItem; action: 'go' | 'explain' | 'skip' } | undefined>((resolve) => {
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0];
      resolve(item && { item, action: 'go' });
      pick.hide();
    });
    pick.onDidTriggerItemButton((event) => {
      resolve({ item: event.item, action: event.button === SKIP_BUTTON ? 'skip' : 'explain' });
      pick.hide();
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (!chosen) return;
  const { change } = chosen.item;
  if (chosen.action === 'go') {
    await revealUnit(change);
  } else if (chosen.action === 'explain') {
    await revealUnit(change);
    await explainer.explain({ changeId: change.id, uri: change.uri, unit: change.unit.name, kind: change.unit.kind, change: change.change });
  } else {
    try {
      await client.sendRequest(ExecuteCommandRequest.type, { command: SKIP, arguments: [{ changeId: change.id }] });
      skipped(change.id);
    } catch (err) {
      void vscode.window.showErrorMessage(`Rationale: could not skip \`${change.unit.name}\`: ${err instanceof Error ? err.message : String(err)}`);
    }
    pending.scheduleRefresh(0);
  }
}
