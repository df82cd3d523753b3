import path from 'node:path';
import * as vscode from 'vscode';

// What the composer offers after `@`: the repository's files, relative and `/`-separated, as the agent sees them in
// its copy. VS Code's file search honours `files.exclude`; dependency and VCS folders are left out too, since
// nobody mentions a file inside node_modules by name.

const LIMIT = 10_000;
const EXCLUDE = '**/{node_modules,.git}/**';

/** Up to 10,000 files under `root`, sorted; none when `root` is not a folder VS Code can search. */
export async function mentionableFiles(root: string): Promise<string[]> {
  const found = await Promise.resolve(vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(root), '**/*'), EXCLUDE, LIMIT)).catch(() => []);
  return found
    .map((uri) => path.relative(root, uri.fsPath).split(path.sep).join('/'))
    .filter((rel) => rel !== '' && !rel.startsWith('../'))
    .sort();
}
