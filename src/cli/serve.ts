import { startApiServer } from '../api';
import type { Runtime } from '../runtime';
import { EXIT } from './exit-codes';
import { claimSignals } from './shutdown';
import { paint } from './render';
import { MISSING_KEY_MESSAGE } from '../model/anthropic';
import { MODEL_API_KEY } from '../vault/types';

// `hangar serve`: the runtime's Managed Agents API on loopback until Ctrl-C, for the SDK, curl and scripts.

export async function serve(rt: Runtime, opts: { port: number; json: boolean }): Promise<number> {
  const server = await startApiServer({ runtime: rt, port: opts.port, onError: (err, id) => process.stderr.write(`hangar serve: ${id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`) });
  const resumed = await rt.sessions.resumeInterrupted();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, token_file: server.tokenFile, resumed_sessions: resumed })}\n`);
  } else {
    const p = paint(process.stdout.isTTY === true);
    process.stdout.write(
      [
        `${p('green', 'Hangar API')} listening on ${server.url}`,
        `token: ${server.tokenFile} (created 0600 on first serve, reused after; send it as "Authorization: Bearer <token>" or "x-api-key: <token>")`,
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
  await server.close();
  return EXIT.ok;
}
