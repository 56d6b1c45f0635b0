'use strict';
// Whole-process run of one peer over a batch file, the peers' counterpart of `crosswalk run -j 1 --in BATCH`:
// start node, load the peer, read the file, split it into messages, parse + map each one and write one
// JSON document per line. Used by tools/scripts/bench-run.sh, which times the whole process.
//
//   node run-batch.js PEERS_DIR PEER IN.hl7 OUT.ndjson      (prints the number of messages converted)
const fs = require('fs');
const path = require('path');

async function main() {
  const [peersDir, name, input, output] = process.argv.slice(2);
  if (!output) throw new Error('usage: node run-batch.js PEERS_DIR PEER IN.hl7 OUT.ndjson');
  const { loadPeer } = require(path.join(peersDir, 'lib', 'peers'));
  const { normalise, messageType, kindOf } = require(path.join(peersDir, 'lib', 'load'));
  const peer = await loadPeer(name);
  const fd = fs.openSync(output, 'w');
  let lines = [];
  let n = 0;
  // The peers' own loader splits before each MSH at the start of a line (lib/load.js).
  for (const text of normalise(fs.readFileSync(input, 'utf8')).split(/\r(?=MSH)/)) {
    if (!text.startsWith('MSH')) continue;
    let r = peer.map(peer.parse(text), kindOf(messageType(text)));
    if (r && typeof r.then === 'function') r = await r;
    lines.push(JSON.stringify(r));
    ++n;
    if (lines.length === 512) {
      fs.writeSync(fd, lines.join('\n') + '\n');
      lines = [];
    }
  }
  if (lines.length) fs.writeSync(fd, lines.join('\n') + '\n');
  fs.closeSync(fd);
  console.log(n);
}

main().catch((e) => {
  console.error(`run-batch.js: ${e.message}`);
  process.exit(1);
});
