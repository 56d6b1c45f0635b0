// The durable inbox of `crosswalk serve` (declared in the public crosswalk/serve.h): every accepted message is stored here, with a synced write-ahead
// log, before its ACK leaves.
//
// Key layout (one RocksDB database in the inbox directory, default column family):
//   "n"                     -> next sequence number (u64 big-endian); written in every Store batch
//   "q" + seq (u64 BE)      -> a stored message not yet done (record below); keys sort in arrival order
//   "r" + seq (u64 BE)      -> a message the map rejected: u32 length + reason, then the record
//   "d" + id (32 bytes)     -> seq: the dedup index, kept after the message is done, until pruned
//   "e" + seq (u64 BE)      -> the id, then the time it was stored (u64 ms): the dedup index by age
//   "E"                     -> set once every "d" entry has its "e" entry (inboxes older than it get theirs
//                              at Open, dated then)
//   "f" + seq (u64 BE)      -> a converted message waiting for delivery to a FHIR server (DeliveryRecord)
//   "x" + seq (u64 BE)      -> a dead letter: delivery gave up (DeliveryRecord, last_error = the reason)
//   "c" + name              -> a cursor (u64 BE): the committed length of an append-only output (NDJSON)
// Record: u32-length-prefixed fields: received (FHIR instant), listener, peer, control id, message type,
// content SHA-256 (hex), message text.
//
// Dedup rule: id = SHA-256(sender '\0' control id '\0' SHA-256(content)), sender = MSH-3 '^' MSH-4 as
// written. A message with the id of one already stored (a resend after a lost ACK) is not stored again: it
// gets the first one's seq and the same ACK. A changed byte, another control id or another sender is a new
// message.
//
// Thread-safety: all methods may be called from several threads (RocksDB serialises the writes). Store() is
// called by the listener; Load/MarkDone/MarkRejected by workers.
#pragma once

#include "crosswalk/serve.h"
