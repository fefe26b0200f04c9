/**
 * Parses `WWW-Authenticate` (RFC 9110 §11.6.1): one or more challenges, each a scheme followed by
 * comma-separated `name=value` parameters whose values are tokens or quoted strings. Registries
 * send `Basic realm="…"` or `Bearer realm="…",service="…",scope="…"`; a scope holds commas and
 * colons, so a naive split on commas breaks it.
 */

export interface AuthChallenge {
  /** Lower-cased scheme: `basic`, `bearer`, … */
  scheme: string;
  /** Parameters with lower-cased names. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;

  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  // Unquoted values should be tokens, but servers send bare URLs too: read up to the next comma.
  const readBare = (): string => {
    const start = i;
    while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
    return header.slice(start, i);
  };
  const readQuoted = (): string => {
    // at the opening quote
    i++;
    let value = '';
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      value += header[i];
      i++;
    }
    i++; // closing quote (or end)
    return value;
  };

  let current: AuthChallenge | null = null;
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const word = readToken();
    if (!word) {
      i++; // stray character: skip it rather than loop forever
      continue;
    }
    skipSpace();
    if (header[i] === '=' && current) {
      // A parameter of the current challenge.
      i++;
      skipSpace();
      const value = header[i] === '"' ? readQuoted() : readBare();
      current.params[word.toLowerCase()] = value;
      continue;
    }
    current = { scheme: word.toLowerCase(), params: {} };
    challenges.push(current);
  }
  return challenges;
}

/** The scope a Bearer token needs for repository operations, e.g. `repository:models/x:pull,push`. */
export function repositoryScope(repository: string, actions: readonly ('pull' | 'push')[]): string {
  return `repository:${repository}:${[...actions].sort().join(',')}`;
}
