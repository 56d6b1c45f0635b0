#include "lsp/server.h"

#include <cctype>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crosswalk/compiler/language_service.h"

namespace crosswalk::lsp {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace cc = crosswalk::compiler;

// JSON-RPC and LSP error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kInternalError = -32603;
constexpr int kServerNotInitialized = -32002;

// ---- framing ----

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

size_t IFind(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (IEquals(hay.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

struct Frame {
  std::string body;   // the message, when the header gave its length
  std::string error;  // why the header is not valid, or empty
  bool has_body = false;
};

// Reads the next frame. Returns false at the end of the input. A header block that is not valid (no or a
// bad Content-Length, text that is not a header) gives `error`; when a Content-Length was still readable
// the body is read too, so the stream stays in step. Garbage before a header line is skipped up to the
// `Content-Length:` in it, which is how the reader finds its feet again after a bad frame.
bool ReadFrame(std::istream& in, size_t max_body, Frame* frame) {
  *frame = Frame{};
  std::string line;
  bool any = false;
  long long length = -1;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (any) break;
      continue;  // blank lines between frames
    }
    any = true;
    size_t at = IFind(line, "content-length:");
    if (at != std::string::npos && at > 0) {
      frame->error = "text before a header";
      line = line.substr(at);
    }
    size_t colon = line.find(':');
    std::string_view name = std::string_view(line).substr(0, colon == std::string::npos ? 0 : colon);
    bool token = !name.empty();
    for (char c : name) token = token && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
    if (!token) {
      if (frame->error.empty()) frame->error = "a line that is not a header";
      continue;
    }
    if (!IEquals(name, "content-length")) continue;  // Content-Type and others: ignored
    std::string_view value = std::string_view(line).substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    bool digits = !value.empty() && value.size() <= 12;
    for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits) {
      frame->error = "Content-Length is not a number";
      length = -1;
      continue;
    }
    length = std::stoll(std::string(value));
  }
  if (!any) return false;
  if (length < 0) {
    if (frame->error.empty() || frame->error == "text before a header") frame->error = "no Content-Length header";
    return true;
  }
  if (static_cast<size_t>(length) > max_body) {
    frame->error = "Content-Length " + std::to_string(length) + " is larger than the limit of " + std::to_string(max_body) + " bytes";
    in.ignore(length);
    return static_cast<bool>(in) || in.eof();
  }
  frame->body.resize(static_cast<size_t>(length));
  in.read(frame->body.data(), length);
  if (in.gcount() != length) return false;  // the input ended inside the body
  frame->has_body = true;
  return true;
}

void WriteMessage(std::ostream& out, const json& message) {
  std::string body = message.dump(-1, ' ', false, json::error_handler_t::replace);
  out << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out.flush();
}

// ---- URIs and positions ----

// The file path of a `file:` URI (percent-decoded), or the URI itself for other schemes.
std::string PathOfUri(const std::string& uri) {
  if (uri.rfind("file://", 0) != 0) return uri;
  std::string raw = uri.substr(7), path;
  // file://host/path: only the local host (empty or "localhost") is a path here.
  if (raw.rfind("localhost/", 0) == 0) raw = raw.substr(9);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
      path += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      path += raw[i];
    }
  }
  return path;
}

std::string UriOfPath(const std::string& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  std::string p = ec ? path : abs.lexically_normal().string();
  std::string uri = "file://";
  for (unsigned char c : p) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      uri += buf;
    }
  }
  return uri;
}

// Length of the UTF-8 sequence led by `c` (1 for a byte that leads none).
size_t SequenceLength(unsigned char c) { return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

std::string_view LineOf(const std::string& text, uint32_t line /* 0-based */) {
  size_t start = 0;
  for (uint32_t l = 0; l < line; ++l) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  std::string_view s = std::string_view(text).substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

// LSP position (0-based line, UTF-16 units) to the compiler's (1-based line, code points).
cc::TextPoint FromLsp(const std::string& text, const json& position) {
  uint32_t line = position.at("line").get<uint32_t>();
  uint32_t units = position.at("character").get<uint32_t>();
  std::string_view s = LineOf(text, line);
  uint32_t col = 1, seen = 0;
  for (size_t i = 0; i < s.size() && seen < units;) {
    size_t n = SequenceLength(static_cast<unsigned char>(s[i]));
    seen += n == 4 ? 2 : 1;
    i += n;
    ++col;
  }
  return {line + 1, col};
}

json ToLsp(const std::string& text, cc::TextPoint p) {
  uint32_t line = p.line > 0 ? p.line - 1 : 0;
  std::string_view s = LineOf(text, line);
  uint32_t units = 0, col = 1;
  for (size_t i = 0; i < s.size() && col < p.col;) {
    size_t n = SequenceLength(static_cast<unsigned char>(s[i]));
    units += n == 4 ? 2 : 1;
    i += n;
    ++col;
  }
  return {{"line", line}, {"character", units}};
}

json RangeOf(const std::string& text, const cc::TextSpan& span) {
  return {{"start", ToLsp(text, span.begin)}, {"end", ToLsp(text, span.end)}};
}

int CompletionKindOf(cc::CompletionKind k) {
  switch (k) {
    case cc::CompletionKind::kField: return 5;      // Field
    case cc::CompletionKind::kElement: return 10;   // Property
    case cc::CompletionKind::kFunction: return 3;   // Function
    case cc::CompletionKind::kBuiltin: return 3;    // Function
    case cc::CompletionKind::kConstant: return 21;  // Constant
    case cc::CompletionKind::kKeyword: return 14;   // Keyword
    case cc::CompletionKind::kModule: return 9;     // Module
  }
  return 1;
}

// ---- the server ----

struct Document {
  std::string path;
  std::string text;
  json version;
};

class Server {
 public:
  Server(std::ostream& out, const ServerOptions& options) : out_(out) {
    editor_.include_dirs = options.include_dirs;
  }

  // Handles one frame; false once `exit` was received.
  bool Handle(const Frame& frame) {
    if (!frame.error.empty()) Error(nullptr, kParseError, "bad message frame: " + frame.error);
    if (!frame.has_body) return true;
    json message = json::parse(frame.body, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded()) {
      Error(nullptr, kParseError, "the message is not valid JSON");
      return true;
    }
    if (!message.is_object() || !message.contains("method") || !message["method"].is_string()) {
      // A response to a request of ours (we send none) is ignored; anything else is not a request.
      if (message.is_object() && message.contains("id") && (message.contains("result") || message.contains("error"))) return true;
      json id = message.is_object() && message.contains("id") ? message["id"] : json(nullptr);
      Error(id, kInvalidRequest, "not a JSON-RPC request or notification (no method)");
      return true;
    }
    std::string method = message["method"];
    json params = message.contains("params") ? message["params"] : json::object();
    bool request = message.contains("id");
    json id = request ? message["id"] : json(nullptr);
    if (request && !id.is_string() && !id.is_number_integer()) {
      Error(nullptr, kInvalidRequest, "a request id must be a number or a string");
      return true;
    }
    if (method == "exit") {
      exit_status_ = shutdown_ ? 0 : 1;
      return false;
    }
    try {
      if (request) {
        HandleRequest(id, method, params);
      } else {
        HandleNotification(method, params);
      }
    } catch (const json::exception& e) {
      // nlohmann's text after its "[json.exception.type.N] " tag says which member is missing or wrong.
      std::string what = e.what();
      size_t tag = what.find("] ");
      if (request) Error(id, kInvalidParams, "invalid params for " + method + ": " + (tag == std::string::npos ? what : what.substr(tag + 2)));
    } catch (const std::exception& e) {
      if (request) Error(id, kInternalError, std::string("internal error: ") + e.what());
    }
    return true;
  }

  int exit_status() const { return exit_status_; }

 private:
  void Respond(const json& id, json result) {
    WriteMessage(out_, {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
  }
  void Error(const json& id, int code, const std::string& message) {
    WriteMessage(out_, {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
  }
  void Notify(const std::string& method, json params) {
    WriteMessage(out_, {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }

  void HandleRequest(const json& id, const std::string& method, const json& params) {
    if (method == "initialize") return Initialize(id, params);
    if (!initialized_) return Error(id, kServerNotInitialized, "the server is not initialized (send initialize first)");
    if (shutdown_) return Error(id, kInvalidRequest, "the server is shut down (only exit is accepted)");
    if (method == "shutdown") {
      shutdown_ = true;
      return Respond(id, nullptr);
    }
    if (method == "textDocument/hover") return Hover(id, params);
    if (method == "textDocument/definition") return Definition(id, params);
    if (method == "textDocument/completion") return Completion(id, params);
    Error(id, kMethodNotFound, "method not found: " + method);
  }

  void HandleNotification(const std::string& method, const json& params) {
    if (!initialized_ || shutdown_) return;  // notifications before initialize are dropped
    if (method == "textDocument/didOpen") {
      const json& td = params.at("textDocument");
      std::string uri = td.at("uri");
      Document& doc = documents_[uri];
      doc.path = PathOfUri(uri);
      doc.text = td.at("text");
      doc.version = td.contains("version") ? td["version"] : json(nullptr);
      Publish(uri, doc);
    } else if (method == "textDocument/didChange") {
      std::string uri = params.at("textDocument").at("uri");
      auto it = documents_.find(uri);
      if (it == documents_.end()) return;
      // Full sync: the last change holds the whole text.
      const json& changes = params.at("contentChanges");
      if (!changes.is_array() || changes.empty()) return;
      it->second.text = changes.back().at("text");
      const json& td = params.at("textDocument");
      it->second.version = td.contains("version") ? td["version"] : json(nullptr);
      Publish(uri, it->second);
    } else if (method == "textDocument/didClose") {
      std::string uri = params.at("textDocument").at("uri");
      if (documents_.erase(uri)) Notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", json::array()}});
    }
    // initialized, $/cancelRequest, workspace/didChangeConfiguration, ...: nothing to do.
  }

  void Initialize(const json& id, const json& params) {
    if (initialized_) return Error(id, kInvalidRequest, "initialize was already received");
    initialized_ = true;
    std::string root;
    if (params.contains("rootUri") && params["rootUri"].is_string()) root = PathOfUri(params["rootUri"]);
    if (params.contains("initializationOptions") && params["initializationOptions"].is_object()) {
      const json& o = params["initializationOptions"];
      if (o.contains("includeDirs") && o["includeDirs"].is_array()) {
        for (const json& d : o["includeDirs"]) {
          if (!d.is_string()) continue;
          fs::path p = d.get<std::string>();
          editor_.include_dirs.push_back(p.is_relative() && !root.empty() ? (fs::path(root) / p).string() : p.string());
        }
      }
      if (o.contains("warnUndeclaredZSegments") && o["warnUndeclaredZSegments"].is_boolean()) {
        editor_.warn_undeclared_z_segments = o["warnUndeclaredZSegments"];
      }
    }
    json capabilities = {
        {"positionEncoding", "utf-16"},
        {"textDocumentSync", {{"openClose", true}, {"change", 1}}},
        {"hoverProvider", true},
        {"definitionProvider", true},
        {"completionProvider", {{"triggerCharacters", {"-", "."}}, {"resolveProvider", false}}},
    };
    Respond(id, {{"capabilities", capabilities}, {"serverInfo", {{"name", "crosswalk"}, {"version", "0.1.0"}}}});
  }

  void Publish(const std::string& uri, const Document& doc) {
    json diagnostics = json::array();
    for (const cc::SpannedDiagnostic& s : cc::CheckDocument(doc.path, doc.text, editor_)) {
      const cc::Diagnostic& d = s.diagnostic;
      int severity = d.severity == cc::Severity::kError ? 1 : d.severity == cc::Severity::kWarning ? 2 : 3;
      json item = {{"range", RangeOf(doc.text, s.span)}, {"severity", severity}, {"source", "crosswalk"}, {"message", d.message}};
      if (!d.code.empty()) item["code"] = d.code;
      diagnostics.push_back(std::move(item));
    }
    json params = {{"uri", uri}, {"diagnostics", std::move(diagnostics)}};
    if (doc.version.is_number_integer()) params["version"] = doc.version;
    Notify("textDocument/publishDiagnostics", std::move(params));
  }

  // The open document a request names, or null after answering the request with an error.
  const Document* Target(const json& id, const json& params) {
    std::string uri = params.at("textDocument").at("uri");
    auto it = documents_.find(uri);
    if (it == documents_.end()) {
      Error(id, kInvalidParams, "the document is not open: " + uri);
      return nullptr;
    }
    return &it->second;
  }

  void Hover(const json& id, const json& params) {
    const Document* doc = Target(id, params);
    if (!doc) return;
    std::optional<cc::HoverInfo> h = cc::Hover(doc->path, doc->text, FromLsp(doc->text, params.at("position")), editor_);
    if (!h) return Respond(id, nullptr);
    Respond(id, {{"contents", {{"kind", "markdown"}, {"value", h->markdown}}}, {"range", RangeOf(doc->text, h->span)}});
  }

  void Definition(const json& id, const json& params) {
    const Document* doc = Target(id, params);
    if (!doc) return;
    std::optional<cc::DefinitionTarget> t =
        cc::Definition(doc->path, doc->text, FromLsp(doc->text, params.at("position")), editor_);
    if (!t) return Respond(id, nullptr);
    // The target's text, for its positions: the open document's when it is open, else the file's.
    std::string uri, text;
    for (const auto& [u, d] : documents_) {
      if (d.path == t->path || (fs::path(d.path).is_absolute() && fs::path(t->path).is_absolute() &&
                                fs::path(d.path).lexically_normal() == fs::path(t->path).lexically_normal())) {
        uri = u;
        text = d.text;
      }
    }
    if (uri.empty()) {
      uri = UriOfPath(t->path);
      std::ifstream in(t->path, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    Respond(id, {{"uri", uri}, {"range", RangeOf(text, t->span)}});
  }

  void Completion(const json& id, const json& params) {
    const Document* doc = Target(id, params);
    if (!doc) return;
    std::vector<cc::CompletionItem> items =
        cc::Complete(doc->path, doc->text, FromLsp(doc->text, params.at("position")), editor_);
    json list = json::array();
    char sort[24];
    for (size_t i = 0; i < items.size(); ++i) {
      const cc::CompletionItem& c = items[i];
      std::snprintf(sort, sizeof sort, "%05zu", i);  // the service's order (fields by number, not as text)
      json item = {{"label", c.label}, {"kind", CompletionKindOf(c.kind)}, {"sortText", sort}};
      if (!c.detail.empty()) item["detail"] = c.detail;
      if (!c.documentation.empty()) item["documentation"] = {{"kind", "markdown"}, {"value", c.documentation}};
      list.push_back(std::move(item));
    }
    Respond(id, {{"isIncomplete", false}, {"items", std::move(list)}});
  }

  std::ostream& out_;
  cc::EditorOptions editor_;
  std::map<std::string, Document> documents_;
  bool initialized_ = false;
  bool shutdown_ = false;
  int exit_status_ = 1;
};

}  // namespace

int RunServer(std::istream& in, std::ostream& out, const ServerOptions& options) {
  Server server(out, options);
  Frame frame;
  while (ReadFrame(in, options.max_body_bytes, &frame)) {
    if (!server.Handle(frame)) return server.exit_status();
  }
  return 1;  // the input ended without exit
}

}  // namespace crosswalk::lsp
