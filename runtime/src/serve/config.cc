#include "crosswalk/serve.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

namespace crosswalk::serve {
namespace {

using Json = nlohmann::json;

// Reads one JSON object's members by name, each once, with the path of each in errors; Done() refuses the
// members no one asked for (a misspelt key is an error, not a silently ignored option).
class Reader {
 public:
  Reader(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

  Status Object() const {
    return j_.is_object() ? Status::Ok() : InvalidArgument(Where() + "must be an object");
  }
  const Json* Find(const char* key) {
    seen_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  std::string Path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  Status String(const char* key, std::string* out, bool required = false) {
    const Json* v = Find(key);
    if (v == nullptr) return required ? InvalidArgument(Path(key) + ": required") : Status::Ok();
    if (!v->is_string() || v->get_ref<const std::string&>().empty()) {
      return InvalidArgument(Path(key) + ": must be a non-empty string");
    }
    *out = v->get<std::string>();
    return Status::Ok();
  }
  // A path, resolved against base when relative.
  Status File(const char* key, const std::string& base, std::string* out, bool required = false) {
    std::string v;
    CW_RETURN_IF_ERROR(String(key, &v, required));
    if (!v.empty()) *out = std::filesystem::path(v).is_absolute() ? v : (std::filesystem::path(base) / v).string();
    return Status::Ok();
  }
  template <typename T>
  Status Number(const char* key, uint64_t min, uint64_t max, T* out) {
    const Json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number_unsigned() || v->get<uint64_t>() < min || v->get<uint64_t>() > max) {
      return InvalidArgument(Path(key) + ": must be a whole number from " + std::to_string(min) + " to " +
                             std::to_string(max));
    }
    *out = static_cast<T>(v->get<uint64_t>());
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) {
    const Json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_boolean()) return InvalidArgument(Path(key) + ": must be true or false");
    *out = v->get<bool>();
    return Status::Ok();
  }
  Status Done() const {
    for (const auto& [key, value] : j_.items()) {
      if (!seen_.count(key)) return InvalidArgument(Path(key.c_str()) + ": unknown key");
    }
    return Status::Ok();
  }

 private:
  std::string Where() const { return path_.empty() ? "the configuration " : path_ + ": "; }
  const Json& j_;
  std::string path_;
  std::set<std::string> seen_;
};

Status ReadFhir(const Json& j, const std::string& path, const std::string& base, FhirOptions* o) {
  Reader r(j, path);
  CW_RETURN_IF_ERROR(r.Object());
  CW_RETURN_IF_ERROR(r.String("base", &o->base_url, /*required=*/true));
  if (const Json* h = r.Find("headers")) {
    if (!h->is_array()) return InvalidArgument(r.Path("headers") + ": must be an array of 'Name: value' strings");
    for (size_t i = 0; i < h->size(); ++i) {
      const Json& v = (*h)[i];
      if (!v.is_string() || v.get_ref<const std::string&>().find(':') == std::string::npos) {
        return InvalidArgument(r.Path("headers") + "[" + std::to_string(i) + "]: must be a 'Name: value' string");
      }
      o->headers.push_back(v.get<std::string>());
    }
  }
  CW_RETURN_IF_ERROR(r.File("ca", base, &o->ca_file));
  // The client certificate of mutual TLS: "cert_key", since "key" is the SMART signing key.
  CW_RETURN_IF_ERROR(r.File("cert", base, &o->client_cert_file));
  CW_RETURN_IF_ERROR(r.File("cert_key", base, &o->client_key_file));
  if (o->client_cert_file.empty() != o->client_key_file.empty()) {
    return InvalidArgument(r.Path(o->client_cert_file.empty() ? "cert" : "cert_key") + ": required with " +
                           (o->client_cert_file.empty() ? "cert_key" : "cert"));
  }
  CW_RETURN_IF_ERROR(r.Number("max_tries", 1, UINT32_MAX, &o->max_tries));
  CW_RETURN_IF_ERROR(r.Number("timeout_ms", 1, UINT32_MAX, &o->timeout_ms));
  CW_RETURN_IF_ERROR(r.Number("backoff_ms", 1, UINT32_MAX, &o->backoff_initial_ms));
  CW_RETURN_IF_ERROR(r.String("token_url", &o->oauth.token_url));
  CW_RETURN_IF_ERROR(r.String("client_id", &o->oauth.client_id));
  CW_RETURN_IF_ERROR(r.File("key", base, &o->oauth.key_file));
  CW_RETURN_IF_ERROR(r.String("kid", &o->oauth.kid));
  CW_RETURN_IF_ERROR(r.String("scope", &o->oauth.scope));
  return r.Done();
}

Status ReadMllpOut(const Json& j, const std::string& path, const std::string& base, MllpOutOptions* o) {
  Reader r(j, path);
  CW_RETURN_IF_ERROR(r.Object());
  std::string address;
  CW_RETURN_IF_ERROR(r.String("address", &address, /*required=*/true));
  if (!ParseHostPort(address, &o->host, &o->port) || o->port == 0) {
    return InvalidArgument(r.Path("address") + ": takes HOST:PORT (a port other than 0), not '" + address + "'");
  }
  CW_RETURN_IF_ERROR(r.Number("max_tries", 1, UINT32_MAX, &o->max_tries));
  CW_RETURN_IF_ERROR(r.Number("timeout_ms", 1, UINT32_MAX, &o->timeout_ms));
  CW_RETURN_IF_ERROR(r.Number("backoff_ms", 1, UINT32_MAX, &o->backoff_initial_ms));
  CW_RETURN_IF_ERROR(r.Bool("app_acks", &o->app_acks));
  if (const Json* tls = r.Find("tls")) {  // {} = TLS verified with the system's CAs
    Reader t(*tls, r.Path("tls"));
    CW_RETURN_IF_ERROR(t.Object());
    o->tls = true;
    CW_RETURN_IF_ERROR(t.File("ca", base, &o->tls_ca_file));
    CW_RETURN_IF_ERROR(t.File("cert", base, &o->tls_cert_file));
    CW_RETURN_IF_ERROR(t.File("key", base, &o->tls_key_file));
    CW_RETURN_IF_ERROR(t.String("server_name", &o->tls_server_name));
    if (o->tls_cert_file.empty() != o->tls_key_file.empty()) {
      return InvalidArgument(t.Path(o->tls_cert_file.empty() ? "cert" : "key") +
                             ": required with " + (o->tls_cert_file.empty() ? "key" : "cert"));
    }
    CW_RETURN_IF_ERROR(t.Done());
  }
  return r.Done();
}

Status ReadListener(const Json& j, const std::string& path, const std::string& base, ListenerConfig* l) {
  Reader r(j, path);
  CW_RETURN_IF_ERROR(r.Object());
  ServerOptions& o = l->options;
  l->name = path;
  CW_RETURN_IF_ERROR(r.String("name", &l->name));
  std::string mllp;
  CW_RETURN_IF_ERROR(r.String("mllp", &mllp, /*required=*/true));
  if (!ParseHostPort(mllp, &o.host, &o.port)) {
    return InvalidArgument(r.Path("mllp") + ": takes HOST:PORT, not '" + mllp + "'");
  }
  CW_RETURN_IF_ERROR(r.File("program", base, &l->program_path, /*required=*/true));
  CW_RETURN_IF_ERROR(r.File("term", base, &l->term_dir));
  CW_RETURN_IF_ERROR(r.Bool("allow_term_drift", &l->allow_term_drift));
  CW_RETURN_IF_ERROR(r.String("map", &o.run_options.map_name));
  CW_RETURN_IF_ERROR(r.File("inbox", base, &o.inbox_dir, /*required=*/true));
  l->workers_given = r.Find("workers") != nullptr;
  CW_RETURN_IF_ERROR(r.Number("workers", 1, 1024, &o.workers));
  CW_RETURN_IF_ERROR(r.Bool("sync", &o.sync));
  CW_RETURN_IF_ERROR(r.Bool("app_acks", &o.app_acks));
  CW_RETURN_IF_ERROR(r.String("zone", &o.run_options.default_zone));
  if (const Json* vars = r.Find("vars")) {
    if (!vars->is_object()) return InvalidArgument(r.Path("vars") + ": must be an object of strings");
    for (const auto& [k, v] : vars->items()) {
      if (!v.is_string()) return InvalidArgument(r.Path("vars") + "." + k + ": must be a string");
      o.run_options.variables.emplace_back(k, v.get<std::string>());
    }
  }
  const Json* outputs = r.Find("outputs");
  if (outputs == nullptr) return InvalidArgument(r.Path("outputs") + ": required (\"dir\" or \"ndjson\")");
  Reader out(*outputs, r.Path("outputs"));
  CW_RETURN_IF_ERROR(out.Object());
  CW_RETURN_IF_ERROR(out.File("dir", base, &o.out_dir));
  CW_RETURN_IF_ERROR(out.File("ndjson", base, &o.ndjson_path));
  if (o.out_dir.empty() && o.ndjson_path.empty()) return InvalidArgument(out.Path("dir") + ": required without \"ndjson\"");
  CW_RETURN_IF_ERROR(out.Bool("stdout", &o.stdout_output));
  if (const Json* fhir = out.Find("fhir")) CW_RETURN_IF_ERROR(ReadFhir(*fhir, out.Path("fhir"), base, &o.fhir));
  if (const Json* mllp_out = out.Find("mllp")) CW_RETURN_IF_ERROR(ReadMllpOut(*mllp_out, out.Path("mllp"), base, &o.mllp_out));
  CW_RETURN_IF_ERROR(out.Done());
  if (o.out_dir.empty() && (!o.fhir.base_url.empty() || !o.mllp_out.host.empty())) {
    return InvalidArgument(out.Path("dir") + ": required with \"fhir\" or \"mllp\" (they send its files)");
  }
  if (const Json* limits = r.Find("limits")) {
    Reader lim(*limits, r.Path("limits"));
    CW_RETURN_IF_ERROR(lim.Object());
    CW_RETURN_IF_ERROR(lim.Number("max_connections", 1, 100000, &o.max_connections));
    CW_RETURN_IF_ERROR(lim.Number("max_frame_bytes", 16, size_t{1} << 30, &o.max_frame_bytes));
    CW_RETURN_IF_ERROR(lim.Number("max_pending", 1, size_t{1} << 32, &o.max_pending));
    uint64_t dedup_days = o.dedup_seconds / 86400;
    CW_RETURN_IF_ERROR(lim.Number("dedup_days", 0, 36500, &dedup_days));
    o.dedup_seconds = dedup_days * 86400;
    CW_RETURN_IF_ERROR(lim.Done());
  }
  if (const Json* tls = r.Find("tls")) {
    Reader t(*tls, r.Path("tls"));
    CW_RETURN_IF_ERROR(t.Object());
    CW_RETURN_IF_ERROR(t.File("cert", base, &o.tls.cert_file, /*required=*/true));
    CW_RETURN_IF_ERROR(t.File("key", base, &o.tls.key_file, /*required=*/true));
    CW_RETURN_IF_ERROR(t.File("client_ca", base, &o.tls.client_ca_file));
    CW_RETURN_IF_ERROR(t.Done());
  }
  std::string metrics;
  CW_RETURN_IF_ERROR(r.String("metrics", &metrics));
  if (!metrics.empty()) {
    if (!ParseHostPort(metrics, &o.metrics_host, &o.metrics_port)) {
      return InvalidArgument(r.Path("metrics") + ": takes HOST:PORT, not '" + metrics + "'");
    }
    o.metrics = true;
  }
  return r.Done();
}

}  // namespace

bool ParseHostPort(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size() || text.size() - colon > 6) {
    return false;
  }
  std::string_view name = text.substr(0, colon);
  if (name.front() == '[') {  // [IPv6]:PORT
    if (name.size() < 3 || name.back() != ']') return false;
    name = name.substr(1, name.size() - 2);
    if (name.find_first_of("[]") != std::string_view::npos) return false;
  } else if (name.find_first_of(":[]") != std::string_view::npos) {
    return false;  // an IPv6 address without brackets: the port cannot be told apart
  }
  uint32_t p = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<uint32_t>(c - '0');
  }
  if (p > 65535) return false;
  host->assign(name);
  *port = static_cast<uint16_t>(p);
  return true;
}

Result<ServeConfig> ParseServeConfig(std::string_view text, const std::string& base_dir) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("the configuration is not valid JSON");
  ServeConfig config;
  Reader r(j, "");
  CW_RETURN_IF_ERROR(r.Object());
  if (const Json* log = r.Find("log")) {
    config.log_given = true;
    Reader l(*log, "log");
    CW_RETURN_IF_ERROR(l.Object());
    std::string level, format;
    CW_RETURN_IF_ERROR(l.String("level", &level));
    CW_RETURN_IF_ERROR(l.String("format", &format));
    if (!level.empty() && !ParseLogLevel(level, &config.log_level)) {
      return InvalidArgument("log.level: must be debug, info, warn or error");
    }
    if (!format.empty() && !ParseLogFormat(format, &config.log_format)) {
      return InvalidArgument("log.format: must be json or text");
    }
    CW_RETURN_IF_ERROR(l.Done());
  }
  CW_RETURN_IF_ERROR(r.Number("workers", 1, 1024, &config.workers));
  const Json* listeners = r.Find("listeners");
  if (listeners == nullptr || !listeners->is_array() || listeners->empty()) {
    return InvalidArgument("listeners: required, an array of at least one listener");
  }
  CW_RETURN_IF_ERROR(r.Done());
  std::set<std::string> addresses, inboxes, outs, names;
  for (size_t i = 0; i < listeners->size(); ++i) {
    std::string path = "listeners[" + std::to_string(i) + "]";
    ListenerConfig l;
    CW_RETURN_IF_ERROR(ReadListener((*listeners)[i], path, base_dir, &l));
    const ServerOptions& o = l.options;
    auto clash = [&](std::set<std::string>* seen, const std::string& v, const char* what) {
      return !v.empty() && !seen->insert(v).second
                 ? InvalidArgument(path + ": " + what + " '" + v + "' is used by an earlier listener")
                 : Status::Ok();
    };
    std::string address = o.host + ":" + std::to_string(o.port);
    if (o.port != 0) CW_RETURN_IF_ERROR(clash(&addresses, address, "the address"));
    CW_RETURN_IF_ERROR(clash(&names, l.name, "the name"));
    CW_RETURN_IF_ERROR(clash(&inboxes, std::filesystem::weakly_canonical(o.inbox_dir).string(), "the inbox"));
    if (!o.out_dir.empty()) {
      CW_RETURN_IF_ERROR(clash(&outs, std::filesystem::weakly_canonical(o.out_dir).string(), "the output folder"));
    }
    if (!o.ndjson_path.empty()) {
      CW_RETURN_IF_ERROR(clash(&outs, std::filesystem::weakly_canonical(o.ndjson_path).string(), "the NDJSON file"));
    }
    if (o.stdout_output && std::count_if(config.listeners.begin(), config.listeners.end(), [](const ListenerConfig& x) {
          return x.options.stdout_output;
        }) > 0) {
      return InvalidArgument(path + ".outputs.stdout: only one listener may write to stdout");
    }
    config.listeners.push_back(std::move(l));
  }
  return config;
}

unsigned PoolSize(const ServeConfig& config) {
  if (config.workers > 0) return config.workers;
  unsigned sum = 0;
  for (const ListenerConfig& l : config.listeners) sum += l.workers_given ? l.options.workers : 1;
  return std::clamp(sum, 1u, 1024u);
}

}  // namespace crosswalk::serve
