// Bundles the pages into web/dist/ with esbuild: per page one JS module and one stylesheet
// (bpmn-js's font for the designer), named by content hash, plus dist/<page>.html that names
// them. The pages: designer (the process designers' modeler), officer (the officers' pages:
// sign-in, inbox, task, dossier, reception, leader; one app routed by its path) and lookup
// (the citizens' public lookup). Nothing is loaded from anywhere else at run time.
//
// bpmnlint runs in the browser with its rules resolved here, at build time: importing
// `.bpmnlintrc` goes through bpmnlint's own compile-config (what rollup-plugin-bpmnlint and
// bpmnlint-pack-config use), which reads the config, follows its `extends` and emits a module
// that imports every enabled rule and hands the linter a resolver over them.
//
// Usage: node build.mjs [--dev]   (--dev: no minification, inline source maps)
import { createRequire } from 'node:module';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const staging = join(here, 'dist.tmp');
const dev = process.argv.includes('--dev');

// bpmnlint's resolver looks packages up from the working directory.
process.chdir(here);
const require = createRequire(import.meta.url);
const compileConfig = require('bpmnlint/lib/support/compile-config');

const bpmnlintConfig = {
  name: 'bpmnlint-config',
  setup(build) {
    build.onResolve({ filter: /(^|\/)\.bpmnlintrc$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path),
      namespace: 'bpmnlint-config',
    }));
    build.onLoad({ filter: /.*/, namespace: 'bpmnlint-config' }, async (args) => {
      const config = JSON.parse(await readFile(args.path, 'utf8'));
      return {
        contents: await compileConfig(config),
        loader: 'js',
        resolveDir: here,
        watchFiles: [args.path],
      };
    });
  },
};

// bpmn-js draws the align and distribute icons from SVG strings with style="" attributes,
// which a strict Content-Security-Policy (style-src 'self') refuses to apply. The same
// declarations as SVG presentation attributes mean the same and need no permission.
const STYLED_ICONS = /[\\/]bpmn-js[\\/]lib[\\/]features[\\/][\w-]+[\\/]\w+Icons\.js$/;

function presentationAttributes(style) {
  return style
    .split(';')
    .map((declaration) => declaration.trim())
    .filter(Boolean)
    .map((declaration) => {
      const [name, ...value] = declaration.split(':');
      return `${name.trim()}="${value.join(':').trim()}"`;
    })
    .join(' ');
}

const cspSafeIcons = {
  name: 'csp-safe-icons',
  setup(build) {
    build.onLoad({ filter: STYLED_ICONS }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return {
        contents: source.replace(/style="([^"]*)"/g, (_, style) => presentationAttributes(style)),
        loader: 'js',
      };
    });
  },
};

const PAGES = ['designer', 'officer', 'lookup'];

await rm(staging, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: Object.fromEntries(PAGES.map((name) => [name, join(here, `src/${name}.js`)])),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome109', 'firefox115', 'safari16'],
  outdir: staging,
  entryNames: '[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  loader: {
    '.eot': 'file',
    '.svg': 'file',
    '.ttf': 'file',
    '.woff': 'file',
    '.woff2': 'file',
  },
  minify: !dev,
  sourcemap: dev ? 'inline' : 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
  plugins: [bpmnlintConfig, cspSafeIcons],
});

// Each entry's script and stylesheet, by their hashed names.
const outputs = Object.entries(result.metafile.outputs);
await mkdir(staging, { recursive: true });
const built = [];
for (const name of PAGES) {
  const script = outputs.find(([, o]) => o.entryPoint && o.entryPoint.endsWith(`src/${name}.js`));
  if (!script) throw new Error(`esbuild produced no ${name} script`);
  const style = script[1].cssBundle;
  if (!style) throw new Error(`esbuild produced no ${name} stylesheet`);
  const page = (await readFile(join(here, `src/${name}.html`), 'utf8'))
    .replace('__SCRIPT__', `/web/${basename(script[0])}`)
    .replace('__STYLE__', `/web/${basename(style)}`);
  if (page.includes('__SCRIPT__') || page.includes('__STYLE__')) {
    throw new Error(`src/${name}.html: a placeholder was left`);
  }
  // Anything else inserting inline styles as markup would be refused by the page's policy.
  const bundled = await readFile(join(staging, basename(script[0])), 'utf8');
  const styled = bundled.match(/style="[^"$]+"/g);
  if (styled) throw new Error(`inline style attributes in the bundle: ${styled.slice(0, 3).join(', ')}`);
  await writeFile(join(staging, `${name}.html`), page);
  built.push(basename(script[0]), basename(style), `${name}.html`);
}

// Swap the finished build in, so a running server never sees half of one.
await rm(dist, { recursive: true, force: true });
await rename(staging, dist);
console.log(`web/dist: ${built.join(', ')}`);
