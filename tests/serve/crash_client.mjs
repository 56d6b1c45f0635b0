// Streams N generated HL7 v2 messages to an MLLP server with @medplum/hl7's Hl7Client (a client no one in
// this project wrote) while the server is killed and restarted: a message whose ACK does not come (the
// connection broke, or no answer in time) is sent again on a new connection, until it is acknowledged.
// Prints one JSON line per acknowledged message: {"control_id": MSH-10, "ack": MSA-1, "ack_of": MSA-2}.
// Usage: node crash_client.mjs PORT N
//   Message i: ADT^A01 from sender CRASH^FAC<i % 3> about patient P<i % 40> (every 25th: ZZZ^Z99, a type no
//   map of the shipped program takes, so the server rejects it after the ACK). Names and birth dates are
//   the same made-up values in every message (tests grep the logs and the audit trail for them).
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';

const [port, count] = process.argv.slice(2).map(Number);

function message(i) {
  const type = i % 25 === 24 ? 'ZZZ^Z99' : 'ADT^A01^ADT_A01';
  return [
    `MSH|^~\\&|CRASH|FAC${i % 3}|RCV|FAC|20240102030405||${type}|K${i}|P|2.5.1`,
    'EVN|A01|20240102030405',
    `PID|1||P${i % 40}^^^MRN^MR||ZEBULON^QUIXOTE||19011231|M`,
    'PV1|1|I|WARD^101^1',
  ].join('\r');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let client = null;
const deadline = Date.now() + 50000;
for (let i = 0; i < count; ++i) {
  const msg = Hl7Message.parse(message(i));
  for (;;) {
    if (Date.now() > deadline) {
      console.error(`gave up at message ${i}`);
      process.exit(2);
    }
    try {
      if (client === null) {
        client = new Hl7Client({ host: '127.0.0.1', port, connectTimeout: 1000 });
        await client.connect();
      }
      const ack = await client.sendAndWait(msg, { timeoutMs: 1500 });
      const msa = ack.getSegment('MSA');
      console.log(JSON.stringify({
        control_id: `K${i}`,
        ack: msa.getField(1).toString(),
        ack_of: msa.getField(2).toString(),
      }));
      break;
    } catch (e) {
      // The server was killed (or is starting again): drop the connection, resend on a new one.
      try { await client?.close(); } catch { /* already closed */ }
      client = null;
      await sleep(50);
    }
  }
}
try { await client?.close(); } catch { /* already closed */ }
