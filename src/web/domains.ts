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
