// Builds the extension host bundle, the CLI, one browser bundle per webview panel, and copies
// the assets they load at run time (the Python client, webview stylesheets).
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
};

/**
 * The CLI is a small dispatcher (dist/cli.js) and one bundle per command (dist/cli/<module>.js),
 * loaded when that command runs: `trackside run` then loads the launcher alone rather than every
 * command's code (the registry client, deploy targets, zod schemas…), which took most of its start.
 * The commands are the modules src/cli/main.ts imports from ./commands/.
 */
const cliCommandModules = [
  ...new Set(
    [...readFileSync('src/cli/main.ts', 'utf8').matchAll(/import\('\.\/commands\/([\w-]+)'\)/g)].map((m) => m[1]),
  ),
];

/**
 * Libraries too big to load with every command: each is built once as dist/cli/lib-<name>.js and
 * loaded on first use. zod is most of a command's code, yet `trackside run` only needs it to read
 * what a Python probe printed or a hash cache, after its command started (or never).
 */
const cliLibraries = ['zod'];

/** The module that loads the built file dist/cli/<file> at run time (a require with V8's code cache). */
function runtimeBundle(file) {
  return {
    contents: [
      "const { join } = require('node:path');",
      "const { loadCommandBundle } = require('./command-bundle');",
      `module.exports = loadCommandBundle(join(__dirname, 'cli', ${JSON.stringify(file)}));`,
    ].join('\n'),
    resolveDir: join(process.cwd(), 'src', 'cli'),
    loader: 'js',
  };
}

/**
 * In the dispatcher, `import('./commands/x')` loads the built dist/cli/x.js at run time, through
 * src/cli/command-bundle.ts; so does a command's `import('./y')` of another command (run → submit
 * for --slurm), instead of carrying that command's code along. `zod` resolves to its library bundle.
 */
const cliRuntimeModules = {
  name: 'cli-runtime-modules',
  setup(build) {
    build.onResolve({ filter: /^\.\/commands\/[\w-]+$/ }, (args) => ({
      path: `${args.path.slice('./commands/'.length)}.js`,
      namespace: 'cli-runtime',
    }));
    build.onResolve({ filter: /^\.\/[\w-]+$/ }, (args) => {
      const name = args.path.slice(2);
      const fromCommand = dirname(args.importer) === join(process.cwd(), 'src', 'cli', 'commands');
      if (args.kind !== 'dynamic-import' || !fromCommand || !cliCommandModules.includes(name)) return undefined;
      return { path: `${name}.js`, namespace: 'cli-runtime' };
    });
    build.onResolve({ filter: new RegExp(`^(${cliLibraries.join('|')})$`) }, (args) => ({
      path: `lib-${args.path}.js`,
      namespace: 'cli-runtime',
    }));
    build.onLoad({ filter: /.*/, namespace: 'cli-runtime' }, (args) => runtimeBundle(args.path));
  },
};

/** Every folder under webview/ with a main.ts is one panel bundle; `shared/` holds components. */
const webviewEntries = readdirSync('webview', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('webview', d.name, 'main.ts')))
  .map((d) => ({ in: join('webview', d.name, 'main.ts'), out: d.name }));

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'better-sqlite3'],
  },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [cliRuntimeModules],
  },
  {
    ...common,
    entryPoints: cliCommandModules.map((name) => ({ in: `src/cli/commands/${name}.ts`, out: name })),
    outdir: 'dist/cli',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3'],
    plugins: [cliRuntimeModules],
    // The code finds dist/python/ and dist/runtime/ beside its own file, as it does in dist/cli.js
    // and dist/extension.js: in dist/cli/ its directory is the one above.
    banner: { js: 'const __distDirname = require("node:path").dirname(__dirname);' },
    define: { __dirname: '__distDirname' },
  },
  {
    ...common,
    entryPoints: cliLibraries.map((name) => ({ in: name, out: `lib-${name}` })),
    outdir: 'dist/cli',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    ...common,
    entryPoints: webviewEntries,
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    // vega-lite's expression code is never evaluated: charts run with the AST interpreter under CSP.
    define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
  },
];

async function copyAssets() {
  mkdirSync('dist/webview', { recursive: true });
  writeFileSync('dist/webview/vega.css', await vegaStylesheet());
  if (existsSync('src/core/clients/python')) {
    cpSync('src/core/clients/python', 'dist/python', {
      recursive: true,
      filter: (src) => !src.includes('__pycache__'),
    });
  }
  // The model server that SSH targets copy to their hosts.
  if (existsSync('src/core/deploy/runtime/serve.py')) {
    mkdirSync('dist/runtime', { recursive: true });
    cpSync('src/core/deploy/runtime/serve.py', 'dist/runtime/serve.py');
    cpSync('src/core/deploy/runtime/router.py', 'dist/runtime/router.py');
  }
  if (existsSync('webview/shared/theme.css')) cpSync('webview/shared/theme.css', 'dist/webview/theme.css');
}

/**
 * vega-embed and vega-tooltip inject their CSS as <style> tags, which the webview CSP blocks.
 * The panels load the same rules as a stylesheet file instead (embed runs with defaultStyle: false).
 */
async function vegaStylesheet() {
  const embedSource = readFileSync('node_modules/vega-embed/build/embed.js', 'utf8');
  const embedCss = /var embedStyle = `([^`]*)`/.exec(embedSource)?.[1];
  if (!embedCss) throw new Error('vega-embed changed: its embedStyle constant was not found');
  const { createDefaultStyle } = await import('vega-tooltip');
  return `${embedCss}\n${createDefaultStyle('vg-tooltip-element')}\n`;
}

if (watch) {
  await copyAssets();
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  await copyAssets();
}
