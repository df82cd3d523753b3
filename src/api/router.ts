import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Runtime } from '../runtime';
import type { SseRegistry } from './sse';

// A table of `METHOD /v1/path/:param` routes. A path that exists under another method is a 405, not a 404.

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  runtime: Runtime;
  params: Record<string, string>;
  /** The query string, validated; unknown keys are refused so a typo is not silently ignored. */
  query<T>(schema: z.ZodType<T>): T;
  /** The JSON body, validated; an empty body fails with a message naming what to send. */
  body<T>(schema: z.ZodType<T>): Promise<T>;
  streams: SseRegistry;
}

/** Returned by handlers that wrote the response themselves (SSE). */
export const STREAMED = Symbol('streamed');
export type Handler = (ctx: Ctx) => Promise<unknown>;

export interface Route {
  method: Method;
  path: string;
  handler: Handler;
}

export const route = (method: Method, path: string, handler: Handler): Route => ({ method, path, handler });

export type Match = { kind: 'found'; handler: Handler; params: Record<string, string> } | { kind: 'wrong_method'; allowed: Method[] } | { kind: 'none' };

interface Compiled extends Route {
  segments: string[];
}

export class Router {
  private readonly routes: Compiled[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((r) => ({ ...r, segments: r.path.split('/').slice(1) }));
  }

  match(method: string, rawPath: string): Match {
    const segments = decodeSegments(rawPath);
    if (!segments) return { kind: 'none' };
    const allowed: Method[] = [];
    for (const r of this.routes) {
      const params = matchSegments(r.segments, segments);
      if (!params) continue;
      if (r.method === method) return { kind: 'found', handler: r.handler, params };
      allowed.push(r.method);
    }
    return allowed.length > 0 ? { kind: 'wrong_method', allowed } : { kind: 'none' };
  }
}

function decodeSegments(rawPath: string): string[] | null {
  if (!rawPath.startsWith('/')) return null;
  try {
    return rawPath.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return null;
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(':')) {
      if (a === '') return null;
      params[p.slice(1)] = a;
    } else if (p !== a) return null;
  }
  return params;
}
