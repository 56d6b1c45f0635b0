// crosswalk run PROGRAM.cwb [--term DIR] [--in FILE|DIR|-] [--out FILE|-] [--out-dir DIR] ...
//
// Every input message ends as an output or as a rejection with its reason; the summary counts add up.
// Inputs: one HL7 v2 message, an HL7 v2 batch file (FHS/BHS, MLLP frames or concatenated messages), a JSON
// document, NDJSON (one document per line), or a directory of such files (processed on all cores).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "command.h"
#include "crosswalk/runtime.h"
#include "hl7v2/framing.h"
#include "hl7v2/message.h"
#include "hl7v2/writer.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: crosswalk run PROGRAM.cwb [--term DIR] [--in FILE|DIR|-] [--out FILE|-] [--out-dir DIR] [options]\n"
    "  Runs a compiled program on HL7 v2 or JSON input and writes JSON output.\n"
    "  --term DIR      terminology store (RocksDB directory) used by translate/lookup/member\n"
    "  --in PATH       input file, directory, or - for standard input (default -)\n"
    "  --out PATH      output file or - (default -); several messages give one JSON document per line\n"
    "  --out-dir DIR   write one output file per message (NAME.json, or NAME.N.json in a batch)\n"
    "  --ack-dir DIR   write an HL7 v2 ACK per inbound message: AA when converted, AE with the reason when\n"
    "                  rejected (NAME.ack.hl7); a message that cannot be parsed gets none (it is reported)\n"
    "  --from KIND     hl7v2 or json (default: detected from the first bytes)\n"
    "  --map NAME      run this map instead of choosing by message type\n"
    "  --now INSTANT   the run's timestamp returned by now()\n"
    "  --zone ZONE     zone for HL7 times that carry none (+HH:MM, -HH:MM or Z)\n"
    "  --var K=V       a host variable returned by var(\"K\") (repeatable)\n"
    "  --pretty        indented JSON\n"
    "  --trace         print, for each output field, the map line that wrote it (stderr)\n"
    "  -j N            worker threads for directories and batches (default: all cores)\n"
    "  --quiet         no summary line\n"
    "Exit status: 0 all converted; 1 error before any message ran; 3 some messages were rejected.\n";

bool ReadFile(const std::string& path, std::string* out) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    *out = ss.str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

struct Job {
  std::string source;  // file path (or "-")
  int index = 0;       // message number in the file (1-based)
  int count = 1;       // messages in the file
  std::string_view text;
};

struct Result {
  bool ok = false;
  bool er7 = false;  // the output is HL7 v2 ER7 text (map target hl7v2)
  std::string ack;   // the ACK to the inbound HL7 v2 message (with --ack-dir)
  std::string output;
  std::string error;
  std::vector<crosswalk::RunWarning> warnings;
  std::vector<std::string> trace;
};

bool LooksLikeJson(std::string_view s) {
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);  // UTF-8 BOM
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

// Splits one file's bytes into messages.
bool SplitInput(const std::string& source, std::string_view data, crosswalk::InputKind kind, std::vector<Job>* jobs,
                std::string* error) {
  bool json = kind == crosswalk::InputKind::kJson || (kind == crosswalk::InputKind::kAuto && LooksLikeJson(data));
  std::vector<std::string_view> parts;
  if (json) {
    bool ndjson = source.size() > 7 && source.compare(source.size() - 7, 7, ".ndjson") == 0;
    if (ndjson) {
      size_t start = 0;
      while (start < data.size()) {
        size_t end = data.find('\n', start);
        if (end == std::string_view::npos) end = data.size();
        std::string_view line = data.substr(start, end - start);
        if (line.find_first_not_of(" \t\r") != std::string_view::npos) parts.push_back(line);
        start = end + 1;
      }
    } else {
      parts.push_back(data);
    }
  } else {
    crosswalk::hl7v2::Batch batch;
    crosswalk::Status s = crosswalk::hl7v2::SplitMessages(data, &batch);
    if (!s.ok()) {
      *error = s.ToString();
      return false;
    }
    parts = batch.messages;
  }
  int n = 0;
  for (std::string_view p : parts) {
    Job j;
    j.source = source;
    j.index = ++n;
    j.count = static_cast<int>(parts.size());
    j.text = p;
    jobs->push_back(std::move(j));
  }
  return true;
}

std::string OutputName(const Job& j) {
  std::string name = fs::path(j.source == "-" ? "stdin" : j.source).filename().string();
  if (j.count > 1) name += "." + std::to_string(j.index);
  return name;
}

// "2024-03-12T08:30:15-05:00" (FHIR instant) -> "20240312083015-0500" (HL7 DTM).
std::string DtmFromInstant(const std::string& instant) {
  std::string out;
  size_t i = 0;
  for (; i < instant.size() && i < 19; ++i) {
    if (std::isdigit(static_cast<unsigned char>(instant[i]))) out += instant[i];
  }
  for (; i < instant.size(); ++i) {
    char c = instant[i];
    if (c == 'Z') return out + "+0000";
    if (c == '+' || c == '-') {
      out += c;
      for (size_t k = i + 1; k < instant.size(); ++k) {
        if (std::isdigit(static_cast<unsigned char>(instant[k]))) out += instant[k];
      }
      return out;
    }
  }
  return out;
}

// The ACK to one inbound HL7 v2 message: AA when it converted, AE (with the reason, which never holds
// message content) when the map rejected it. Nothing for JSON input or a message that does not parse.
void MakeAck(std::string_view text, const crosswalk::Status& status, const std::string& now, std::string* ack) {
  crosswalk::hl7v2::Message inbound;
  crosswalk::hl7v2::ParseOptions lenient;  // a message refused for bad UTF-8 still gets its AE
  lenient.invalid_utf8 = crosswalk::InvalidUtf8::kReplace;
  if (!inbound.Parse(text, lenient).ok()) return;
  std::string scratch;
  std::string control(inbound.Value(0, 10, 1, 0, 0, &scratch));
  std::string timestamp = now.empty() ? std::string(inbound.Value(0, 7, 1, 1, 0, &scratch)) : DtmFromInstant(now);
  std::string ack_id = "ACK" + control;
  crosswalk::hl7v2::AckOptions o;
  o.code = status.ok() ? "AA" : "AE";
  o.control_id = ack_id;
  if (timestamp.empty()) timestamp = "19700101000000+0000";
  o.timestamp = timestamp;
  std::string reason = status.ok() ? std::string() : std::string(status.ToString());
  o.text = reason;
  if (!crosswalk::hl7v2::BuildAck(inbound, o, ack).ok()) ack->clear();
}

int RunRun(const std::vector<std::string>& args) {
  std::string program_path, term_dir, in = "-", out = "-", out_dir, ack_dir;
  crosswalk::RunOptions options;
  bool trace = false, quiet = false;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) return false;
      *dst = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--term" && value(&term_dir)) {
    } else if (a == "--in" && value(&in)) {
    } else if (a == "--out" && value(&out)) {
    } else if (a == "--out-dir" && value(&out_dir)) {
    } else if (a == "--ack-dir" && value(&ack_dir)) {
    } else if (a == "--map" && value(&options.map_name)) {
    } else if (a == "--now" && value(&options.now)) {
    } else if (a == "--zone" && value(&options.default_zone)) {
    } else if (a == "--from" && value(&v)) {
      if (v == "hl7v2") options.input_kind = crosswalk::InputKind::kHl7v2;
      else if (v == "json" || v == "fhir") options.input_kind = crosswalk::InputKind::kJson;
      else {
        std::fprintf(stderr, "crosswalk run: --from takes hl7v2 or json, not '%s'\n", v.c_str());
        return 2;
      }
    } else if (a == "--var" && value(&v)) {
      size_t eq = v.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "crosswalk run: --var takes NAME=VALUE\n");
        return 2;
      }
      options.variables.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "-j" && value(&v)) {
      threads = static_cast<unsigned>(std::max(1, std::atoi(v.c_str())));
    } else if (a == "--pretty") {
      options.pretty = true;
    } else if (a == "--trace") {
      trace = true;
      options.trace = true;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "crosswalk run: unknown or incomplete option '%s'\n%s", a.c_str(), kUsage);
      return 2;
    } else if (program_path.empty()) {
      program_path = a;
    } else {
      std::fprintf(stderr, "crosswalk run: unexpected argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (program_path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  std::string bytes;
  if (!ReadFile(program_path, &bytes)) {
    std::fprintf(stderr, "crosswalk run: cannot read '%s'\n", program_path.c_str());
    return 1;
  }
  crosswalk::RuntimeOptions ropts;
  ropts.terminology_dir = term_dir;
  auto runtime = crosswalk::Runtime::Create(ropts);
  if (!runtime.ok()) {
    std::fprintf(stderr, "crosswalk run: %s\n", runtime.status().ToString().c_str());
    return 1;
  }
  auto program = (*runtime)->Load(bytes);
  if (!program.ok()) {
    std::fprintf(stderr, "crosswalk run: %s: %s\n", program_path.c_str(), program.status().ToString().c_str());
    return 1;
  }

  // Gather inputs.
  std::vector<std::string> files;
  std::error_code ec;
  if (in != "-" && fs::is_directory(in, ec)) {
    for (const auto& entry : fs::recursive_directory_iterator(in, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(in);
  }
  std::vector<std::string> contents(files.size());
  std::vector<Job> jobs;
  std::vector<std::string> rejections;  // file-level rejections (unreadable / unsplittable)
  for (size_t f = 0; f < files.size(); ++f) {
    if (!ReadFile(files[f], &contents[f])) {
      if (files.size() == 1) {
        std::fprintf(stderr, "crosswalk run: cannot read '%s'\n", files[f].c_str());
        return 1;
      }
      rejections.push_back(files[f] + ": rejected: cannot read the file");
      continue;
    }
    std::string error;
    if (!SplitInput(files[f], contents[f], options.input_kind, &jobs, &error)) {
      rejections.push_back(files[f] + ": rejected: " + error);
    }
  }

  std::vector<Result> results(jobs.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> finished{0};
  auto worker = [&] {
    crosswalk::RunContext ctx(**runtime);
    crosswalk::RunOutput output;
    for (size_t i = next++; i < jobs.size(); i = next++, ++finished) {
      crosswalk::Status s = ctx.Run(**program, jobs[i].text, options, &output);
      Result& r = results[i];
      r.ok = s.ok();
      if (s.ok()) {
        r.output = output.json;
        r.er7 = output.kind == crosswalk::OutputKind::kHl7v2;
      } else {
        r.error = s.ToString();
      }
      if (!ack_dir.empty()) MakeAck(jobs[i].text, s, options.now, &r.ack);
      r.warnings = output.warnings;
      r.trace = output.trace;
    }
  };
  unsigned n_threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, jobs.size())));
  // A progress line on stderr, only when it is a terminal and there is more than a handful to do.
  bool progress = !quiet && jobs.size() > 50 && isatty(STDERR_FILENO);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < n_threads; ++t) pool.emplace_back(worker);
  while (progress && finished.load() < jobs.size()) {
    std::fprintf(stderr, "\rcrosswalk run: %zu/%zu messages", finished.load(), jobs.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : pool) t.join();
  if (progress) std::fprintf(stderr, "\r%*s\r", 60, "");

  // Write outputs in input order.
  size_t converted = 0;
  std::FILE* sink = nullptr;
  if (out_dir.empty()) {
    sink = out == "-" ? stdout : std::fopen(out.c_str(), "wb");
    if (!sink) {
      std::fprintf(stderr, "crosswalk run: cannot write '%s'\n", out.c_str());
      return 1;
    }
  } else {
    fs::create_directories(out_dir, ec);
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const Job& j = jobs[i];
    std::string label = j.source + (j.count > 1 ? "#" + std::to_string(j.index) : "");
    const Result& r = results[i];
    for (const auto& w : r.warnings) {
      std::fprintf(stderr, "%s: warning: %s:%u:%u: %s\n", label.c_str(), w.map_file.c_str(), w.line, w.col,
                   w.message.c_str());
    }
    if (trace) {
      for (const auto& t : r.trace) std::fprintf(stderr, "%s: trace: %s\n", label.c_str(), t.c_str());
    }
    if (!r.ack.empty()) {
      fs::create_directories(ack_dir, ec);
      std::ofstream f(fs::path(ack_dir) / (OutputName(j) + ".ack.hl7"), std::ios::binary);
      f << r.ack;
    }
    if (!r.ok) {
      rejections.push_back(label + ": rejected: " + r.error);
      continue;
    }
    ++converted;
    if (sink) {
      std::fwrite(r.output.data(), 1, r.output.size(), sink);
      if (!r.er7) std::fputc('\n', sink);
    } else {
      std::ofstream f(fs::path(out_dir) / (OutputName(j) + (r.er7 ? ".hl7" : ".json")), std::ios::binary);
      f << r.output;
      if (!r.er7) f << '\n';
    }
  }
  if (sink && sink != stdout) std::fclose(sink);
  for (const auto& r : rejections) std::fprintf(stderr, "%s\n", r.c_str());
  size_t rejected = rejections.size();
  if (!quiet && (jobs.size() > 1 || files.size() > 1 || rejected > 0)) {
    std::fprintf(stderr, "crosswalk run: %zu message%s: %zu converted, %zu rejected\n", converted + rejected,
                 converted + rejected == 1 ? "" : "s", converted, rejected);
  }
  if (rejected > 0) return jobs.size() + files.size() > 2 || converted > 0 ? 3 : 1;
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(run, "run", "PROGRAM.cwb [--term DIR] [--in FILE|DIR|-] [--out FILE|-]  run a program", RunRun);
