// The editor's settings for the server: the spec's configuration keys, in camelCase, under the
// `rationale` section. Only the keys a person has set (in user, workspace or folder settings) are
// sent, so that `rationale.toml` at the workspace root keeps its say where VS Code has none; the
// defaults in package.json only document the server's own defaults, but for `codelens`, which
// VS Code leaves off unless asked (see `showCodeLenses`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** The keys the server reads, as the spec names them (camelCase). */
export const SERVER_KEYS = ['settleMs', 'minRationaleChars', 'codelens', 'exclude', 'author', 'whyMarker'] as const;

/** The setting's value where a person set it: folder over workspace over user. */
function explicit<T>(config: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const seen = config.inspect<T>(key);
  if (!seen) return undefined;
  return seen.workspaceFolderValue ?? seen.workspaceValue ?? seen.globalValue;
}

function configuration(): vscode.WorkspaceConfiguration {
  // One server serves every folder with one set of editor settings, so the first folder's view
  // of the settings is the one sent.
  return vscode.workspace.getConfiguration('rationale', vscode.workspace.workspaceFolders?.[0]);
}

/** The settings object the server receives as `initializationOptions` and on every change. */
export function serverSettings(): Record<string, unknown> {
  const config = configuration();
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = explicit<unknown>(config, key);
    if (value !== undefined) settings[key] = value;
  }
  return settings;
}

/**
 * Whether VS Code shows the code lenses: the setting if set, else `codelens` in the `rationale.toml`
 * of the document's folder, else no. The server's own default is on, but in VS Code a lens that
 * appears pushes the code down a line while the person reads it, and the diagnostic, the quick fix
 * and the status bar already say the same; so the extension leaves lenses off unless asked.
 */
export function showCodeLenses(documentUri: vscode.Uri): boolean {
  const fromSetting = explicit<boolean>(vscode.workspace.getConfiguration('rationale', documentUri), 'codelens');
  if (typeof fromSetting === 'boolean') return fromSetting;
  const folder = vscode.workspace.getWorkspaceFolder(documentUri);
  if (folder && folder.uri.scheme === 'file') {
    const fromFile = readTomlValue(path.join(folder.uri.fsPath, 'rationale.toml'), 'codelens', '(true|false)');
    if (fromFile !== undefined) return fromFile === 'true';
  }
  return false;
}

/** A top-level `key = <value>` of a small TOML file, the value matching `pattern` (one group). */
function readTomlValue(file: string, key: string, pattern: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*\[/.test(line)) return undefined; // the first table ends the top level
    const match = new RegExp(`^\\s*${key}\\s*=\\s*${pattern}\\s*(#.*)?$`).exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** Characters as the server counts them: Unicode scalar values of the trimmed text. */
export function rationaleLength(text: string): number {
  return [...text.trim()].length;
}
