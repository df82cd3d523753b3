import { STATUS_CODES, maxHeaderSize, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { newId } from '../wire';
import { envelope, type ApiFailure } from './errors';

// Requests Node's parser refuses never reach a handler; by default Node answers them with an empty 400 or 431. Here
// they get the API's error envelope like any other failure, then the connection closes (the parser cannot resync).

/** Installs the handler; returns what the request handler calls while it answers on a socket. */
export function answerParserErrors(server: Server): { answering(res: ServerResponse): void } {
  // A socket in the middle of a response must not get a second status line written into it.
  const busy = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable || busy.has(socket)) {
      socket.destroy();
      return;
    }
    const failure = parserFailure(err, maxHeaderSize);
    const requestId = newId('req');
    const body = JSON.stringify(envelope(failure, requestId));
    const head = [
      `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
      `request-id: ${requestId}`,
      `x-should-retry: ${failure.status === 408}`,
      'connection: close',
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
  return {
    answering(res) {
      const socket = res.socket;
      if (!socket) return;
      busy.add(socket);
      res.once('close', () => busy.delete(socket));
    },
  };
}

function parserFailure(err: NodeJS.ErrnoException & { reason?: string }, headerLimit: number): ApiFailure {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, type: 'invalid_request_error', message: `The request headers are larger than ${headerLimit} bytes; send fewer or shorter headers.` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, type: 'request_too_large', message: 'The chunk extensions of the request body are too large; send the body without chunk extensions.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, type: 'invalid_request_error', message: 'The request was not received in time; send it again.' };
    default: {
      const why = err.reason ?? err.message;
      return { status: 400, type: 'invalid_request_error', message: `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}: ${why}); check the request line, header syntax and body framing.` };
    }
  }
}
