/**
 * The line where a script's run CodeLens goes: the `if __name__ == "__main__":` guard when there is
 * one, else the first line of code after the module docstring, comments and the shebang.
 */
export function findEntryPointLine(source: string): number {
  const lines = source.split(/\r?\n/);
  const guard = lines.findIndex((l) => /^if\s+__name__\s*==\s*(['"])__main__\1\s*:/.test(l));
  if (guard >= 0) return guard;
  let inDocstring: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (inDocstring) {
      if (text.includes(inDocstring)) inDocstring = null;
      continue;
    }
    if (!text || text.startsWith('#')) continue;
    const opener = /^[rRuUbB]?("""|''')/.exec(text)?.[1];
    if (opener) {
      if (text.indexOf(opener, opener.length + text.indexOf(opener)) < 0) inDocstring = opener;
      continue;
    }
    return i;
  }
  return 0;
}
