import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Keeps README's command and setting tables equal to package.json: `--write` regenerates them
 * between their markers; without it, the script exits 1 when they are stale (the unit suite checks).
 */

interface Contributes {
  commands: { command: string; title: string; category?: string }[];
  menus: Record<string, { command: string; when?: string }[]>;
  configuration: {
    properties: Record<
      string,
      { type?: string | string[]; default?: unknown; markdownDescription?: string; description?: string }
    >;
  };
}

export function contributionTables(pkg: { contributes: Contributes }): { commands: string; settings: string } {
  const hidden = new Set(
    (pkg.contributes.menus.commandPalette ?? []).filter((m) => m.when === 'false').map((m) => m.command),
  );
  const commands = [
    '| Command | Id |',
    '| --- | --- |',
    ...pkg.contributes.commands
      .filter((c) => !hidden.has(c.command))
      .map((c) => `| ${c.category ? `${c.category}: ` : ''}${c.title} | \`${c.command}\` |`),
  ].join('\n');
  const settings = [
    '| Setting | Default | What it does |',
    '| --- | --- | --- |',
    ...Object.entries(pkg.contributes.configuration.properties).map(([key, p]) => {
      const text = (p.markdownDescription ?? p.description ?? '').replace(/\n+/g, ' ').replace(/\|/g, '\\|');
      return `| \`${key}\` | \`${JSON.stringify(p.default ?? null)}\` | ${text} |`;
    }),
  ].join('\n');
  return { commands, settings };
}

export function withTables(readme: string, tables: { commands: string; settings: string }): string {
  let next = readme;
  for (const [name, table] of Object.entries(tables)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = next.indexOf(start);
    const to = next.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} … ${end} markers`);
    next = `${next.slice(0, from + start.length)}\n${table}\n${next.slice(to)}`;
  }
  return next;
}

if (process.argv[1]?.endsWith('readme-contributions.ts')) {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: Contributes };
  const readme = readFileSync('README.md', 'utf8');
  const next = withTables(readme, contributionTables(pkg));
  if (process.argv.includes('--write')) {
    writeFileSync('README.md', next);
  } else if (next !== readme) {
    process.stderr.write(
      'README.md command/setting tables are stale: run npx tsx scripts/readme-contributions.ts --write\n',
    );
    process.exitCode = 1;
  }
}
