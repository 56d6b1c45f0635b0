'use strict';
// Regenerates tests/bench/peer/expected/*.json: the output of the peer benchmark's REFERENCE mapping
// (peers/plainjs.js) on every message in tests/bench/peer/msgs/. Needs a copy of the peers folder:
//   node tests/bench/peer/make-expected.js /path/to/peers
// The messages are loaded exactly as the peers load them (peers/lib/load.js: line endings -> \r,
// BOM and trailing \r removed). One JSON document per message, compact, key order as plainjs writes it.
const fs = require('fs');
const path = require('path');

const peers = path.resolve(process.argv[2] || path.join(__dirname, '../../../../shared/peers'));
const ref = require(path.join(peers, 'peers', 'plainjs.js'));
const { normalise, messageType, kindOf } = require(path.join(peers, 'lib', 'load.js'));
const here = __dirname;
const msgDir = path.join(here, 'msgs');
const outDir = path.join(here, 'expected');

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (/\.hl7$/.test(e.name)) out.push(p);
  }
  return out;
}

let n = 0;
for (const file of walk(msgDir)) {
  const rel = path.relative(msgDir, file);
  const parts = normalise(fs.readFileSync(file, 'utf8')).split(/\r(?=MSH)/).filter((p) => p.startsWith('MSH'));
  if (parts.length !== 1) throw new Error(`${rel}: expected one message, found ${parts.length}`);
  const kind = kindOf(messageType(parts[0]));
  if (!kind) throw new Error(`${rel}: not ADT or ORU^R01`);
  const out = path.join(outDir, rel.replace(/\.hl7$/, '.json'));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(ref.map(ref.parse(parts[0]), kind)) + '\n');
  n++;
}
console.log(`wrote ${n} expected outputs to ${path.relative(process.cwd(), outDir) || '.'}`);
