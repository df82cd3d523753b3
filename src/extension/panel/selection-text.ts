// "Hangar: Add Selection to Chat" puts the selection into the composer as text the agent can use. No vscode import:
// unit-tested in Node.

/**
 * The editor selection as composer text: the file (workspace-relative), its line range and the text in a fenced
 * block, so the agent knows where the snippet lives and can open the file in its copy.
 */
export function selectionContext(relPath: string, startLine: number, endLine: number, languageId: string, text: string): string {
  const lines = startLine === endLine ? `line ${startLine}` : `lines ${startLine}-${endLine}`;
  const longestRun = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longestRun + 1);
  return `@${relPath} (${lines}):\n${fence}${languageId}\n${text.replace(/\n$/, '')}\n${fence}\n`;
}
