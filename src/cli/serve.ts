import { startApiServer } from '../api';
import { loadServerTls, TlsSetupError } from '../api/tls';
import type { Runtime } from '../runtime';
import { announceRuntime } from '../remote/discovery';
import { EXIT } from './exit-codes';
import { claimSignals } from './shutdown';
import { paint } from './render';
import { MISSING_KEY_MESSAGE } from '../model/anthropic';
import { MODEL_API_KEY } from '../vault/types';

// `hangar serve`: the runtime's Managed Agents API until Ctrl-C or SIGTERM, for the SDK, curl, scripts, the CLI's
// --runtime and VS Code: on loopback (a detached runtime on this machine), or on another address over HTTPS with the
// given certificate (a runtime on another machine). It announces itself in <storage>/runtime.json while it runs.

export interface ServeOptions {
  port: number;
  json: boolean;
  /** The address to listen on (default 127.0.0.1); another one needs tlsCert and tlsKey. */
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export async function serve(rt: Runtime, opts: ServeOptions): Promise<number> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    process.stderr.write('hangar serve: --tls-cert and --tls-key go together (the certificate and its private key, PEM).\n');
    return EXIT.usage;
  }
  let tls;
  try {
    tls = opts.tlsCert && opts.tlsKey ? await loadServerTls(opts.tlsCert, opts.tlsKey) : undefined;
  } catch (err) {
    if (!(err instanceof TlsSetupError)) throw err;
    process.stderr.write(`hangar serve: ${err.message}\n`);
    return EXIT.usage;
  }
  const host = opts.host ?? '127.0.0.1';
  if (!tls && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    process.stderr.write(`hangar serve: listening on ${host} without TLS would send the API token over the network in the clear; give --tls-cert and --tls-key.\n`);
    return EXIT.usage;
  }
  const server = await startApiServer({ runtime: rt, port: opts.port, host, ...(tls ? { tls } : {}), onError: (err, id) => process.stderr.write(`hangar serve: ${id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`) });
  const withdraw = await announceRuntime(rt.options.storageRoot, { url: server.url, token: server.token, pid: process.pid, fingerprint256: server.fingerprint256, started_at: new Date().toISOString() });
  const resumed = await rt.sessions.resumeInterrupted();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, token_file: server.tokenFile, fingerprint256: server.fingerprint256, resumed_sessions: resumed })}\n`);
  } else {
    const p = paint(process.stdout.isTTY === true);
    process.stdout.write(
      [
        `${p('green', 'Hangar API')} listening on ${server.url}`,
        `token: ${server.tokenFile} (created 0600 on first serve, reused after; send it as "Authorization: Bearer <token>" or "x-api-key: <token>")`,
        ...(server.fingerprint256 ? [`certificate fingerprint (SHA-256): ${server.fingerprint256}`, p('dim', `CLI:   hangar --runtime ${server.url} --pin ${server.fingerprint256} sessions   (token in $HANGAR_RUNTIME_TOKEN)`)] : []),
        p('dim', `SDK:   new Anthropic({ baseURL: '${server.url}', apiKey: fs.readFileSync('${server.tokenFile}', 'utf8').trim() })`),
        p('dim', `curl:  curl -H "x-api-key: $(cat '${server.tokenFile}')" ${server.url}/v1/sessions`),
        ...(resumed.length > 0 ? [`resumed ${resumed.length} interrupted session(s): ${resumed.join(', ')}`] : []),
        p('dim', 'Ctrl-C stops the server.'),
        '',
      ].join('\n'),
    );
  }
  if (!(await rt.vault.get(MODEL_API_KEY))) process.stderr.write(`warning: ${MISSING_KEY_MESSAGE} Until then sessions fail at their first model call.\n`);
  // Ctrl-C or SIGTERM stops the server cleanly (exit 0); the runtime is closed by the caller.
  let release: () => void = () => undefined;
  await new Promise<void>((resolve) => {
    release = claimSignals(() => {
      resolve();
      return true;
    });
  });
  release();
  await withdraw();
  await server.close();
  return EXIT.ok;
}
