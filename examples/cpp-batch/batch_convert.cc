// batch_convert: converts HL7 v2 message files with a compiled Crosswalk program, on several threads, and
// answers every message with an ACK. An out-of-tree integrator of the public C++ API (<crosswalk/runtime.h>,
// <crosswalk/hl7v2.h>), built with find_package(crosswalk).
//
//   batch_convert [-j THREADS] PROGRAM.cwb TERMINOLOGY_DIR OUT_DIR MESSAGE_FILE...
//
// A file may hold one message, a batch (FHS/BHS), MLLP frames or messages simply concatenated: the
// MessageSplitter cuts it into messages. The N-th message of a file FILE becomes OUT_DIR/<FILE stem>.json (or
// <stem>#N.json when the file holds several), and its ACK OUT_DIR/<stem>[#N].ack.hl7: AA when converted, AE
// with the reason when the map rejected it, AR when it could not be read. A message that cannot be converted
// is reported on stderr with its reason (positions, never message content) and counted; a part of a file
// that is no message is counted as rejected too: nothing is dropped silently.
// Exit status: 0 all converted, 1 some rejected, 2 usage or set-up error.
#include <crosswalk/hl7v2.h>
#include <crosswalk/runtime.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// The run's timestamp comes from the host (maps never read the clock): now, as a FHIR instant.
std::string NowInstant() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The ACK to `message`: AA, AE or AR with `reason` (a Status text: positions, never content). Its MSH-10 is
// "ACK" + the inbound control id. Empty when not even the MSH can be read (nothing to address it to).
std::string Ack(const std::string& message, crosswalk::AckCode code, const std::string& reason,
                const std::string& timestamp) {
  crosswalk::MessageHeader header;
  if (!crosswalk::ReadMessageHeader(message, &header).ok()) return {};
  crosswalk::AckOptions o;
  o.code = code;
  o.control_id = "ACK" + header.control_id;
  o.timestamp = timestamp;
  o.text = reason;
  std::string ack;
  if (!crosswalk::BuildAck(message, o, &ack).ok()) return {};
  return ack;
}

// An HL7 DTM for the ACKs' MSH-7, from the FHIR instant "YYYY-MM-DDThh:mm:ssZ".
std::string Dtm(const std::string& instant) {
  std::string out;
  for (char c : instant) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out + "+0000";
}

int Usage() {
  std::cerr << "usage: batch_convert [-j THREADS] PROGRAM.cwb TERMINOLOGY_DIR OUT_DIR MESSAGE_FILE...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (args.size() >= 2 && args[0] == "-j") {
    threads = static_cast<unsigned>(std::max(1, std::atoi(args[1].c_str())));
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.size() < 4) return Usage();
  const fs::path program_path = args[0], out_dir = args[2];
  const std::vector<std::string> files(args.begin() + 3, args.end());

  // One Runtime and one Program for the whole process, shared by every thread.
  crosswalk::RuntimeOptions runtime_options;
  runtime_options.terminology_dir = args[1];
  auto runtime = crosswalk::Runtime::Create(runtime_options);
  if (!runtime.ok()) {
    std::cerr << "batch_convert: terminology store: " << runtime.status().ToString() << "\n";
    return 2;
  }
  std::string cwb;
  if (!ReadFile(program_path, &cwb)) {
    std::cerr << "batch_convert: cannot read " << program_path << "\n";
    return 2;
  }
  auto program = (*runtime)->Load(cwb);
  if (!program.ok()) {
    std::cerr << "batch_convert: " << program_path << ": " << program.status().ToString() << "\n";
    return 2;
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);

  crosswalk::RunOptions options;
  options.now = NowInstant();

  const std::string ack_time = Dtm(options.now);

  std::atomic<size_t> next{0}, converted{0}, rejected{0};
  std::mutex log_mutex;
  auto worker = [&] {
    crosswalk::RunContext context(**runtime);  // one per thread, reused for every message
    crosswalk::RunOutput output;
    crosswalk::MessageSplitter splitter;       // one per thread, reset for every file
    std::string bytes;
    for (size_t i = next++; i < files.size(); i = next++) {
      const fs::path in = files[i];
      std::vector<std::string> problems;       // stderr lines for this file
      if (!ReadFile(in, &bytes)) {
        problems.push_back(in.string() + ": rejected: cannot read the file");
        ++rejected;
      } else {
        // Every message of the file (an MLLP stream could be fed as it arrives, in chunks of any size).
        std::vector<crosswalk::SplitItem> items;
        std::vector<std::string> texts;
        splitter.Reset();
        splitter.Feed(bytes);
        splitter.Finish();
        crosswalk::SplitItem item;
        while (splitter.Next(&item)) {
          if (item.kind == crosswalk::SplitItem::Kind::kEnvelope) continue;  // FHS/BHS/BTS/FTS
          texts.emplace_back(item.text);
          items.push_back(item);
        }
        for (size_t m = 0; m < items.size(); ++m) {
          std::string name = in.stem().string() + (items.size() > 1 ? "#" + std::to_string(m + 1) : "");
          std::string label = in.string() + (items.size() > 1 ? "#" + std::to_string(m + 1) : "");
          if (items[m].kind == crosswalk::SplitItem::Kind::kError) {  // a part that is no message
            problems.push_back(label + ": rejected: " + items[m].error.ToString());
            ++rejected;
            continue;
          }
          crosswalk::Status status = context.Run(**program, texts[m], options, &output);
          std::string ack;
          if (status.ok()) {
            // The ACK follows the output: AA only once the output is written (a real host makes it durable).
            std::ofstream out(out_dir / (name + ".json"), std::ios::binary);
            out << output.json << '\n';
            out.close();
            if (out) {
              ++converted;
              ack = Ack(texts[m], crosswalk::AckCode::kAccept, "", ack_time);
            } else {
              ++rejected;
              problems.push_back(label + ": rejected: the output could not be written");
              ack = Ack(texts[m], crosswalk::AckCode::kReject, "the output could not be written", ack_time);
            }
          } else {
            ++rejected;
            problems.push_back(label + ": rejected: " + status.ToString());
            bool unreadable = status.code() == crosswalk::StatusCode::kParseError;
            ack = Ack(texts[m], unreadable ? crosswalk::AckCode::kReject : crosswalk::AckCode::kError,
                      status.ToString(), ack_time);
          }
          if (!ack.empty()) std::ofstream(out_dir / (name + ".ack.hl7"), std::ios::binary) << ack;
          for (const crosswalk::RunWarning& w : output.warnings) {
            problems.push_back(label + ": warning: " + w.map_file + ":" + std::to_string(w.line) + ":" +
                               std::to_string(w.col) + ": " + w.message);
          }
        }
        if (items.empty()) {
          problems.push_back(in.string() + ": rejected: no message in the file");
          ++rejected;
        }
      }
      std::lock_guard<std::mutex> lock(log_mutex);
      for (const std::string& line : problems) std::cerr << line << "\n";
    }
  };
  threads = std::min<unsigned>(threads, static_cast<unsigned>(files.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  std::cout << "converted " << converted << ", rejected " << rejected << " (" << threads << " threads)\n";
  return rejected == 0 ? 0 : 1;
}
