// crosswalk coverage PROGRAM.cwb DIR|FILE... : which HL7 v2 fields held data that no output used, and which
// map lines never ran, over a set of messages (the data-loss report an interface analyst asks for).
//
// Each message runs with lineage on (RunOptions::trace). A field "has data" in a message when `crosswalk
// inspect` prints a value for it (a non-empty repetition, component or subcomponent, or an explicit null
// ""); it is "used" when an input place of some output value's lineage (data or condition, the codes of
// terminology decisions included) lies in it. MSH-1 and MSH-2 (the delimiters) are left out; MSH-9.1 and
// MSH-9.2 count as used when a map was chosen by message type, since choosing is using them.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.h"
#include "crosswalk/hl7v2.h"
#include "crosswalk/runtime.h"
#include "options.h"
#include "pieces.h"
#include "safe_text.h"

namespace {

using crosswalk::cli::ForEachPiece;

namespace fs = std::filesystem;
using crosswalk::MessageView;

// A field (comp == 0) or one of its components.
struct Place {
  std::string segment;
  uint32_t field = 0;
  uint32_t comp = 0;
  bool operator<(const Place& o) const {
    if (segment != o.segment) return segment < o.segment;
    if (field != o.field) return field < o.field;
    return comp < o.comp;
  }
  std::string Path() const {
    return segment + "-" + std::to_string(field) + (comp ? "." + std::to_string(comp) : "");
  }
};

struct Counts {
  uint64_t with_data = 0;  // messages that had data there
  uint64_t used = 0;       // of those, messages where some output used it
};

struct Report {
  uint64_t messages = 0, converted = 0, rejected = 0, json_inputs = 0;
  std::map<Place, Counts> places;
  std::vector<std::string> segment_order;  // segment ids in order of first appearance
  std::set<crosswalk::SourceLine> lines_run;
};

// The fields and components of `m` that hold data (what inspect prints), as places.
std::set<Place> PlacesWithData(const MessageView& m, std::vector<std::string>* segment_order) {
  std::set<Place> out;
  const MessageView::Delimiters enc = m.delimiters();
  for (int seg = 0; seg < m.segment_count(); ++seg) {
    std::string id(m.segment_id(seg));
    if (std::find(segment_order->begin(), segment_order->end(), id) == segment_order->end()) {
      segment_order->push_back(id);
    }
    for (int f = 1; f <= m.field_count(seg); ++f) {
      if (seg == 0 && f <= 2) continue;  // MSH-1, MSH-2: the delimiters
      std::string_view field = m.field(seg, f);
      if (field.empty()) continue;
      const uint32_t fu = static_cast<uint32_t>(f);
      ForEachPiece(field, enc.repetition, [&](std::string_view rep, uint32_t) {
        if (rep.empty()) return;
        out.insert({id, fu, 0});
        if (rep.find(enc.component) == std::string_view::npos) {
          // No components: the repetition is its first component (subcomponents, if any, are of it).
          out.insert({id, fu, 1});
          return;
        }
        ForEachPiece(rep, enc.component, [&](std::string_view comp, uint32_t c) {
          if (!comp.empty()) out.insert({id, fu, c});
        });
      });
    }
  }
  return out;
}

// Whether a place with data was used, given the fields used whole (comp 0) and the components used.
bool Used(const Place& p, const std::set<Place>& used) {
  if (used.count({p.segment, p.field, 0})) return true;  // the whole field (or a repetition) was read
  if (p.comp != 0) return used.count(p) > 0;
  // A field is used when any of its components is.
  auto it = used.lower_bound({p.segment, p.field, 1});
  return it != used.end() && it->segment == p.segment && it->field == p.field;
}

class Coverage {
 public:
  Coverage(const crosswalk::Runtime& runtime, const crosswalk::Program& program, const crosswalk::RunOptions& options)
      : program_(program), options_(options), ctx_(runtime) {
    options_.trace = true;
  }

  void AddFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      Reject(path, "cannot read the file: " + std::string(std::strerror(errno)));
      return;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
      ++report_.json_inputs;
      RunOne(path, text, false);
      return;
    }
    crosswalk::MessageSplitter splitter;
    splitter.Feed(text);
    splitter.Finish();
    crosswalk::SplitItem item;
    int n = 0;
    while (splitter.Next(&item)) {
      if (item.kind == crosswalk::SplitItem::Kind::kEnvelope) continue;
      ++n;
      std::string label = path + "#" + std::to_string(n);
      if (item.kind == crosswalk::SplitItem::Kind::kError) {
        Reject(label, item.error.ToString());
        continue;
      }
      RunOne(label, std::string(item.text), true);
    }
  }

  Report& report() { return report_; }

 private:
  void Reject(const std::string& label, const std::string& why) {
    ++report_.messages;
    ++report_.rejected;
    crosswalk::cli::PrintSafe(stderr, label + ": rejected: " + why);
  }

  void RunOne(const std::string& label, const std::string& text, bool hl7) {
    crosswalk::Status s = ctx_.Run(program_, text, options_, &out_);
    if (!s.ok()) {
      Reject(label, s.ToString());
      return;
    }
    ++report_.messages;
    ++report_.converted;
    report_.lines_run.insert(out_.lines_run.begin(), out_.lines_run.end());
    if (!hl7) return;
    if (crosswalk::Status ps = message_.Parse(text, options_.invalid_utf8); !ps.ok()) return;  // the run parsed it
    std::set<Place> used;
    for (const crosswalk::LineageRecord& r : out_.lineage) {
      for (const crosswalk::LineageInput& in : r.inputs) {
        if (!in.segment.empty() && in.field != 0) used.insert({in.segment, in.field, in.comp});
      }
    }
    if (options_.map_name.empty()) {
      for (const auto& m : program_.maps()) {
        if (m.name == out_.map_name && !m.message_type.empty()) {
          used.insert({"MSH", 9, 1});
          used.insert({"MSH", 9, 2});
        }
      }
    }
    for (const Place& p : PlacesWithData(message_, &report_.segment_order)) {
      Counts& c = report_.places[p];
      ++c.with_data;
      if (Used(p, used)) ++c.used;
    }
  }

  const crosswalk::Program& program_;
  crosswalk::RunOptions options_;
  crosswalk::RunContext ctx_;
  crosswalk::RunOutput out_;
  MessageView message_;
  Report report_;
};

// "3, 5-7, 12"
std::string Ranges(const std::vector<uint32_t>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size();) {
    size_t j = i;
    while (j + 1 < lines.size() && lines[j + 1] == lines[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(lines[i]);
    if (j > i) out += "-" + std::to_string(lines[j]);
    i = j + 1;
  }
  return out;
}

int RunCoverage(const std::vector<std::string>& args) {
  namespace cli = crosswalk::cli;
  std::string program_path, term_dir, format = "text";
  std::vector<std::string> inputs;
  double min_used = -1;
  crosswalk::RunOptions options;
  auto app = cli::MakeApp(
      "crosswalk coverage", "PROGRAM.cwb DIR|FILE... [--term DIR] [--map NAME] [--min-used PCT] [--format text|json]",
      "Runs the program over the messages with lineage on and reports, per HL7 v2 field and component,\n"
      "how many messages held data there and in how many of those some output value came from it (or was\n"
      "decided by it); then the map lines that never ran. A folder means every file below it.",
      "The used share is (field, message) pairs used / pairs with data. Exit status: 0; 1 when the used\n"
      "share is under --min-used, when no message converted, or on a failure; 2 on a usage error.");
  app->add_option("PROGRAM.cwb", program_path, "")->required();
  app->add_option("INPUT", inputs, "HL7 v2 files (batches, MLLP) or JSON documents, or folders of them")
      ->required()
      ->type_name("DIR|FILE");
  app->add_option("--term", term_dir, "the terminology store")->type_name("DIR");
  app->add_option("--map", options.map_name, "run this map instead of choosing by message type")->type_name("NAME");
  app->add_option("--min-used", min_used, "fail (exit 1) when under this percentage of field data is used")
      ->type_name("PCT")
      ->check(CLI::Range(0.0, 100.0));
  app->add_option("--format", format, "text (default) or json")->check(cli::OneOf({"text", "json"}));
  if (int rc = cli::Parse(*app, args); rc != cli::kParsed) return rc;

  std::ifstream in(program_path, std::ios::binary);
  if (!in) {
    cli::PrintSafe(stderr, "crosswalk coverage: cannot read '" + program_path + "'");
    return 1;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  cli::LoadedProgram loaded;
  if (!cli::LoadProgram("coverage", ss.str(), term_dir, program_path, &loaded)) return 1;
  if (std::string why = cli::MissingMap(*loaded.program, options.map_name); !why.empty()) {
    return cli::UsageError(*app, why);
  }

  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(input, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) found.push_back(it->path().string());
      }
      if (ec) {
        cli::PrintSafe(stderr, "crosswalk coverage: cannot list '" + input + "': " + ec.message());
        return 1;
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(input);
    }
  }

  Coverage coverage(*loaded.runtime, *loaded.program, options);
  for (const std::string& f : files) coverage.AddFile(f);
  Report& r = coverage.report();

  // Rows in the order segments first appeared, then by field and component.
  std::vector<std::pair<Place, Counts>> rows(r.places.begin(), r.places.end());
  auto rank = [&](const std::string& id) {
    return std::find(r.segment_order.begin(), r.segment_order.end(), id) - r.segment_order.begin();
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto& x, const auto& y) {
    if (x.first.segment != y.first.segment) return rank(x.first.segment) < rank(y.first.segment);
    if (x.first.field != y.first.field) return x.first.field < y.first.field;
    return x.first.comp < y.first.comp;
  });
  // Components are shown for fields that had more than one component with data somewhere.
  std::map<std::pair<std::string, uint32_t>, int> components;
  uint64_t pairs = 0, used_pairs = 0, fields = 0, fields_unused = 0;
  for (const auto& [p, c] : rows) {
    if (p.comp != 0) {
      ++components[{p.segment, p.field}];
    } else {
      pairs += c.with_data;
      used_pairs += c.used;
      ++fields;
      if (c.used == 0) ++fields_unused;
    }
  }
  auto show_components = [&](const Place& p) { return components[{p.segment, p.field}] > 1; };
  const double share = pairs == 0 ? 100.0 : 100.0 * static_cast<double>(used_pairs) / static_cast<double>(pairs);

  std::map<std::string, std::vector<uint32_t>> never_run;
  for (const crosswalk::SourceLine& l : loaded.program->source_lines()) {
    if (!r.lines_run.count(l)) never_run[l.file].push_back(l.line);
  }

  if (format == "json") {
    nlohmann::ordered_json j;
    j["messages"] = r.messages;
    j["converted"] = r.converted;
    j["rejected"] = r.rejected;
    j["used_percent"] = std::round(share * 10) / 10;
    nlohmann::ordered_json field_rows = nlohmann::ordered_json::array();
    for (const auto& [p, c] : rows) {
      if (p.comp != 0) continue;
      nlohmann::ordered_json f;
      f["path"] = p.Path();
      f["with_data"] = c.with_data;
      f["used"] = c.used;
      if (show_components(p)) {
        nlohmann::ordered_json comps = nlohmann::ordered_json::array();
        for (const auto& [q, d] : rows) {
          if (q.segment != p.segment || q.field != p.field || q.comp == 0) continue;
          comps.push_back({{"path", q.Path()}, {"with_data", d.with_data}, {"used", d.used}});
        }
        f["components"] = std::move(comps);
      }
      field_rows.push_back(std::move(f));
    }
    j["fields"] = std::move(field_rows);
    nlohmann::ordered_json lines = nlohmann::ordered_json::array();
    for (const auto& [file, ls] : never_run) lines.push_back({{"file", file}, {"lines", ls}});
    j["lines_never_run"] = std::move(lines);
    std::string text = j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::string out;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-16s %10s %8s %8s\n", "field", "with data", "used", "unused");
    out += buf;
    for (const auto& [p, c] : rows) {
      if (p.comp != 0 && !show_components(p)) continue;
      std::string name = (p.comp ? "  " : "") + p.Path();
      std::snprintf(buf, sizeof buf, "%-16s %10llu %8llu %8llu%s\n", name.c_str(),
                    static_cast<unsigned long long>(c.with_data), static_cast<unsigned long long>(c.used),
                    static_cast<unsigned long long>(c.with_data - c.used),
                    c.used == 0 ? "   never used" : "");
      out += buf;
    }
    out += "\nmap lines never run:";
    if (never_run.empty()) out += " none";
    out += "\n";
    for (const auto& [file, ls] : never_run) out += "  " + file + ": " + Ranges(ls) + "\n";
    std::snprintf(buf, sizeof buf,
                  "\n%llu message%s (%llu converted, %llu rejected); %llu field%s with data, %llu never used; "
                  "used share %.1f%%\n",
                  static_cast<unsigned long long>(r.messages), r.messages == 1 ? "" : "s",
                  static_cast<unsigned long long>(r.converted), static_cast<unsigned long long>(r.rejected),
                  static_cast<unsigned long long>(fields), fields == 1 ? "" : "s",
                  static_cast<unsigned long long>(fields_unused), share);
    out += buf;
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  if (std::fflush(stdout) != 0) {
    cli::PrintSafe(stderr, "crosswalk coverage: cannot write the report");
    return 1;
  }
  if (r.converted == 0) {
    cli::PrintSafe(stderr, "crosswalk coverage: no message converted");
    return 1;
  }
  if (min_used >= 0 && share < min_used) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "crosswalk coverage: used share %.1f%% is under --min-used %g%%", share, min_used);
    cli::PrintSafe(stderr, buf);
    return 1;
  }
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(coverage, "coverage",
                    "PROGRAM.cwb DIR|FILE... [--min-used PCT]  which input fields no output used; map lines never run",
                    RunCoverage);
