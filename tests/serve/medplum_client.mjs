// Sends HL7 v2 messages to an MLLP server with @medplum/hl7's Hl7Client (a client no one in this project
// wrote) and prints, per message, one JSON line: {"file": ..., "control_id": MSH-10, "ack": MSA-1, "ack_of": MSA-2}.
// Usage: node medplum_client.mjs PORT FILE...   (the first message of each file; LF or CRLF become CR)
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { readFileSync } from 'node:fs';

const [port, ...files] = process.argv.slice(2);
const client = new Hl7Client({ host: '127.0.0.1', port: Number(port), connectTimeout: 5000 });
try {
  for (const file of files) {
    let text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').replace(/\r?\n/g, '\r');
    const next = text.indexOf('\rMSH|', 1);  // the first message of a file that holds several
    if (next > 0) text = text.slice(0, next + 1);
    const msg = Hl7Message.parse(text.replace(/\r+$/, ''));
    const ack = await client.sendAndWait(msg, { timeoutMs: 10000 });
    const msa = ack.getSegment('MSA');
    console.log(JSON.stringify({
      file,
      control_id: msg.getSegment('MSH').getField(10).toString(),
      ack: msa.getField(1).toString(),
      ack_of: msa.getField(2).toString(),
    }));
  }
} finally {
  await client.close();
}
