// The editor's settings for the server: the server's settings, in camelCase, under the
// `rationale` section. Only the keys a person has set (in user, workspace or folder settings) are
// sent, so that `rationale.toml` at the workspace root keeps its say where VS Code has none; the
// defaults in package.json are the server's own (package.json's settings are generated from the
// server's table, as `generated.ts` is).
import * as vscode from 'vscode';
import { SERVER_KEYS } from './generated';

export { SERVER_KEYS };

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

/** Characters as the server counts them: Unicode scalar values of the trimmed text. */
export function rationaleLength(text: string): number {
  return [...text.trim()].length;
}
