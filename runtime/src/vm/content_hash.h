// The content hash of a value (the `content_hash` builtin): a hash of the value tree itself, with no JSON
// text made on the way. Maps use it to key a resource by its content (the shipped maps' party ids) without
// serialising the resource first.
//
// Definition (stable across runs, builds and platforms; a change to it is a change of every id derived
// from it, so it is versioned by its key):
//
//   content_hash(v) = hex(SipHash-2-4-128(key = the 16 ASCII bytes "crosswalk.hash.1", E(v)))
//
// 32 lower-case hex digits of the 16 output bytes of the reference implementation, in order. E(v) is the
// canonical encoding of what the JSON writer would write for v (FHIR's absent-value rules on), so two
// values hash alike exactly when their JSON text is the same:
//
//   absent, null, "", an HL7 v2 node that reads empty, and an array or object with nothing left to write
//                          nothing (as an object member: the member is left out; as an item: left out)
//   true / false           't' / 'f'
//   int, decimal           'n' L text    (the number as written: 1.50 is "1.50", so 1.5 and 1.50 differ)
//   string                 's' L bytes   (UTF-8 as held; a JSON number kept as text is 'n' L text)
//   HL7 v2 node            the encoding of the text it reads as (escapes decoded)
//   array                  '[' E(item)... ']'
//   object                 '{' (L key-bytes E(value))... '}'   (members in insertion order)
//
// L is the byte length as unsigned LEB128 (7 bits per byte, low bits first). An HL7 v2 group has no
// content hash (error). It is a hash for telling contents apart (2^-128 per pair by chance), not a
// cryptographic digest: it makes no claim against someone crafting two contents with the same hash.
#pragma once

#include <cstdint>

#include "value/value.h"
#include "vm/builtins.h"

namespace crosswalk::vm {

// Arrays and objects nested more than this many levels deep are an error (the JSON writer's limit).
inline constexpr int kMaxContentHashDepth = 1000;

// Hashes v as described above into digest. *written is false (and digest untouched) when v encodes to
// nothing. Work is charged to env (one unit per array or object plus one per item or member, and one per
// 64 bytes of text); returns false with env.error set (and env.limit_exceeded for a limit) on a group, on
// nesting beyond kMaxContentHashDepth or when the run's budget is spent. The last encodings (up to 4 KiB
// each) and their digests are kept per thread, so hashing the same content again costs a compare. Allocates
// nothing once its per-thread buffers have grown.
bool ContentHash(BuiltinEnv& env, const Value& v, uint8_t digest[16], bool* written);

}  // namespace crosswalk::vm
