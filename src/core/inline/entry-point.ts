/**
 * The line where a script's run CodeLens goes: the `if __name__ == "__main__":` guard when there is
 * one, else the first line of code after the module docstring, comments and the shebang.
 */
export function findEntryPointLine(source: string): number {
  return mainGuardLine(source) ?? firstCodeLine(source);
}

/** The line of `if __name__ == "__main__":`, if the script has one. */
export function mainGuardLine(source: string): number | undefined {
  const guard = source.split(/\r?\n/).findIndex((l) => /^if\s+__name__\s*==\s*(['"])__main__\1\s*:/.test(l));
  return guard >= 0 ? guard : undefined;
}

/** The first line of code, after the shebang, comments and the module docstring (0 when there is none). */
export function firstCodeLine(source: string): number {
  const lines = source.split(/\r?\n/);
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
