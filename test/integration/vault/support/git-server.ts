import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TestPki } from './pki';
import { listenOnLoopback } from '../../../support/listen';

// A git smart-HTTP server over HTTPS on loopback: `git http-backend` behind a small CGI wrapper that demands
// `Authorization: Basic base64(<user>:<token>)` (or `Bearer <token>`) on every request, fetch and push alike.

export interface GitServer {
  port: number;
  /** The bare repositories' root; `project.git` is there with one commit on main. */
  root: string;
  /** Authorization outcome of every request (true = credentials were right). */
  auth: boolean[];
  close(): Promise<void>;
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'pipe' });

export async function startGitServer(pki: TestPki, user: string, token: string): Promise<GitServer> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hangar-git-'));
  const work = path.join(root, 'work');
  git(root, 'init', '-q', work);
  writeFileSync(path.join(work, 'README.md'), '# project served over smart HTTP\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'first');
  git(root, 'clone', '-q', '--bare', work, 'project.git');
  git(path.join(root, 'project.git'), 'config', 'http.receivepack', 'true');
  const auth: boolean[] = [];
  const expected = new Set([`Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`, `Bearer ${token}`]);
  const server = https.createServer({ key: pki.keyPem, cert: pki.certPem }, (req, res) => {
    const ok = expected.has(req.headers.authorization ?? '');
    auth.push(ok);
    if (!ok) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="hangar-test"', 'content-type': 'text/plain' });
      return res.end('authentication required\n');
    }
    const url = new URL(req.url ?? '/', 'https://git.invalid');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    };
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    req.pipe(cgi.stdin);
    cgi.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => (started ? res.end() : res.writeHead(500).end('http-backend failed\n')));
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    port,
    root,
    auth,
    close,
  };
}
