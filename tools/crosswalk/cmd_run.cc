// crosswalk run PROGRAM.cwb [--term DIR] [--in FILE|DIR|-] [--out FILE|-] [--out-dir DIR] ...
//
// Every input message ends as an output or as a rejection with its reason; the summary counts add up.
// Inputs: one HL7 v2 message, an HL7 v2 batch file (FHS/BHS, MLLP frames or concatenated messages), a JSON
// document, NDJSON (one document per line), or a directory of such files (processed on all cores).
//
// The run is a loop over windows of messages (bounded in count and bytes, so memory does not grow with
// the input):
//
//   read files -> split into messages -> [window full] -> map on -j threads -> write outputs in order
//   -> make them durable (syncfs / fdatasync) -> rename into place -> write ACKs -> make them durable
//
// A message counts as converted only when its output was written and made durable; an ACK is written only
// after the output it acknowledges (AA), or says why not (AE: the map rejected it; AR: the output could not
// be written). Output names are unique by construction: the input's path relative to --in, with '%' and
// '#' percent-escaped, then '#N' for the N-th message of a file that holds several.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "options.h"
#include "crosswalk/runtime.h"
#include "crosswalk/hl7v2.h"
#include "crosswalk/serve.h"
#include "lineage_json.h"
#include "safe_text.h"

namespace fs = std::filesystem;

namespace {

// Messages mapped per window, and input bytes held per window: what bounds the run's memory.
constexpr size_t kWindowMessages = 512;
constexpr size_t kWindowBytes = 64u << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

// Reads a whole file (or stdin for "-"), refusing one larger than `max_bytes` before reading it.
// Returns "" on success, else the reason.
std::string ReadInput(const std::string& path, uint64_t max_bytes, std::string* out) {
  out->clear();
  int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot read the file: " + ErrnoText(errno);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      if (fd != STDIN_FILENO) ::close(fd);
      return "the file is larger than --max-file-size (" + std::to_string(max_bytes) + " bytes)";
    }
    out->reserve(static_cast<size_t>(st.st_size));
  }
  char buf[1 << 16];
  std::string error;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = "cannot read the file: " + ErrnoText(errno);
      break;
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > max_bytes) {
      error = "the input is larger than --max-file-size (" + std::to_string(max_bytes) + " bytes)";
      break;
    }
    out->append(buf, static_cast<size_t>(n));
  }
  if (fd != STDIN_FILENO) ::close(fd);
  if (!error.empty()) out->clear();
  return error;
}

using crosswalk::serve::SyncPath;

// A file written under a temporary name in its final directory, renamed into place by CommitFiles().
// Durability comes from one syncfs() per window (before the renames) and an fsync of each directory
// (after them), not from an fsync per file (crosswalk/serve.h, "Durable files").
struct PendingFile {
  fs::path final_path;
  fs::path temp_path;
};

std::string WriteTemp(const fs::path& final_path, std::string_view data, PendingFile* pending) {
  fs::path dir = final_path.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create the directory: " + ec.message();
  pending->final_path = final_path;
  pending->temp_path = dir / (".cw-tmp-" + std::to_string(::getpid()) + "-" + final_path.filename().string());
  return crosswalk::serve::WriteFileAt(pending->temp_path.string(), data);
}

// One message of the window. Windows keep their Jobs and Results from one use to the next, so that in
// steady state their strings are refilled in place (no allocation per message).
struct Job {
  std::string label;  // "FILE" or "FILE#N": how stderr names it (file paths, never content)
  std::string stem;   // output name without extension, relative to --out-dir / --ack-dir
  std::string text;   // the message (owned: the file it came from may be gone)
  bool hl7 = false;   // HL7 v2 input: gets an ACK with --ack-dir
  // Set for a part of the input that is no message (a file that cannot be read or split): it is not
  // mapped, and is reported as one rejection in its place in the order.
  std::string refused;
  void clear() {
    label.clear();
    stem.clear();
    text.clear();
    hl7 = false;
    refused.clear();
  }
};

struct Result {
  crosswalk::Status status;
  bool er7 = false;  // the output is HL7 v2 ER7 text (map target hl7v2)
  std::string ack;   // the ACK to the inbound HL7 v2 message (with --ack-dir), as the map decided
  std::string output;
  std::vector<crosswalk::RunWarning> warnings;
  std::vector<std::string> trace;
  std::vector<crosswalk::LineageRecord> lineage;
};

// A window of messages: mapped together on the pool, then written in order. Its first `size` Jobs and
// Results are in use; the others are kept for their buffers.
struct Window {
  std::vector<Job> jobs;
  std::vector<Result> results;
  size_t size = 0;
  size_t bytes = 0;  // of message text
  bool empty() const { return size == 0; }
  // The next Job, cleared (its buffers kept).
  Job& Append() {
    if (size == jobs.size()) jobs.emplace_back();
    Job& j = jobs[size++];
    j.clear();
    return j;
  }
  // Results for the jobs in use, each cleared (buffers kept).
  void PrepareResults() {
    if (results.size() < size) results.resize(size);
    for (size_t i = 0; i < size; ++i) {
      Result& r = results[i];
      r.status = crosswalk::Status::Ok();
      r.er7 = false;
      r.ack.clear();
      r.output.clear();
      r.warnings.clear();
      r.trace.clear();
      r.lineage.clear();
    }
  }
  void clear() {
    size = 0;
    bytes = 0;
  }
};

// Worker threads, each with its own RunContext for the whole run (reset, not rebuilt, between messages).
// Start() hands them a window; Wait() returns when every message of it has run. While they map one
// window, the calling thread reads the next one and writes the one before: I/O overlaps with mapping.
class Pool {
 public:
  using Fn = void (*)(void* self, crosswalk::RunContext& ctx, crosswalk::RunOutput& out, size_t i);
  Pool(const crosswalk::Runtime& runtime, unsigned n, Fn fn, void* self) : fn_(fn), self_(self) {
    for (unsigned t = 0; t < n; ++t) threads_.emplace_back([this, &runtime] { Loop(runtime); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Start(size_t count) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      count_ = count;
      next_ = 0;
      pending_ = count;
      ++generation_;
    }
    start_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return pending_ == 0; });
  }
  // The sum of the threads' profiles (RunOptions::profile). Call between windows (after Wait): the threads
  // are idle then.
  crosswalk::RunProfile Profile() {
    std::lock_guard<std::mutex> lock(mu_);
    crosswalk::RunProfile sum;
    for (const crosswalk::RunContext* ctx : contexts_) sum.Add(ctx->Profile());
    return sum;
  }

 private:
  void Loop(const crosswalk::Runtime& runtime) {
    crosswalk::RunContext ctx(runtime);
    crosswalk::RunOutput output;
    uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      contexts_.push_back(&ctx);
    }
    for (;;) {
      size_t count;
      {
        std::unique_lock<std::mutex> lock(mu_);
        start_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) {
          contexts_.erase(std::find(contexts_.begin(), contexts_.end(), &ctx));
          return;
        }
        seen = generation_;
        count = count_;
      }
      size_t finished = 0;
      for (size_t i = next_++; i < count; i = next_++, ++finished) fn_(self_, ctx, output, i);
      if (finished > 0) {
        std::lock_guard<std::mutex> lock(mu_);
        pending_ -= finished;
        if (pending_ == 0) done_.notify_all();
      }
    }
  }

  Fn fn_;
  void* self_;
  std::vector<std::thread> threads_;
  std::vector<const crosswalk::RunContext*> contexts_;  // one per thread (under mu_)
  std::mutex mu_;
  std::condition_variable start_, done_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  size_t count_ = 0, pending_ = 0;
  std::atomic<size_t> next_{0};
};

bool LooksLikeJson(std::string_view s) {
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);  // UTF-8 BOM
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

// "a/b#1.hl7" -> "a/b%231.hl7": '%' and '#' escaped in each path component, so that "#N" can mark the
// N-th message of a file without colliding with any other input's name.
std::string EscapeStem(const std::string& rel) {
  std::string out;
  out.reserve(rel.size());
  for (char c : rel) {
    if (c == '%') out += "%25";
    else if (c == '#') out += "%23";
    else out += c;
  }
  return out;
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

// The ACK to one inbound HL7 v2 message (crosswalk/hl7v2.h): `code` AA, AE or AR with `reason` (which never
// holds message content) in MSA-3/ERR. Empty for a message that does not parse (docs/cli.md): BuildAck alone
// would answer it from its MSH with AR, but `run` reports such a message instead.
std::string MakeAck(std::string_view text, crosswalk::AckCode code, const std::string& reason,
                    const std::string& now) {
  crosswalk::MessageView inbound;
  // A message refused for bad UTF-8 still gets its AE.
  if (!inbound.Parse(text, crosswalk::InvalidUtf8::kReplace).ok()) return {};
  std::string scratch;
  std::string control(inbound.Decode(inbound.field(0, 10), &scratch));
  std::string timestamp;
  if (!now.empty()) {
    timestamp = DtmFromInstant(now);
  } else {
    std::string_view msh7 = inbound.field(0, 7);  // its first component (TS.1) of its first repetition
    const crosswalk::MessageView::Delimiters d = inbound.delimiters();
    const char ends[] = {d.component, d.repetition};
    timestamp = inbound.Decode(msh7.substr(0, msh7.find_first_of(std::string_view(ends, 2))), &scratch);
  }
  if (timestamp.empty()) timestamp = "19700101000000+0000";
  crosswalk::AckOptions o;
  o.code = code;
  o.control_id = "ACK" + control;
  o.timestamp = std::move(timestamp);
  o.text = reason;
  std::string ack;
  if (!crosswalk::BuildAck(text, o, &ack).ok()) ack.clear();
  return ack;
}

struct Settings {
  std::string in = "-", out = "-", out_dir, ack_dir, lineage, profile;
  crosswalk::RunOptions options;
  bool trace = false, quiet = false, sync = true;
  unsigned threads = 1;
  uint64_t max_file_size = 1ull << 30;
};

// The --profile report: map functions by the bytecode instructions of their bodies, built-ins by calls,
// opcodes by instructions; each count per run (message that reached a map), sorted, zero rows left out.
std::string FormatProfile(const crosswalk::RunProfile& p) {
  std::string out;
  char line[512];
  const double runs = p.runs == 0 ? 1.0 : static_cast<double>(p.runs);
  uint64_t total = 0, builtin_calls = 0, calls = 0, reused = 0;
  for (const auto& f : p.functions) {
    total += f.instructions;
    calls += f.calls;
    reused += f.reused;
  }
  for (const auto& b : p.builtins) builtin_calls += b.count;
  std::snprintf(line, sizeof line,
                "# crosswalk run --profile: %llu runs; per run: %.1f bytecode instructions, %.1f calls of map "
                "functions (%.1f more reused), %.1f built-in calls\n",
                static_cast<unsigned long long>(p.runs), static_cast<double>(total) / runs,
                static_cast<double>(calls) / runs, static_cast<double>(reused) / runs,
                static_cast<double>(builtin_calls) / runs);
  out += line;
  std::vector<const crosswalk::RunProfile::Function*> fns;
  for (const auto& f : p.functions) {
    if (f.calls != 0 || f.reused != 0) fns.push_back(&f);
  }
  std::stable_sort(fns.begin(), fns.end(), [](auto* a, auto* b) { return a->instructions > b->instructions; });
  std::snprintf(line, sizeof line, "\n%-40s %12s %12s %14s %7s\n", "function", "calls/run", "reused/run",
                "instr/run", "share");
  out += line;
  for (const auto* f : fns) {
    std::snprintf(line, sizeof line, "%-40s %12.2f %12.2f %14.1f %6.1f%%\n", f->name.c_str(),
                  static_cast<double>(f->calls) / runs, static_cast<double>(f->reused) / runs,
                  static_cast<double>(f->instructions) / runs,
                  total == 0 ? 0.0 : 100.0 * static_cast<double>(f->instructions) / static_cast<double>(total));
    out += line;
  }
  auto counts = [&](const std::vector<crosswalk::RunProfile::Count>& v, const char* head, const char* unit) {
    std::vector<const crosswalk::RunProfile::Count*> rows;
    for (const auto& c : v) {
      if (c.count != 0) rows.push_back(&c);
    }
    std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->count > b->count; });
    std::snprintf(line, sizeof line, "\n%-40s %12s\n", head, unit);
    out += line;
    for (const auto* c : rows) {
      std::snprintf(line, sizeof line, "%-40s %12.2f\n", c->name.c_str(), static_cast<double>(c->count) / runs);
      out += line;
    }
  };
  counts(p.builtins, "built-in", "calls/run");
  counts(p.opcodes, "opcode", "count/run");
  return out;
}

class Runner {
 public:
  Runner(const Settings& s, const crosswalk::Runtime& runtime, const crosswalk::Program& program)
      : s_(s), program_(program), pool_(runtime, s.threads, &Runner::MapOne, this) {}

  // Opens the output sink; "" or the reason (reported as a failure before any message ran).
  std::string Open() {
    std::error_code ec;
    if (!s_.out_dir.empty()) {
      fs::create_directories(s_.out_dir, ec);
      if (!fs::is_directory(s_.out_dir)) return "cannot create the output directory '" + s_.out_dir + "'";
      if (::access(s_.out_dir.c_str(), W_OK) != 0) return "cannot write to the output directory '" + s_.out_dir + "'";
    } else if (s_.out == "-") {
      sink_fd_ = STDOUT_FILENO;
    } else {
      sink_fd_ = ::open(s_.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (sink_fd_ < 0) return "cannot write '" + s_.out + "': " + ErrnoText(errno);
      owns_sink_ = true;
    }
    if (sink_fd_ >= 0) {
      struct stat st {};
      sink_regular_ = ::fstat(sink_fd_, &st) == 0 && S_ISREG(st.st_mode);
      if (sink_regular_) sink_offset_ = static_cast<uint64_t>(::lseek(sink_fd_, 0, SEEK_CUR));
    }
    if (!s_.lineage.empty()) {
      lineage_ = s_.lineage == "-" ? stdout : std::fopen(s_.lineage.c_str(), "wb");
      if (lineage_ == nullptr) return "cannot write '" + s_.lineage + "': " + ErrnoText(errno);
    }
    if (!s_.ack_dir.empty()) {
      fs::create_directories(s_.ack_dir, ec);
      if (!fs::is_directory(s_.ack_dir)) return "cannot create the ACK directory '" + s_.ack_dir + "'";
      if (::access(s_.ack_dir.c_str(), W_OK) != 0) return "cannot write to the ACK directory '" + s_.ack_dir + "'";
    }
    return {};
  }

  // Adds every message of one input file (`rel`: its path relative to --in), rotating full windows.
  // HL7 v2 input is streamed through a MessageSplitter in 1 MiB reads, so a file of any size runs in
  // bounded memory and a bad part of it (garbage between frames, an unclosed frame) is one rejection
  // while every good message around it converts. A JSON file is read whole (up to --max-file-size).
  void AddFile(const std::string& path, const std::string& rel) {
    ++files_;
    std::string stem = EscapeStem(rel);
    int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      Refuse(path, stem, "cannot read the file: " + ErrnoText(errno));
      return;
    }
    std::string chunk;
    std::string error = ReadChunk(fd, &chunk);
    bool json = s_.options.input_kind == crosswalk::InputKind::kJson ||
                (s_.options.input_kind == crosswalk::InputKind::kAuto && LooksLikeJson(chunk));
    if (!error.empty()) {
      Refuse(path, stem, error);
    } else if (json) {
      AddJson(fd, path, stem, std::move(chunk));
    } else {
      AddHl7(fd, path, stem, std::move(chunk));
    }
    if (fd != STDIN_FILENO) ::close(fd);
  }

  // Maps and writes what is left; returns the exit status.  // Maps and writes what is left; returns the exit status.
  int Finish() {
    Rotate();
    Rotate();  // the window that was mapping is written; the other is empty
    if (progress_) std::fprintf(stderr, "\r%*s\r", 60, "");
    if (owns_sink_ && ::close(sink_fd_) != 0) {
      // Every window was synced already: a close error concerns nothing that was counted.
      crosswalk::cli::PrintSafe(stderr, "crosswalk run: closing '" + s_.out + "': " + ErrnoText(errno));
    }
    if (lineage_ != nullptr && (std::fflush(lineage_) != 0 || (lineage_ != stdout && std::fclose(lineage_) != 0))) {
      lineage_failed_ = true;
    }
    size_t total = converted_ + rejected_;
    if (lineage_failed_) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk run: cannot write the lineage to '" + s_.lineage + "'");
      return 1;
    }
    if (!s_.quiet && (total > 1 || files_ > 1 || rejected_ > 0)) {
      std::fprintf(stderr, "crosswalk run: %zu message%s: %zu converted, %zu rejected\n", total,
                   total == 1 ? "" : "s", converted_, rejected_);
    }
    if (!s_.profile.empty() && !WriteProfile()) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk run: cannot write the profile to '" + s_.profile + "'");
      return 1;
    }
    return rejected_ > 0 ? 3 : 0;
  }

  void set_progress(bool on) { progress_ = on; }

  // --profile: the counts of every thread's runs, per run (docs/cli.md).
  bool WriteProfile() {
    std::string text = FormatProfile(pool_.Profile());
    if (s_.profile == "-") return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
    FILE* f = std::fopen(s_.profile.c_str(), "w");
    if (f == nullptr) return false;
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    return std::fclose(f) == 0 && ok;
  }

 private:
  static constexpr size_t kReadBytes = 1u << 20;

  // Reads up to kReadBytes into `out` (cleared first); "" or the reason. Empty `out` at the end.
  static std::string ReadChunk(int fd, std::string* out) {
    out->resize(kReadBytes);
    for (;;) {
      ssize_t n = ::read(fd, out->data(), out->size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        out->clear();
        return "cannot read the file: " + ErrnoText(errno);
      }
      out->resize(static_cast<size_t>(n));
      return {};
    }
  }

  void AddJson(int fd, const std::string& path, const std::string& stem, std::string data) {
    std::string chunk;
    for (;;) {
      if (data.size() > s_.max_file_size) {
        return Refuse(path, stem, "the input is larger than --max-file-size (" + std::to_string(s_.max_file_size) +
                                      " bytes)");
      }
      std::string error = ReadChunk(fd, &chunk);
      if (!error.empty()) return Refuse(path, stem, error);
      if (chunk.empty()) break;
      data += chunk;
    }
    std::vector<std::string_view> parts;
    bool ndjson = path.size() > 7 && path.compare(path.size() - 7, 7, ".ndjson") == 0;
    if (ndjson) {
      size_t start = 0;
      while (start < data.size()) {
        size_t end = data.find('\n', start);
        if (end == std::string_view::npos) end = data.size();
        std::string_view line = std::string_view(data).substr(start, end - start);
        if (line.find_first_not_of(" \t\r") != std::string_view::npos) parts.push_back(line);
        start = end + 1;
      }
    } else {
      parts.push_back(data);
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      Job& j = NewJob();
      j.text.assign(parts[i]);
      Name(&j, path, stem, parts.size() > 1 ? i + 1 : 0);
      Commit();
    }
  }

  // Sets the label and stem of `j`: the file's, with "#n" for the n-th message of a file that holds several
  // (n > 0). Written into the job's kept buffers.
  static void Name(Job* j, const std::string& path, const std::string& stem, size_t n) {
    j->label.assign(path);
    j->stem.assign(stem);
    if (n == 0) return;
    char digits[24];
    digits[0] = '#';
    auto [end, ec] = std::to_chars(digits + 1, digits + sizeof digits, n);
    (void)ec;  // 24 bytes hold any size_t
    j->label.append(digits, static_cast<size_t>(end - digits));
    j->stem.append(digits, static_cast<size_t>(end - digits));
  }

  // The first message of a file is held back (in held_) until a second item shows whether the file holds
  // several (REL#1) or one (REL): names are fixed before anything is written. Every later message is split
  // straight into its window slot.
  void AddHl7(int fd, const std::string& path, const std::string& stem, std::string chunk) {
    crosswalk::MessageSplitter splitter;
    crosswalk::SplitItem item;
    size_t items = 0;
    // The next item's Job: held_ for the first of the file, else a window slot (after moving held_ in).
    auto next_job = [&]() -> Job& {
      ++items;
      if (items == 1) {
        held_.clear();
        return held_;
      }
      if (items == 2) {
        Job& first = NewJob();
        std::swap(first, held_);
        Name(&first, path, stem, 1);
        Commit();
      }
      Job& j = NewJob();
      Name(&j, path, stem, items);
      return j;
    };
    auto done = [&] {
      if (items > 1) Commit();
    };
    auto take = [&](const crosswalk::SplitItem& it) {
      if (it.kind == crosswalk::SplitItem::Kind::kEnvelope) return;
      Job& j = next_job();
      j.hl7 = true;
      if (it.kind == crosswalk::SplitItem::Kind::kMessage) {
        j.text.assign(it.text);
      } else {
        j.refused = it.error.ToString();
      }
      done();
    };
    bool read_failed = false;
    while (!chunk.empty()) {
      splitter.Feed(chunk);
      while (splitter.Next(&item)) take(item);
      std::string error = ReadChunk(fd, &chunk);
      if (!error.empty()) {
        // What was read is processed; the rest of the file (and a message it cut) is one rejection.
        next_job().refused = error;
        done();
        read_failed = true;
        break;
      }
    }
    if (!read_failed) {
      splitter.Finish();
      while (splitter.Next(&item)) take(item);
    }
    if (items == 1) {
      Job& j = NewJob();
      std::swap(j, held_);
      Name(&j, path, stem, 0);
      Commit();
    } else if (items == 0) {
      Refuse(path, stem, "no HL7 v2 message in the input");
    }
  }

  // A cleared Job at the end of the window being filled; Commit() adds it.
  Job& NewJob() { return windows_[filling_].Append(); }

  // Counts the Job last returned by NewJob() and starts the window mapping when it is full.
  void Commit() {
    Window& w = windows_[filling_];
    w.bytes += w.jobs[w.size - 1].text.size();
    if (w.size >= kWindowMessages || w.bytes >= kWindowBytes) Rotate();
  }

  // A part of the input that is not a message: one rejection, reported in its place.
  void Refuse(const std::string& label, const std::string& stem, const std::string& reason) {
    Job& j = NewJob();
    j.label.assign(label);
    j.stem.assign(stem);
    j.refused.assign(reason);
    Commit();
  }

  // The window being filled starts mapping; the one that was mapping is written meanwhile.
  //   fill W0 | map W0, fill W1 | map W1, write W0, fill W0 | map W0, write W1, fill W1 | ...
  void Rotate() {
    Window& filled = windows_[filling_];
    Window& previous = windows_[1 - filling_];
    if (mapping_) pool_.Wait();
    mapping_ = !filled.empty();
    if (mapping_) {
      filled.PrepareResults();
      mapping_window_ = &filled;
      pool_.Start(filled.size);
    }
    if (!previous.empty()) {
      WriteWindow(previous);
      done_ += previous.size;
      if (progress_) std::fprintf(stderr, "\rcrosswalk run: %zu messages", done_);
      previous.clear();
    }
    filling_ = 1 - filling_;
  }

  // Runs on a pool thread: message `i` of the window being mapped.
  static void MapOne(void* self, crosswalk::RunContext& ctx, crosswalk::RunOutput& output, size_t i) {
    auto* me = static_cast<Runner*>(self);
    const Settings& s = me->s_;
    const Job& j = me->mapping_window_->jobs[i];
    Result& r = me->mapping_window_->results[i];
    if (!j.refused.empty()) return;
    r.status = ctx.Run(me->program_, j.text, s.options, &output);
    if (r.status.ok()) {
      r.output.swap(output.json);
      r.er7 = output.kind == crosswalk::OutputKind::kHl7v2;
    }
    if (!s.ack_dir.empty() && j.hl7) {
      r.ack = r.status.ok() ? MakeAck(j.text, crosswalk::AckCode::kAccept, std::string(), s.options.now)
                            : MakeAck(j.text, crosswalk::AckCode::kError, r.status.ToString(), s.options.now);
    }
    r.warnings.swap(output.warnings);
    r.trace.swap(output.trace);
    r.lineage.swap(output.lineage);
  }

  // Writes the window's outputs to the sink (stdout or --out FILE) in order, with as few writev() calls
  // as IOV_MAX allows. On failure, cuts a regular file back to where the window began so that no partial
  // line is left, and every output of the window gets the error (which of them reached the file cannot be
  // told once it is cut).
  void WriteWindowToSink(Window& w, std::vector<std::string>* write_error) {
    iov_.clear();
    uint64_t bytes = 0;
    for (size_t i = 0; i < w.size; ++i) {
      Result& r = w.results[i];
      if (!w.jobs[i].refused.empty() || !r.status.ok()) continue;
      if (!r.er7) r.output += '\n';
      iov_.push_back(iovec{r.output.data(), r.output.size()});
      bytes += r.output.size();
    }
    std::string error;
    size_t k = 0;
    while (k < iov_.size()) {
      int count = static_cast<int>(std::min<size_t>(iov_.size() - k, IOV_MAX));
      ssize_t n = ::writev(sink_fd_, &iov_[k], count);
      if (n < 0) {
        if (errno == EINTR) continue;
        error = ErrnoText(errno);
        break;
      }
      size_t left = static_cast<size_t>(n);  // skip what was written, maybe part of an iovec
      while (k < iov_.size() && left >= iov_[k].iov_len) left -= iov_[k++].iov_len;
      if (left > 0) {
        iov_[k].iov_base = static_cast<char*>(iov_[k].iov_base) + left;
        iov_[k].iov_len -= left;
      }
    }
    if (sink_regular_) {
      if (error.empty()) {
        sink_offset_ += bytes;
      } else if (::ftruncate(sink_fd_, static_cast<off_t>(sink_offset_)) != 0 ||
                 ::lseek(sink_fd_, static_cast<off_t>(sink_offset_), SEEK_SET) < 0) {
        error += "; the partial output could not be removed";
      }
    }
    if (error.empty()) return;
    for (size_t i = 0; i < w.size; ++i) {
      if (w.jobs[i].refused.empty() && w.results[i].status.ok()) (*write_error)[i] = error;
    }
  }

  void WriteWindow(Window& w) {
    const size_t n = w.size;
    std::vector<std::string> write_error(n);
    std::vector<PendingFile> pending(n);
    std::set<fs::path> dirs;
    // 1. Outputs, in input order.
    for (size_t i = 0; i < n; ++i) {
      const Job& j = w.jobs[i];
      Result& r = w.results[i];
      for (const auto& warning : r.warnings) {
        crosswalk::cli::PrintSafe(stderr, j.label + ": warning: " + warning.map_file + ":" +
                                              std::to_string(warning.line) + ":" + std::to_string(warning.col) +
                                              ": " + warning.message);
      }
      if (s_.trace) {
        for (const auto& t : r.trace) crosswalk::cli::PrintSafe(stderr, j.label + ": trace: " + t);
      }
      if (lineage_ != nullptr) {
        for (const auto& record : r.lineage) {
          std::string line = crosswalk::cli::LineageJsonLine(j.label, record);
          line += '\n';
          if (std::fwrite(line.data(), 1, line.size(), lineage_) != line.size()) lineage_failed_ = true;
        }
      }
      if (!j.refused.empty() || !r.status.ok() || sink_fd_ >= 0) continue;
      {
        fs::path final_path = fs::path(s_.out_dir) / (j.stem + (r.er7 ? ".hl7" : ".json"));
        if (!r.er7) r.output += '\n';
        write_error[i] = WriteTemp(final_path, r.output, &pending[i]);
        if (write_error[i].empty()) dirs.insert(final_path.parent_path());
      }
    }
    if (sink_fd_ >= 0) WriteWindowToSink(w, &write_error);
    // 2. Durability, then the renames that make the outputs visible under their names.
    if (s_.sync) {
      std::string error;
      if (sink_fd_ >= 0 && sink_regular_) {
        if (::fdatasync(sink_fd_) != 0) error = ErrnoText(errno);
      } else if (sink_fd_ < 0 && !dirs.empty()) {
        error = SyncPath(s_.out_dir, /*whole_fs=*/true);
      }
      if (!error.empty()) {
        // Which pages were lost cannot be told: none of this window's outputs counts as written.
        for (size_t i = 0; i < n; ++i) {
          if (w.jobs[i].refused.empty() && w.results[i].status.ok() && write_error[i].empty()) {
            write_error[i] = "cannot sync the output: " + error;
          }
        }
      }
    }
    if (sink_fd_ < 0) {
      CommitFiles(&pending, &write_error, dirs);
    }
    // 3. ACKs, now that the outputs they acknowledge are durable.
    std::vector<std::string> ack_error(n);
    if (!s_.ack_dir.empty()) WriteAcks(w, write_error, &ack_error);
    // 4. The account.
    for (size_t i = 0; i < n; ++i) {
      const Job& j = w.jobs[i];
      const Result& r = w.results[i];
      if (!j.refused.empty()) {
        Reject(j.label, j.refused);
      } else if (!r.status.ok()) {
        Reject(j.label, r.status.ToString());
      } else if (!write_error[i].empty()) {
        Reject(j.label, "converted, but the output could not be written: " + write_error[i]);
      } else if (!ack_error[i].empty()) {
        Reject(j.label, "converted and written, but the ACK could not be written: " + ack_error[i]);
      } else {
        ++converted_;
      }
    }
  }

  // Renames each written temporary file into place (or removes it when its write failed), then syncs
  // the folders. A failure becomes that file's error.
  void CommitFiles(std::vector<PendingFile>* pending, std::vector<std::string>* error, const std::set<fs::path>& dirs) {
    for (size_t i = 0; i < pending->size(); ++i) {
      PendingFile& p = (*pending)[i];
      if (p.temp_path.empty()) continue;
      if (!(*error)[i].empty()) {
        ::unlink(p.temp_path.c_str());
      } else if (::rename(p.temp_path.c_str(), p.final_path.c_str()) != 0) {
        (*error)[i] = "cannot rename into place: " + ErrnoText(errno);
        ::unlink(p.temp_path.c_str());
      }
    }
    if (!s_.sync) return;
    for (const auto& d : dirs) {
      std::string e = SyncPath(d.string(), /*whole_fs=*/false);
      if (e.empty()) continue;
      for (size_t i = 0; i < pending->size(); ++i) {
        if ((*error)[i].empty() && (*pending)[i].final_path.parent_path() == d) (*error)[i] = "cannot sync: " + e;
      }
    }
  }

  void WriteAcks(Window& w, const std::vector<std::string>& write_error, std::vector<std::string>* ack_error) {
    const size_t n = w.size;
    std::vector<PendingFile> pending(n);
    std::set<fs::path> dirs;
    for (size_t i = 0; i < n; ++i) {
      const Job& j = w.jobs[i];
      Result& r = w.results[i];
      if (!j.hl7 || !j.refused.empty()) continue;
      if (r.status.ok() && !write_error[i].empty()) {
        // Converted, but not delivered: AR asks the sender to send it again.
        r.ack = MakeAck(j.text, crosswalk::AckCode::kReject, "the output could not be written", s_.options.now);
      }
      if (r.ack.empty()) continue;  // the message does not parse: no ACK can be addressed
      fs::path final_path = fs::path(s_.ack_dir) / (j.stem + ".ack.hl7");
      (*ack_error)[i] = WriteTemp(final_path, r.ack, &pending[i]);
      if ((*ack_error)[i].empty()) dirs.insert(final_path.parent_path());
    }
    if (s_.sync && !dirs.empty()) {
      std::string error = SyncPath(s_.ack_dir, /*whole_fs=*/true);
      if (!error.empty()) {
        for (size_t i = 0; i < n; ++i) {
          if (!pending[i].temp_path.empty() && (*ack_error)[i].empty()) (*ack_error)[i] = "cannot sync: " + error;
        }
      }
    }
    CommitFiles(&pending, ack_error, dirs);
  }

  void Reject(const std::string& label, const std::string& reason) {
    ++rejected_;
    crosswalk::cli::PrintSafe(stderr, label + ": rejected: " + reason);
  }

  const Settings& s_;
  const crosswalk::Program& program_;
  Window windows_[2];
  Job held_;  // the first message of the file being split (AddHl7)
  std::vector<iovec> iov_;  // WriteWindowToSink
  int filling_ = 0;
  bool mapping_ = false;
  Window* mapping_window_ = nullptr;  // read by the pool threads between Start() and Wait()
  Pool pool_;
  int sink_fd_ = -1;
  bool owns_sink_ = false, sink_regular_ = false, progress_ = false;
  std::FILE* lineage_ = nullptr;  // --lineage
  bool lineage_failed_ = false;
  uint64_t sink_offset_ = 0;
  size_t files_ = 0, done_ = 0, converted_ = 0, rejected_ = 0;
};

int RunRun(const std::vector<std::string>& args) {
  namespace cli = crosswalk::cli;
  Settings s;
  std::string program_path, term_dir, from;
  bool allow_term_drift = false;
  std::vector<std::string> vars;
  bool check_only = false;
  s.threads = std::max(1u, std::thread::hardware_concurrency());
  auto app = cli::MakeApp(
      "crosswalk run", "PROGRAM.cwb [--term DIR] [--in FILE|DIR|-] [--out FILE|-] [--out-dir DIR] [options]",
      "Runs a compiled program on HL7 v2 or JSON input and writes JSON output.",
      "Exit status: 0 all converted; 1 error before any message ran; 2 usage; 3 some messages were rejected.\n");
  app->add_option("PROGRAM.cwb", program_path, "")->required();
  app->add_option("--term", term_dir, "terminology store (RocksDB directory) used by translate/lookup/member")
      ->type_name("DIR");
  app->add_option("--in", s.in, "input file, directory, or - for standard input (default -)")->type_name("PATH");
  app->add_option("--out", s.out, "output file or - (default -); several messages give one JSON document per line")
      ->type_name("PATH");
  app->add_option("--out-dir", s.out_dir,
                  "write one output file per message (REL.json, REL#N.json for the N-th of a batch;\n"
                  "REL is the input's path relative to --in, with % and # escaped as %25 and %23)")
      ->type_name("DIR");
  app->add_option("--ack-dir", s.ack_dir,
                  "write an HL7 v2 ACK per inbound message after its output is durable: AA when\n"
                  "converted, AE with the reason when rejected by the map, AR when the output could\n"
                  "not be written (REL.ack.hl7); a message that cannot be parsed gets none (reported)")
      ->type_name("DIR");
  app->add_option("--from", from, "hl7v2 or json (default: detected from the first bytes)")
      ->type_name("KIND")
      ->check(cli::OneOf({"hl7v2", "json", "fhir"}));
  app->add_option("--map", s.options.map_name, "run this map instead of choosing by message type")->type_name("NAME");
  app->add_option("--now", s.options.now, "the run's timestamp returned by now()")->type_name("INSTANT");
  app->add_option("--zone", s.options.default_zone, "zone for HL7 times that carry none (+HH:MM, -HH:MM or Z)")
      ->type_name("ZONE");
  app->add_option("--var", vars, "a host variable returned by var(\"K\") (repeatable)")
      ->type_name("K=V")
      ->allow_extra_args(false)
      ->check(cli::NameValue());
  app->add_flag("--pretty", s.options.pretty, "indented JSON");
  app->add_flag("--trace", s.trace,
                "print the lineage of each output value (stderr): its JSON path, the map line that\n"
                "set it, the input paths it came from and the terminology decisions on the way");
  app->add_option("--lineage", s.lineage,
                  "write the lineage of every output value to FILE as JSON lines (- for stdout)")
      ->type_name("FILE");
  app->add_option("--profile", s.profile,
                  "count what the map executes and write the report to FILE (- for stdout) after the run:\n"
                  "bytecode instructions and calls per map function, calls per built-in, instructions\n"
                  "per opcode, each per message (counts, not times; no message content)")
      ->type_name("FILE");
  app->add_option("-j", s.threads, "worker threads for directories and batches (default: all cores)")
      ->type_name("N")
      ->check(cli::Number(1, 1024, "a number of threads"));
  app->add_option("--max-file-size", s.max_file_size,
                  "refuse JSON input files larger than this (default 1073741824); HL7 v2\n"
                  "input is streamed and has no such limit")
      ->type_name("BYTES")
      ->check(cli::Number(1, UINT64_MAX, "a number of bytes"));
  app->add_option("--max-instructions", s.options.limits.max_instructions,
                  "instruction budget per message (RunLimits::max_instructions, default 50000000)")
      ->type_name("N")
      ->check(cli::Number(1, UINT64_MAX));
  app->add_option("--max-cpu-ms", s.options.limits.max_cpu_time_ms,
                  "CPU time per message in milliseconds (RunLimits::max_cpu_time_ms; default: no limit)")
      ->type_name("N")
      ->check(cli::Number(1, UINT64_MAX));
  bool no_sync = false;
  app->add_flag("--no-sync", no_sync, "do not fsync outputs and ACKs (faster; a crash may lose acknowledged outputs)");
  app->add_flag("--log-phi", s.options.log_phi, "show the values in fail/warn texts (patient data: off by default)");
  app->add_flag("--quiet", s.quiet, "no summary line");
  app->add_flag("--allow-term-drift", allow_term_drift,
                "load a program whose terminology differs from what it was compiled against (a warning, not an error)");
  app->add_flag("--check", check_only,
                "only load the program (with --term: check that the store holds every concept map,\n"
                "code system and value set it names), print what it holds, and exit");
  if (int rc = cli::Parse(*app, args); rc != cli::kParsed) return rc;
  if (from == "hl7v2") s.options.input_kind = crosswalk::InputKind::kHl7v2;
  if (from == "json" || from == "fhir") s.options.input_kind = crosswalk::InputKind::kJson;
  for (const auto& v : vars) {
    size_t eq = v.find('=');
    s.options.variables.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  }
  s.options.trace = s.trace || !s.lineage.empty();
  s.options.profile = !s.profile.empty();
  if (s.options.trace && s.options.profile) return cli::UsageError(*app, "--profile excludes --trace and --lineage");
  s.sync = !no_sync;
  if (!s.out_dir.empty() && s.out != "-") return cli::UsageError(*app, "--out and --out-dir exclude each other");

  std::string bytes;
  if (std::string error = ReadInput(program_path, 1ull << 30, &bytes); !error.empty()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk run: " + program_path + ": " + error);
    return 1;
  }
  crosswalk::cli::LoadedProgram loaded;
  if (!crosswalk::cli::LoadProgram("run", bytes, term_dir, program_path, &loaded, allow_term_drift)) return 1;
  const crosswalk::Program& program = *loaded.program;
  if (std::string why = cli::MissingMap(program, s.options.map_name); !why.empty()) return cli::UsageError(*app, why);

  if (check_only) {
    auto maps = program.maps();
    auto terms = program.terminology();
    std::string line = program_path + ": " + std::to_string(maps.size()) + (maps.size() == 1 ? " map" : " maps");
    if (!terms.empty()) {
      line += ", " + std::to_string(terms.size()) + " terminology resource" + (terms.size() == 1 ? "" : "s") +
              " found in " + term_dir;
    }
    std::printf("%s\n", line.c_str());
    return 0;
  }

  // The inputs: one file (or stdin), or every regular file under a directory, in name order.
  std::vector<std::pair<std::string, std::string>> files;  // path, path relative to --in
  std::error_code ec;
  if (s.in != "-" && fs::is_directory(s.in, ec)) {
    fs::recursive_directory_iterator it(s.in, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk run: cannot list '" + s.in + "': " + ec.message());
      return 1;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) {
        crosswalk::cli::PrintSafe(stderr, "crosswalk run: cannot list '" + s.in + "': " + ec.message());
        return 1;
      }
      if (it->is_regular_file(ec)) {
        files.emplace_back(it->path().string(), it->path().lexically_relative(s.in).string());
      }
    }
    std::sort(files.begin(), files.end());
  } else if (s.in == "-") {
    files.emplace_back("-", "stdin");
  } else {
    if (::access(s.in.c_str(), R_OK) != 0) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk run: cannot read '" + s.in + "': " + ErrnoText(errno));
      return 1;
    }
    files.emplace_back(s.in, fs::path(s.in).filename().string());
  }

  // A write to a closed pipe must come back as EPIPE (a rejection we report), not kill the process.
  // Likewise a file-size limit (RLIMIT_FSIZE) must give EFBIG, not SIGXFSZ.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  Runner runner(s, *loaded.runtime, program);
  if (std::string error = runner.Open(); !error.empty()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk run: " + error);
    return 1;
  }
  runner.set_progress(!s.quiet && files.size() > 50 && isatty(STDERR_FILENO));
  for (const auto& [path, rel] : files) runner.AddFile(path, rel);
  return runner.Finish();
}

}  // namespace

CW_REGISTER_COMMAND(run, "run", "PROGRAM.cwb [--term DIR] [--in FILE|DIR|-] [--out FILE|-]  run a program", RunRun);
