// The protocol trace, governed by the setting `rationale.trace.server` alone.
//
// vscode-languageclient 11 traces only when its trace channel's log level is Trace (set through
// *Developer: Set Log Level…*), and then reads `trace.server` just to choose between messages and
// verbose. A person who sets `rationale.trace.server` expects to see a trace, so the trace goes to
// its own channel, "Rationale Trace", whose log level follows the setting.
import * as vscode from 'vscode';

function levelFromSetting(): vscode.LogLevel {
  const setting = vscode.workspace.getConfiguration('rationale').get<string>('trace.server', 'off');
  return setting === 'off' ? vscode.LogLevel.Info : vscode.LogLevel.Trace;
}

export function createTraceChannel(): vscode.LogOutputChannel & vscode.Disposable {
  const channel = vscode.window.createOutputChannel('Rationale Trace');
  const levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
  let logLevel = levelFromSetting();
  const watcher = vscode.workspace.onDidChangeConfiguration((event) => {
    if (!event.affectsConfiguration('rationale.trace.server')) return;
    logLevel = levelFromSetting();
    levelChanged.fire(logLevel);
  });
  const line = (level: string, message: string | Error, ...args: unknown[]) => {
    const text = message instanceof Error ? message.stack ?? message.message : message;
    const extra = args.length ? ` ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}` : '';
    channel.appendLine(`${new Date().toISOString()} [${level}] ${text}${extra}`);
  };
  return {
    name: channel.name,
    get logLevel() {
      return logLevel;
    },
    onDidChangeLogLevel: levelChanged.event,
    trace: (message, ...args) => line('trace', message, ...args),
    debug: (message, ...args) => line('debug', message, ...args),
    info: (message, ...args) => line('info', message, ...args),
    warn: (message, ...args) => line('warning', message, ...args),
    error: (message, ...args) => line('error', message, ...args),
    append: (value) => channel.append(value),
    appendLine: (value) => channel.appendLine(value),
    replace: (value) => channel.replace(value),
    clear: () => channel.clear(),
    show: (columnOrPreserve?: vscode.ViewColumn | boolean, preserveFocus?: boolean) =>
      typeof columnOrPreserve === 'boolean' || columnOrPreserve === undefined
        ? channel.show(columnOrPreserve)
        : channel.show(columnOrPreserve, preserveFocus),
    hide: () => channel.hide(),
    dispose: () => {
      watcher.dispose();
      levelChanged.dispose();
      channel.dispose();
    },
  };
}
