// Parse Mermaid files with Mermaid's own parser (optional dev check, see test_graph_cli.py).
// Run from a directory whose node_modules holds mermaid and jsdom: node mermaid_check.mjs FILE...
import { createRequire } from 'module';
import { pathToFileURL } from 'url';
import fs from 'fs';

const require = createRequire(process.cwd() + '/');
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve('mermaid')).href);
mermaid.initialize({ startOnLoad: false });
let bad = 0;
for (const file of process.argv.slice(2)) {
  try {
    await mermaid.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    bad++;
    console.log('FAIL', file, String(e.message || e).slice(0, 500));
  }
}
process.exit(bad ? 1 : 0);
