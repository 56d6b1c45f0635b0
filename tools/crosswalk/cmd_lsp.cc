// crosswalk lsp [-I DIR]... [--stdio]
//
// The language server for editors (docs/editors.md): the Language Server Protocol over standard input and
// output. Diagnostics as you type, hover (HL7 v2 fields, FHIR R4 elements, built-ins and functions), go to
// definition across imports, completion. The protocol is in lsp/server.h; the language in
// crosswalk/compiler/language_service.h.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "command.h"
#include "lsp/server.h"
#include "options.h"

namespace {

int RunLsp(const std::vector<std::string>& args) {
  crosswalk::lsp::ServerOptions options;
  bool stdio = false;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk lsp", "[-I DIR]... [--stdio]",
      "Runs the language server: LSP (JSON-RPC, Content-Length framing) on standard input and output.",
      "  Editors start it themselves (tools/editors/vscode does). Imports resolve from the document's folder,\n"
      "  then each -I DIR and the client's initializationOptions.includeDirs, then the folders above the\n"
      "  document's. Exit 0 after shutdown and exit, 1 when the input ends or exit comes without shutdown.\n");
  app->add_option("-I", options.include_dirs, "also look for imported modules in DIR (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app->add_flag("--stdio", stdio, "talk over standard input and output (the default and only transport)");
  if (int rc = crosswalk::cli::Parse(*app, args); rc != crosswalk::cli::kParsed) return rc;
  std::ios::sync_with_stdio(false);
  return crosswalk::lsp::RunServer(std::cin, std::cout, options);
}

}  // namespace

CW_REGISTER_COMMAND(lsp, "lsp", "[-I DIR]...  the language server for editors (LSP on stdin/stdout)", RunLsp);
