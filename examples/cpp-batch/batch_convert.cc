// batch_convert: converts HL7 v2 message files with a compiled Crosswalk program, on several threads.
// An out-of-tree integrator of the public C++ API (<crosswalk/runtime.h>), built with find_package(crosswalk).
//
//   batch_convert [-j THREADS] PROGRAM.cwb TERMINOLOGY_DIR OUT_DIR MESSAGE_FILE...
//
// Each message file becomes OUT_DIR/<file stem>.json. A message that cannot be converted is reported on
// stderr with its reason (positions, never message content) and counted: nothing is dropped silently.
// Exit status: 0 all converted, 1 some rejected, 2 usage or set-up error.
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

  std::atomic<size_t> next{0}, converted{0}, rejected{0};
  std::mutex log_mutex;
  auto worker = [&] {
    crosswalk::RunContext context(**runtime);  // one per thread, reused for every message
    crosswalk::RunOutput output;
    std::string message;
    for (size_t i = next++; i < files.size(); i = next++) {
      const fs::path in = files[i];
      crosswalk::Status status;
      if (!ReadFile(in, &message)) {
        status = crosswalk::NotFound("cannot read the file");
      } else {
        status = context.Run(**program, message, options, &output);
      }
      if (status.ok()) {
        std::ofstream(out_dir / (in.stem().string() + ".json"), std::ios::binary) << output.json << '\n';
        ++converted;
      } else {
        ++rejected;
      }
      std::lock_guard<std::mutex> lock(log_mutex);
      if (!status.ok()) std::cerr << in.string() << ": rejected: " << status.ToString() << "\n";
      for (const crosswalk::RunWarning& w : output.warnings) {
        std::cerr << in.string() << ": warning: " << w.map_file << ":" << w.line << ":" << w.col << ": "
                  << w.message << "\n";
      }
    }
  };
  threads = std::min<unsigned>(threads, static_cast<unsigned>(files.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  std::cout << "converted " << converted << ", rejected " << rejected << " (" << threads << " threads)\n";
  return rejected == 0 ? 0 : 1;
}
