import https from 'node:https';
import type { TestPki } from './pki';
import { listenOnLoopback } from '../../../support/listen';

// An HTTPS API on loopback that wants `Authorization: Bearer <token>`: /api answers whether the request was
// authorised, /echo returns the request's headers and body (the way a hostile or careless upstream would echo a
// credential back), /headers lists the header names it got.

export interface Upstream {
  port: number;
  /** Every request as the upstream saw it. */
  seen: { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: string }[];
  close(): Promise<void>;
}

export async function startUpstream(pki: TestPki, token: string): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = https.createServer({ key: pki.keyPem, cert: pki.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/echo')) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo-auth': req.headers.authorization ?? '' });
        return res.end(JSON.stringify({ headers: req.headers, body }));
      }
      const ok = req.headers.authorization === `Bearer ${token}` || req.headers['x-api-key'] === token || body.includes(token);
      res.writeHead(ok ? 200 : 401, { 'content-type': 'text/plain' });
      res.end(ok ? 'upstream: authorised\n' : 'upstream: missing or wrong credentials\n');
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    port,
    seen,
    close,
  };
}
