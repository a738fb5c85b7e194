// Bundles the extension and vscode-languageclient into one file, dist/extension.js.
//   node esbuild.mjs            a minified production bundle (what package.sh ships)
//   node esbuild.mjs --watch    an unminified bundle with source maps, rebuilt on every save
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const options = {
  entryPoints: ['src/extension.ts'],
  bundle: true,
  outfile: 'dist/extension.js',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  minify: !watch,
  sourcemap: watch,
  logLevel: 'info',
};
if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
