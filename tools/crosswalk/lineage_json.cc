#include "lineage_json.h"

#include <nlohmann/json.hpp>

namespace crosswalk::cli {

namespace {

std::string Location(const std::string& file, uint32_t line, uint32_t col) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace

std::string LineageJsonLine(std::string_view message_label, const LineageRecord& record) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["message"] = std::string(message_label);
  j["output"] = record.output_path;
  j["map"] = Location(record.map_file, record.line, record.col);
  auto paths = [&](const std::vector<uint32_t>& which) {
    ordered_json a = ordered_json::array();
    for (uint32_t i : which) a.push_back(record.inputs[i].path);
    return a;
  };
  j["from"] = paths(record.data_inputs);
  j["when"] = paths(record.condition_inputs);
  ordered_json terms = ordered_json::array();
  for (const LineageDecision& d : record.decisions) {
    ordered_json t;
    t["op"] = d.op;
    t["via"] = d.url;
    t["result"] = d.result;
    t["at"] = Location(d.map_file, d.line, d.col);
    t["inputs"] = paths(d.inputs);
    if (!d.source_code.empty()) t["code"] = d.source_code;
    if (!d.target_code.empty()) t["target"] = d.target_code;
    terms.push_back(std::move(t));
  }
  j["terminology"] = std::move(terms);
  // Text that is not UTF-8 (a file name) is replaced rather than refused.
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace crosswalk::cli
