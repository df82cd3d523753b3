import http from 'node:http';
import zlib from 'node:zlib';
import { listenOnLoopback } from '../../../support/listen';

// A web server on loopback for web_fetch: pages, text, binary content, a flood that never ends, redirect chains
// (a loop, one to the cloud metadata address), a page that never answers. It counts what the flood sent before the
// client hung up, so a test can tell a cut stream from one read whole.

export const ARTICLE = `<!doctype html><html><head><title>Hangar Field Notes</title><style>.x{color:red}</style>
<script>window.tracking = true;</script></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a> | <a href="/login">Log in</a></nav>
<div class="ad">Buy now! Limited offer!</div>
<article><h1>Hangar Field Notes</h1>
<p>Hangars keep aircraft out of the weather. The <strong>largest</strong> hangar ever built held several airships at once,
and its doors took minutes to open. Engineers studied how wind loads act on such doors for decades afterwards.</p>
<p>Maintenance crews work in shifts. A checklist covers every panel, every cable and every hinge; see the
<a href="/plain">plain checklist</a> for the full list, which is updated each season by the crew chief.</p>
<h2>Doors</h2><ul><li>Sliding doors</li><li>Bi-fold doors</li></ul>
<pre><code>open --door=main --speed=slow</code></pre>
<p>Every door is inspected before the winter, and the notes from each inspection go into the log that the next crew reads.</p>
</article><footer>© Footer text</footer></body></html>`;

export interface Pages {
  port: number;
  /** Bytes the endless flood wrote before its client went away. */
  floodSent(): number;
  close(): Promise<void>;
}

export async function startPages(): Promise<Pages> {
  let flood = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/article':
        return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(ARTICLE);
      case '/gzip-article':
        return void res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(zlib.gzipSync(ARTICLE));
      case '/plain':
        return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Checklist: panels, cables, hinges.\n');
      case '/latin1':
        return void res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
      case '/json':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"doors": 2}');
      case '/png':
        return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
      case '/untyped-binary':
        return void res.writeHead(200).end(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1]));
      case '/missing':
        return void res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
      case '/to-plain':
        return void res.writeHead(302, { location: '/plain' }).end();
      case '/loop-a':
        return void res.writeHead(302, { location: '/loop-b' }).end();
      case '/loop-b':
        return void res.writeHead(301, { location: '/loop-a' }).end();
      case '/to-metadata':
        return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      case '/to-other-host':
        return void res.writeHead(302, { location: `http://other.hangar.test:${url.searchParams.get('port') ?? '80'}/plain` }).end();
      case '/hang':
        return; // never answers
      case '/flood': {
        // A 2 GB body, written as fast as the client reads it, until the client hangs up.
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(2 * 1024 ** 3) });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = () => {
          while (flood < 2 * 1024 ** 3) {
            flood += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      default:
        return void res.writeHead(404).end();
    }
  });
  const l = await listenOnLoopback(server);
  return {
    port: l.port,
    floodSent: () => flood,
    close: () => l.close(),
  };
}
