// Finding the `rationale` binary: `$RATIONALE_SERVER_PATH`, else the setting
// `rationale.server.path`, else the binary bundled in the extension, else `rationale` on `PATH`.
// Every candidate is checked with `--version` before it is used. A path the person named
// (the variable or the setting) that does not work is an error, not a reason to quietly run
// another binary.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXE = process.platform === 'win32' ? 'rationale.exe' : 'rationale';

export interface Server {
  path: string;
  /** What `--version` printed, e.g. `rationale 0.1.0`. */
  version: string;
  /** Where it came from, for the log: "$RATIONALE_SERVER_PATH", "the setting rationale.server.path", ... */
  source: string;
}

export class ServerNotFound extends Error {
  constructor(
    message: string,
    /** One line per place looked at, for the output channel. */
    readonly tried: string[],
  ) {
    super(message);
  }
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** Runs `<binary> --version`; the version line, or why it did not work. */
function checkVersion(binary: string): { version: string } | { problem: string } {
  if (!fs.existsSync(binary)) return { problem: 'no such file' };
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (run.error) return { problem: run.error.message };
  if (run.status !== 0) {
    const said = (run.stderr || run.stdout || '').trim().split('\n')[0];
    return { problem: `\`--version\` exited with ${run.status ?? run.signal}${said ? `: ${said}` : ''}` };
  }
  const version = run.stdout.trim().split('\n')[0];
  if (!/^rationale\b/.test(version)) return { problem: `\`--version\` printed "${version}", not "rationale <version>"` };
  return { version };
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, EXE);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function findServer(extensionPath: string): Server {
  const tried: string[] = [];
  const fromEnv = process.env.RATIONALE_SERVER_PATH?.trim();
  const fromSetting = vscode.workspace.getConfiguration('rationale').get<string>('server.path', '').trim();

  // A path the person chose: use it or say exactly why not.
  const chosen: [string, string][] = [];
  if (fromEnv) chosen.push(['$RATIONALE_SERVER_PATH', fromEnv]);
  if (fromSetting) chosen.push(['the setting rationale.server.path', fromSetting]);
  for (const [source, given] of chosen) {
    const binary = path.resolve(expandHome(given));
    const checked = checkVersion(binary);
    if ('version' in checked) return { path: binary, version: checked.version, source };
    tried.push(`${source}: ${binary}: ${checked.problem}`);
    throw new ServerNotFound(
      `The Rationale server named by ${source} (${binary}) does not work: ${checked.problem}. ` +
        `Fix or clear ${source === '$RATIONALE_SERVER_PATH' ? 'the variable' : 'the setting'}, then run "Rationale: Restart Server".`,
      tried,
    );
  }
  tried.push('$RATIONALE_SERVER_PATH: not set', 'the setting rationale.server.path: not set');

  const bundled = path.join(extensionPath, 'server', EXE);
  const checkedBundled = checkVersion(bundled);
  if ('version' in checkedBundled) return { path: bundled, version: checkedBundled.version, source: 'the bundled server' };
  tried.push(`the bundled server: ${bundled}: ${checkedBundled.problem}`);

  const found = onPath();
  if (found) {
    const checked = checkVersion(found);
    if ('version' in checked) return { path: found, version: checked.version, source: 'PATH' };
    tried.push(`PATH: ${found}: ${checked.problem}`);
  } else {
    tried.push(`PATH: no \`${EXE}\` in any of its folders`);
  }
  throw new ServerNotFound(
    'Rationale found no working language server. Install it with `cargo install --locked --path server` ' +
      'from a Rationale checkout (or install the .vsix built for your platform, which bundles it), or set ' +
      '"rationale.server.path" to the binary; then run "Rationale: Restart Server".',
    tried,
  );
}
