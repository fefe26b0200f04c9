/**
 * Removes credentials from a remote URL before it is stored in run.json, which is shared with the
 * team and pushed into registry annotations. `https://user:token@host/x` → `https://host/x`; a
 * lone user name is dropped for http(s) too, because hosts accept tokens in that slot. ssh users
 * (`ssh://git@host/x`, `git@host:x`) are kept: they name an account, not a secret, and without them
 * the URL no longer works.
 */
export function stripUrlCredentials(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is.exec(url.trim());
  if (!scheme) return url.trim();
  const [, protocol = '', authority = '', rest = ''] = scheme;
  const at = authority.lastIndexOf('@');
  if (at < 0) return url.trim();
  const userInfo = authority.slice(0, at);
  const host = authority.slice(at + 1);
  if (/^(ssh|git\+ssh|ssh\+git)$/i.test(protocol)) {
    const user = userInfo.split(':')[0] ?? '';
    return `${protocol}://${user ? `${user}@` : ''}${host}${rest}`;
  }
  return `${protocol}://${host}${rest}`;
}
