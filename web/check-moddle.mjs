// Round-trips every BPMN file of the repository through bpmn-moddle with our spiffworkflow
// descriptor (what bpmn-js does on open and save) and fails when an import warns or any
// spiffworkflow element, attribute or text differs after the save.
// Usage: node check-moddle.mjs [FILE...]  (default: every *.bpmn under bpmn/ and tests/)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BpmnModdle } from 'bpmn-moddle';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..');
const descriptor = JSON.parse(readFileSync(join(here, 'src/spiffworkflow-moddle.json'), 'utf8'));

function bpmnFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return bpmnFiles(path);
    return name.endsWith('.bpmn') ? [path] : [];
  });
}

// Every spiffworkflow element in document order: its name, attributes (sorted) and text.
function spiffElements(xml) {
  const found = [];
  const tag = /<spiffworkflow:(\w+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  for (const match of xml.matchAll(tag)) {
    const attrs = [...match[2].matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)]
      .map((a) => `${a[1]}=${a[2] ?? a[3]}`)
      .sort();
    let text = '';
    if (!match[3]) {
      const rest = xml.slice(match.index + match[0].length);
      const body = /^([^<]*)<\/spiffworkflow:/.exec(rest);
      text = body ? body[1].trim() : '';
    }
    found.push(`${match[1]}[${attrs.join(' ')}]${text}`);
  }
  return found;
}

const decode = (s) =>
  s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&#10;/g, '\n').replace(/&amp;/g, '&');

const files = process.argv.length > 2
  ? process.argv.slice(2).map((f) => resolve(f))
  : [...bpmnFiles(join(root, 'bpmn')), ...bpmnFiles(join(root, 'tests'))];
const moddle = BpmnModdle({ spiffworkflow: descriptor });
let failed = 0;
for (const file of files) {
  const name = relative(root, file);
  const source = readFileSync(file, 'utf8');
  let result;
  try {
    result = await moddle.fromXML(source);
  } catch (error) {
    // Not a BPMN document bpmn-js could open at all (the check's broken fixtures): not ours.
    console.log(`skip  ${name}: ${error.message.split('\n')[0]}`);
    continue;
  }
  const warnings = result.warnings.filter((w) => /spiffworkflow/i.test(w.message));
  const { xml } = await moddle.toXML(result.rootElement, { format: true });
  const before = spiffElements(source).map(decode);
  const after = spiffElements(xml).map(decode);
  const same = before.length === after.length && before.every((v, i) => v === after[i]);
  if (warnings.length || !same) {
    failed += 1;
    console.log(`FAIL  ${name}`);
    warnings.forEach((w) => console.log(`      warning: ${w.message.split('\n')[0]}`));
    if (!same) {
      const missing = before.filter((v) => !after.includes(v));
      const extra = after.filter((v) => !before.includes(v));
      console.log(`      ${before.length} spiffworkflow elements before, ${after.length} after`);
      missing.slice(0, 5).forEach((v) => console.log(`      lost:  ${v}`));
      extra.slice(0, 5).forEach((v) => console.log(`      added: ${v}`));
    }
  } else {
    console.log(`ok    ${name} (${before.length} spiffworkflow elements)`);
  }
}
console.log(failed ? `${failed} file(s) changed on a round trip` : 'every file survives a round trip');
process.exit(failed ? 1 : 0);
