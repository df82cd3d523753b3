import http from 'node:http';
import { listenOnLoopback } from './listen';

// A reverse proxy that lets a request through only with `Authorization: Bearer <token>` (401 otherwise), the way a
// hosted MCP server guards itself. It strips the header before forwarding, so the server behind it never sees it.

export interface BearerProxy {
  url: string;
  /** Authorization headers of refused requests, and how many requests were let through. */
  refused: string[];
  passed: number;
  close(): Promise<void>;
}

export async function startBearerProxy(target: string, token: string): Promise<BearerProxy> {
  const upstream = new URL(target);
  const proxy: BearerProxy = { url: '', refused: [], passed: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      proxy.refused.push(req.headers.authorization ?? '(none)');
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="mcp"' });
      res.end(JSON.stringify({ error: 'unauthorized' }));
      req.resume();
      return;
    }
    proxy.passed += 1;
    const headers = { ...req.headers, host: upstream.host };
    delete headers.authorization;
    const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`upstream unreachable: ${err.message}`);
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  const { port, close } = await listenOnLoopback(server);
  proxy.url = `http://127.0.0.1:${port}${upstream.pathname}`;
  proxy.close = close;
  return proxy;
}
