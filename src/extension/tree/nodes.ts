// Tree elements: plain data, also the argument shape of the commands they carry (a command run from the palette
// with {sessionId, path, hunkId} behaves like one run from the node).

export type SessionNode = { kind: 'session'; sessionId: string };
export type FileNode = { kind: 'file'; sessionId: string; path: string };
export type HunkNode = { kind: 'hunk'; sessionId: string; path: string; hunkId: string };
export type InfoNode = { kind: 'info'; sessionId: string; message: string };
export type ThreadNode = { kind: 'thread'; sessionId: string; threadId: string };
export type McpNode = { kind: 'mcp'; sessionId: string; server: string };
/** A file the session's agent left in /mnt/session/outputs/, captured into the Files API. */
export type OutputNode = { kind: 'output'; sessionId: string; fileId: string };
export type AgentNode = { kind: 'agent'; agentId: string };
export type AgentVersionNode = { kind: 'agentVersion'; agentId: string; version: number };

export type MemoryStoreNode = { kind: 'memoryStore'; storeId: string };
/** A folder of a store's memories (a memory_prefix, `/notes/`). */
export type MemoryFolderNode = { kind: 'memoryFolder'; storeId: string; prefix: string };
export type MemoryNode = { kind: 'memory'; storeId: string; memoryId: string; path: string };
export type MemoryVersionNode = { kind: 'memoryVersion'; storeId: string; memoryId: string; path: string; versionId: string };

export type SessionTreeNode = SessionNode | ThreadNode | McpNode | OutputNode | FileNode | HunkNode | InfoNode;

/** A Sessions row's id (its TreeItem id): the same row keeps it across repaints, so VS Code keeps it expanded. */
export function nodeId(node: SessionTreeNode): string {
  switch (node.kind) {
    case 'session':
      return `session:${node.sessionId}`;
    case 'thread':
      return `thread:${node.sessionId}:${node.threadId}`;
    case 'mcp':
      return `mcp:${node.sessionId}:${node.server}`;
    case 'output':
      return `output:${node.sessionId}:${node.fileId}`;
    case 'file':
      return `file:${node.sessionId}:${node.path}`;
    case 'hunk':
      return `hunk:${node.sessionId}:${node.path}:${node.hunkId}`;
    case 'info':
      return `info:${node.sessionId}:${node.message}`;
  }
}
export type AgentTreeNode = AgentNode | AgentVersionNode;
export type MemoryTreeNode = MemoryStoreNode | MemoryFolderNode | MemoryNode | MemoryVersionNode;
