import * as z from 'zod';
import { matchesHost, normaliseHost } from '../vault/proxy/hosts';

// The web tools' allowed_domains / blocked_domains (reference §5.2): an entry names a host and covers its
// subdomains; a web_search entry may add a path ("example.com/docs"), which then covers only URLs under it.

export function domainCovers(entry: string, url: URL): boolean {
  const [domain = '', ...rest] = entry.trim().replace(/^https?:\/\//i, '').split('/');
  const path = rest.length > 0 ? `/${rest.join('/')}` : '';
  const host = normaliseHost(url.hostname) ?? url.hostname;
  const bare = domain.replace(/^\*\./, '');
  return (matchesHost(bare, host) || matchesHost(`*.${bare}`, host)) && url.pathname.startsWith(path);
}

/** A domain list as the reference accepts it: 1-64 host names (`withPath`: each may add a path, web_search). */
export function DomainList(withPath: boolean) {
  const entry = z.string().refine(
    (s) => {
      const [domain = '', ...rest] = s.trim().replace(/^https?:\/\//i, '').split('/');
      return normaliseHost(domain.replace(/^\*\./, '')) !== null && (withPath || rest.filter(Boolean).length === 0);
    },
    { error: (i) => `${JSON.stringify(i.input)} is not a ${withPath ? 'host name (optionally with a path, "example.com/docs")' : 'plain host name ("example.com")'}` },
  );
  return z.array(entry).min(1, 'must not be empty; leave the field out to allow every domain').max(64, 'lists at most 64 domains');
}

/** allowed_domains and blocked_domains exclude each other (reference §5.2). */
export function oneDomainList(c: { allowed_domains?: unknown; blocked_domains?: unknown }, ctx: z.RefinementCtx): void {
  if (c.allowed_domains != null && c.blocked_domains != null) {
    ctx.addIssue({ code: 'custom', path: ['blocked_domains'], message: 'allowed_domains and blocked_domains cannot both be set; keep one of them' });
  }
}
