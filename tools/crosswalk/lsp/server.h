// The language server behind `crosswalk lsp`: the Language Server Protocol (3.17) over a byte stream,
// JSON-RPC 2.0 messages framed by `Content-Length` headers. What it answers comes from the compiler's
// language service (crosswalk/compiler/language_service.h); this layer keeps the open documents, converts
// positions (LSP counts UTF-16 code units from 0, the compiler code points from 1) and URIs, and frames.
//
// Methods: initialize, initialized, shutdown, exit; textDocument/didOpen, didChange (full text), didClose
// (each open or change publishes the document's diagnostics); textDocument/hover, definition, completion.
// A request for any other method is answered with error -32601; other notifications are ignored. A frame
// without a valid Content-Length, or a body that is not JSON, is answered with error -32700 (id null) and
// the server reads on: it never stops on bad input, only on `exit` or the end of the input.
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace crosswalk::lsp {

struct ServerOptions {
  // Folders searched for imported modules after the document's own folder (added to those the client
  // gives in initializationOptions.includeDirs).
  std::vector<std::string> include_dirs;
  // Largest message body accepted, in bytes (default 64 MiB); a larger Content-Length is error -32700 and
  // the body is skipped.
  size_t max_body_bytes = 64u << 20;
};

// Serves requests read from `in`, writing responses and notifications to `out`, until `exit` or the end of
// `in`. Returns the process exit status: 0 after shutdown then exit, 1 otherwise (as the protocol says).
int RunServer(std::istream& in, std::ostream& out, const ServerOptions& options = {});

}  // namespace crosswalk::lsp
