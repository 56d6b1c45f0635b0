#!/usr/bin/env bash
# The SDK as a new user meets it (issue #10): install the build into a temporary prefix, build the examples
# against it with find_package (CMake) and with pkg-config (make), run them on sample messages from
# tests/fixtures, and configure projects that embed the source tree with add_subdirectory and FetchContent.
# Usage: tools/scripts/test-install.sh BUILD_DIR [SOURCE_DIR]   (CTest runs it: test `sdk.install`)
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/crosswalk-sdk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

echo "== install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
libdir=$(cd "$prefix" && ls -d lib* | head -1)
for f in bin/crosswalk "$libdir/libcrosswalk.a" "$libdir/libcrosswalk_compiler.a" "$libdir/libcrosswalk_serve.a" \
         include/crosswalk/crosswalk.h include/crosswalk/runtime.h include/crosswalk/terminology.h \
         include/crosswalk/hl7v2.h include/crosswalk/serve.h include/crosswalk/status.h \
         include/crosswalk/compiler/compiler.h \
         "$libdir/cmake/crosswalk/crosswalkConfig.cmake" "$libdir/cmake/crosswalk/crosswalkConfigVersion.cmake" \
         "$libdir/cmake/crosswalk/crosswalkTargets.cmake" "$libdir/cmake/crosswalk/CrosswalkMaps.cmake" \
         "$libdir/cmake/crosswalk/FindCrosswalkRocksDB.cmake" \
         "$libdir/pkgconfig/crosswalk.pc" "$libdir/pkgconfig/crosswalk-compiler.pc" "$libdir/pkgconfig/crosswalk-serve.pc" \
         share/crosswalk/maps/hl7v2-to-fhir.cwb share/crosswalk/maps/hl7v2/adt.cw share/crosswalk/terminology/SEEDS; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
# The shared runtime: a versioned file, a SONAME link, and no private headers installed.
soname=$(objdump -p "$prefix/$libdir/libcrosswalk.so" | awk '/SONAME/ {print $2}')
[ -n "$soname" ] || fail "libcrosswalk.so has no SONAME"
[ -e "$prefix/$libdir/$soname" ] || fail "no $soname link"
ls "$prefix/$libdir"/libcrosswalk.so.*.*.* >/dev/null || fail "no fully versioned libcrosswalk.so"
# Everything the runtime needs is inside it: no undefined symbol of ours.
if nm -D --undefined-only "$prefix/$libdir/libcrosswalk.so" | grep -q 'crosswalk'; then
  fail "libcrosswalk.so leaves Crosswalk symbols undefined"
fi
[ -z "$(find "$prefix/include" -name '*.h' -path '*src*')" ] || fail "a private header was installed"

fixtures=$src/tests/fixtures/hl7v2/ms-fhir-converter
messages=("$fixtures/ADT-A01-01.hl7" "$fixtures/ADT-A01-02.hl7" "$fixtures/ADT-A04-01.hl7" "$fixtures/ADT-A08-01.hl7")

echo "== C++ example with find_package (compiles a map and seeds a store with the installed tool)"
cmake -S "$src/examples/cpp-batch" -B "$tmp/cpp" "${gen[@]}" "${launcher[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$tmp/cpp-configure.log" || { cat "$tmp/cpp-configure.log"; fail "configure examples/cpp-batch"; }
cmake --build "$tmp/cpp" >"$tmp/cpp-build.log" 2>&1 || { cat "$tmp/cpp-build.log"; fail "build examples/cpp-batch"; }
grep -q "$prefix/bin/crosswalk" "$tmp/cpp/build.ninja" "$tmp/cpp/Makefile" 2>/dev/null \
  || grep -rq "$prefix/bin/crosswalk" "$tmp/cpp/CMakeFiles" || fail "the maps module did not use the installed tool"
"$tmp/cpp/batch_convert" -j 2 "$tmp/cpp/adt.cwb" "$tmp/cpp/terminology" "$tmp/out" "${messages[@]}" \
  >"$tmp/batch.out" || { cat "$tmp/batch.out"; fail "batch_convert"; }
grep -q "converted 4, rejected 0 (2 threads)" "$tmp/batch.out" || { cat "$tmp/batch.out"; fail "batch summary"; }
for m in "${messages[@]}"; do
  out=$tmp/out/$(basename "${m%.hl7}").json
  grep -q '"resourceType":"Bundle"' "$out" || fail "no Bundle in $out"
done
grep -q '"gender":' "$tmp/out/ADT-A01-01.json" || fail "no translated gender in ADT-A01-01.json"
# Each converted message is answered with AA (the ACK's MSA-2 is the inbound MSH-10).
control=$(head -1 "${messages[0]}" | tr -d '\r' | cut -d'|' -f10)
tr '\r' '\n' <"$tmp/out/ADT-A01-01.ack.hl7" | grep -qx "MSA|AA|$control" || fail "no AA ACK for ADT-A01-01"
# A stream of MLLP frames (two messages) and a line that is no message, in one file: each message converted
# and acknowledged under FILE#N, the bad part counted as a rejection.
{ for m in "${messages[0]}" "${messages[1]}"; do printf '\x0b'; cat "$m"; printf '\x1c\r'; done; printf 'not hl7\r'; } \
  >"$tmp/stream.hl7"
if "$tmp/cpp/batch_convert" -j 1 "$tmp/cpp/adt.cwb" "$tmp/cpp/terminology" "$tmp/out3" "$tmp/stream.hl7" \
     >"$tmp/stream.out" 2>"$tmp/stream.err"; then
  fail "batch_convert accepted a stream with a part that is no message"
fi
grep -q "converted 2, rejected 1" "$tmp/stream.out" || { cat "$tmp/stream.out" "$tmp/stream.err"; fail "stream counts"; }
for n in 1 2; do
  grep -q '"resourceType":"Bundle"' "$tmp/out3/stream#$n.json" || fail "no Bundle for stream#$n"
  tr '\r' '\n' <"$tmp/out3/stream#$n.ack.hl7" | grep -q "^MSA|AA|" || fail "no AA ACK for stream#$n"
done
grep -q "stream.hl7#3: rejected: " "$tmp/stream.err" || { cat "$tmp/stream.err"; fail "the bad part was not reported"; }
! grep -q "not hl7" "$tmp/stream.err" || fail "the report holds the stream's content"
# A message the program has no map for is reported, not dropped.
if "$tmp/cpp/batch_convert" -j 1 "$tmp/cpp/adt.cwb" "$tmp/cpp/terminology" "$tmp/out2" \
     "$src/tests/fixtures/hl7v2/ms-fhir-converter/ORU-R01-01.hl7" >"$tmp/reject.out" 2>"$tmp/reject.err"; then
  fail "batch_convert accepted a message it has no map for"
fi
grep -q "converted 0, rejected 1" "$tmp/reject.out" || fail "rejection not counted"
grep -q "ORU-R01-01.hl7: rejected: " "$tmp/reject.err" || fail "rejection not reported"
# ... and answered with AE.
tr '\r' '\n' <"$tmp/out2/ORU-R01-01.ack.hl7" | grep -q "^MSA|AE|" || fail "no AE ACK for the rejected message"

echo "== CrosswalkMaps.cmake: a CSV seed with renamed columns"
mkdir -p "$tmp/csv"
cat >"$tmp/csv/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(csv_seed NONE)
find_package(crosswalk 0.1 CONFIG REQUIRED)
crosswalk_add_terminology(ALL TARGET csv_term DB \${CMAKE_BINARY_DIR}/terminology
  SEEDS "$src/tests/fixtures/terminology/epic-sex.csv" CSV_MAP_VERSION 9
  CSV_COLUMNS source_system=LocalSystem source_code=LocalCode target_system=FhirSystem target_code=FhirCode map_url=Map)
CMAKE
cmake -S "$tmp/csv" -B "$tmp/csv/build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/csv.log" 2>&1 \
  || { cat "$tmp/csv.log"; fail "configure the CSV seed project"; }
cmake --build "$tmp/csv/build" >>"$tmp/csv.log" 2>&1 || { cat "$tmp/csv.log"; fail "seed the CSV store"; }
"$prefix/bin/crosswalk" term translate --db "$tmp/csv/build/terminology" --map urn:example:map:epic-sex \
  urn:example:epic:sex 2 >"$tmp/csv.out" || { cat "$tmp/csv.out"; fail "translate through the CSV map"; }
grep -qx "target_code: male" "$tmp/csv.out" || { cat "$tmp/csv.out"; fail "CSV map did not translate 2 to male"; }
grep -qx "map: urn:example:map:epic-sex|9" "$tmp/csv.out" || { cat "$tmp/csv.out"; fail "CSV_MAP_VERSION not passed"; }

echo "== CrosswalkMaps.cmake: TERMINOLOGY checks the store holds what a program uses"
mkdir -p "$tmp/chk"
cat >"$tmp/chk/good.cw" <<'CW'
map Sex : json -> json { gender: translate(input.sex, "urn:example:map:epic-sex") }
CW
cat >"$tmp/chk/bad.cw" <<'CW'
map Sex : json -> json { gender: translate(input.sex, "urn:example:map:not-seeded") }
CW
cat >"$tmp/chk/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(term_check NONE)
find_package(crosswalk 0.1 CONFIG REQUIRED)
crosswalk_add_maps(ALL TARGET good_maps OUTPUT \${CMAKE_BINARY_DIR}/good.cwb SOURCES good.cw TERMINOLOGY chk_term)
crosswalk_add_maps(TARGET bad_maps OUTPUT \${CMAKE_BINARY_DIR}/bad.cwb SOURCES bad.cw TERMINOLOGY chk_term)
crosswalk_add_terminology(ALL TARGET chk_term DB \${CMAKE_BINARY_DIR}/terminology
  SEEDS "$src/tests/fixtures/terminology/epic-sex.csv"
  CSV_COLUMNS source_system=LocalSystem source_code=LocalCode target_system=FhirSystem target_code=FhirCode map_url=Map)
CMAKE
cmake -S "$tmp/chk" -B "$tmp/chk/build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/chk.log" 2>&1 \
  || { cat "$tmp/chk.log"; fail "configure the terminology-check project"; }
cmake --build "$tmp/chk/build" >>"$tmp/chk.log" 2>&1 || { cat "$tmp/chk.log"; fail "a store that holds the map failed the check"; }
if cmake --build "$tmp/chk/build" --target bad_maps >"$tmp/chk-bad.log" 2>&1; then
  fail "a program naming a concept map the store lacks built"
fi
# Maps compiled with TERMINOLOGY are bound to the store (compile --term), so the missing map stops the compile.
grep -q "no ConceptMap 'urn:example:map:not-seeded'" "$tmp/chk-bad.log" || { cat "$tmp/chk-bad.log"; fail "the failed check did not name the missing map"; }

echo "== C example with find_package"
cmake -S "$src/examples/c-host" -B "$tmp/c" "${gen[@]}" "${launcher[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$tmp/c-configure.log" || { cat "$tmp/c-configure.log"; fail "configure examples/c-host"; }
cmake --build "$tmp/c" >"$tmp/c-build.log" 2>&1 || { cat "$tmp/c-build.log"; fail "build examples/c-host"; }

echo "== C example with find_package, static (crosswalk::runtime_static)"
cmake -S "$src/examples/c-host" -B "$tmp/cs" "${gen[@]}" "${launcher[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCROSSWALK_STATIC=ON >"$tmp/cs-configure.log" || { cat "$tmp/cs-configure.log"; fail "configure static examples/c-host"; }
cmake --build "$tmp/cs" >"$tmp/cs-build.log" 2>&1 || { cat "$tmp/cs-build.log"; fail "build static examples/c-host"; }
if ldd "$tmp/cs/convert" | grep -q libcrosswalk; then fail "the static build links libcrosswalk.so"; fi

echo "== C example with pkg-config (make)"
mkdir -p "$tmp/pc"
PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" make -s -C "$src/examples/c-host" O="$tmp/pc" \
  CFLAGS="-O1 -Wall -Wextra -Werror" >"$tmp/pc-build.log" 2>&1 || { cat "$tmp/pc-build.log"; fail "make examples/c-host"; }

for exe in "$tmp/c/convert" "$tmp/cs/convert" "$tmp/pc/convert"; do
  "$exe" "$prefix/share/crosswalk/maps/hl7v2-to-fhir.cwb" "${messages[0]}" "$tmp/cpp/terminology" \
    >"$tmp/c.out" 2>"$tmp/c.err" || { cat "$tmp/c.err"; fail "$exe"; }
  grep -q '"resourceType":"Bundle"' "$tmp/c.out" || fail "$exe wrote no Bundle"
  grep -q "convert: map ADT_A01" "$tmp/c.err" || { cat "$tmp/c.err"; fail "$exe did not name the map"; }
  if "$exe" "$prefix/share/crosswalk/maps/hl7v2-to-fhir.cwb" "$src/README.md" "$tmp/cpp/terminology" \
       >/dev/null 2>"$tmp/c.err"; then
    fail "$exe accepted a file that is not a message"
  fi
  grep -q "convert: rejected (parse error)" "$tmp/c.err" || { cat "$tmp/c.err"; fail "$exe rejection"; }
done

echo "== a host that compiles maps in-process (crosswalk::compiler with crosswalk::runtime)"
mkdir -p "$tmp/comp"
cat >"$tmp/comp/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(compile_host CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(crosswalk 0.1 CONFIG REQUIRED COMPONENTS runtime compiler)
add_executable(compile_host main.cc)
target_link_libraries(compile_host PRIVATE crosswalk::compiler crosswalk::runtime)
CMAKE
cat >"$tmp/comp/main.cc" <<'CXX'
#include <crosswalk/compiler/compiler.h>
#include <crosswalk/runtime.h>
#include <iostream>
int main() {
  auto c = crosswalk::compiler::CompileSource("host.cw", "map A : json -> json { x: upper(input.a) }\n");
  if (!c.ok()) { std::cerr << crosswalk::compiler::FormatDiagnostics(c); return 1; }
  auto rt = crosswalk::Runtime::Create();
  auto p = (*rt)->Load(*c.bytecode);
  if (!p.ok()) { std::cerr << p.status().ToString() << "\n"; return 1; }
  crosswalk::RunContext ctx(**rt);
  crosswalk::RunOutput out;
  crosswalk::Status s = ctx.Run(**p, R"({"a":"abc"})", {}, &out);
  if (!s.ok()) { std::cerr << s.ToString() << "\n"; return 1; }
  std::cout << out.json << "\n";
  auto bad = crosswalk::compiler::CompileSource("bad.cw", "map A : json -> json { x: }\n");
  std::cout << (bad.ok() ? "compiled a bad map" : "rejected a bad map") << "\n";
  return 0;
}
CXX
cmake -S "$tmp/comp" -B "$tmp/comp/build" "${gen[@]}" "${launcher[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$tmp/comp.log" 2>&1 || { cat "$tmp/comp.log"; fail "configure the compiling host"; }
cmake --build "$tmp/comp/build" >"$tmp/comp-build.log" 2>&1 || { cat "$tmp/comp-build.log"; fail "build the compiling host"; }
"$tmp/comp/build/compile_host" >"$tmp/comp.out" || { cat "$tmp/comp.out"; fail "the compiling host"; }
[ "$(cat "$tmp/comp.out")" = $'{"x":"ABC"}\nrejected a bad map' ] || { cat "$tmp/comp.out"; fail "compiling host output"; }
# The same host with pkg-config crosswalk-compiler (which requires crosswalk).
PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" bash -c 'c++ -std=c++17 -o "$1/compile_host_pc" "$1/main.cc" \
  $(pkg-config --cflags --libs crosswalk-compiler) -Wl,-rpath,$(pkg-config --variable=libdir crosswalk)' _ "$tmp/comp" \
  >"$tmp/comp-pc.log" 2>&1 || { cat "$tmp/comp-pc.log"; fail "build the compiling host with pkg-config"; }
"$tmp/comp/compile_host_pc" | cmp -s - "$tmp/comp.out" || fail "the pkg-config compiling host differs"

echo "== a host that reuses the live-feed parts (crosswalk::serve)"
mkdir -p "$tmp/srv"
cat >"$tmp/srv/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(serve_host CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(crosswalk 0.1 CONFIG REQUIRED COMPONENTS runtime serve)
add_executable(serve_host main.cc)
target_link_libraries(serve_host PRIVATE crosswalk::serve)
CMAKE
# MLLP frames split at every byte, stored in a durable inbox (RocksDB) and read back after a reopen, and the
# ACK of each one.
cat >"$tmp/srv/main.cc" <<'CXX'
#include <crosswalk/hl7v2.h>
#include <crosswalk/serve.h>
#include <iostream>
#include <string>
#include <vector>
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string msgs[] = {"MSH|^~\\&|LAB|H|EHR|H|20240501120000||ADT^A01|c1|P|2.5.1\rPID|1||42\r",
                              "MSH|^~\\&|LAB|H|EHR|H|20240501120001||ADT^A08|c2|P|2.5.1\rPID|1||43\r"};
  std::string stream;
  for (const auto& m : msgs) crosswalk::serve::AppendMllpFrame(m, &stream);
  crosswalk::serve::MllpDeframer deframer(1 << 20);
  std::vector<crosswalk::serve::InboxItem> items;
  std::string frame;
  for (char c : stream) {
    deframer.Append(std::string_view(&c, 1));
    while (deframer.Next(&frame) == crosswalk::serve::MllpDeframer::kFrame) {
      crosswalk::MessageHeader h;
      if (!crosswalk::ReadMessageHeader(frame, &h).ok()) return 1;
      crosswalk::serve::InboxItem item;
      item.record.control_id = h.control_id;
      item.record.type = h.message_code + "^" + h.trigger_event;
      item.record.sha256 = crosswalk::serve::Sha256Hex(frame);
      item.record.text = frame;
      item.sender = "LAB^H";
      items.push_back(item);
    }
  }
  {
    auto inbox = crosswalk::serve::Inbox::Open(argv[1]);
    if (!inbox.ok()) { std::cerr << inbox.status().ToString() << "\n"; return 1; }
    if (!(*inbox)->Store(&items).ok()) return 1;
  }
  auto inbox = crosswalk::serve::Inbox::Open(argv[1]);
  std::vector<uint64_t> pending;
  if (!inbox.ok() || !(*inbox)->Pending(&pending).ok()) return 1;
  for (uint64_t seq : pending) {
    crosswalk::serve::InboxRecord r;
    if (!(*inbox)->Load(seq, &r).ok()) return 1;
    crosswalk::AckOptions o;
    o.control_id = "ACK" + r.control_id;
    o.timestamp = "20240501120002";
    std::string ack;
    if (!crosswalk::BuildAck(r.text, o, &ack).ok()) return 1;
    std::cout << r.type << " " << ack.substr(ack.find("MSA|")) << "\n";
  }
  return 0;
}
CXX
cmake -S "$tmp/srv" -B "$tmp/srv/build" "${gen[@]}" "${launcher[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$tmp/srv.log" 2>&1 || { cat "$tmp/srv.log"; fail "configure the serve host"; }
cmake --build "$tmp/srv/build" >"$tmp/srv-build.log" 2>&1 || { cat "$tmp/srv-build.log"; fail "build the serve host"; }
"$tmp/srv/build/serve_host" "$tmp/srv/inbox" >"$tmp/srv.out" || { cat "$tmp/srv.out"; fail "the serve host"; }
[ "$(cat "$tmp/srv.out")" = $'ADT^A01 MSA|AA|c1\r\nADT^A08 MSA|AA|c2\r' ] || { od -c "$tmp/srv.out"; fail "serve host output"; }
# The same host with pkg-config crosswalk-serve (which requires crosswalk), on a new inbox.
PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" bash -c 'c++ -std=c++17 -o "$1/serve_host_pc" "$1/main.cc" \
  $(pkg-config --cflags --libs crosswalk-serve) -Wl,-rpath,$(pkg-config --variable=libdir crosswalk)' _ "$tmp/srv" \
  >"$tmp/srv-pc.log" 2>&1 || { cat "$tmp/srv-pc.log"; fail "build the serve host with pkg-config"; }
"$tmp/srv/serve_host_pc" "$tmp/srv/inbox-pc" | cmp -s - "$tmp/srv.out" || fail "the pkg-config serve host differs"

echo "== add_subdirectory of the source tree"
mkdir -p "$tmp/sub"
cat >"$tmp/sub/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(embedding_host C CXX)
add_subdirectory("$src" crosswalk)
foreach(t crosswalk::runtime crosswalk::runtime_static crosswalk::compiler crosswalk::serve crosswalk::crosswalk)
  if(NOT TARGET \${t})
    message(FATAL_ERROR "add_subdirectory(crosswalk) gives no \${t}")
  endif()
endforeach()
if(TARGET crosswalk_capi_tests)
  message(FATAL_ERROR "Crosswalk's own tests are built inside another project")
endif()
add_executable(host_c "$src/examples/c-host/convert.c")
target_link_libraries(host_c PRIVATE crosswalk::runtime)
CMAKE
cmake -S "$tmp/sub" -B "$tmp/sub/build" "${gen[@]}" >"$tmp/sub.log" 2>&1 || { cat "$tmp/sub.log"; fail "add_subdirectory configure"; }

echo "== FetchContent of the source tree"
mkdir -p "$tmp/fetch"
cat >"$tmp/fetch/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(fetching_host C CXX)
include(FetchContent)
FetchContent_Declare(crosswalk SOURCE_DIR "$src")
FetchContent_MakeAvailable(crosswalk)
foreach(t crosswalk::runtime crosswalk::runtime_static crosswalk::compiler crosswalk::serve crosswalk::crosswalk)
  if(NOT TARGET \${t})
    message(FATAL_ERROR "FetchContent of crosswalk gives no \${t}")
  endif()
endforeach()
if(NOT COMMAND crosswalk_add_maps)
  message(FATAL_ERROR "FetchContent of crosswalk gives no crosswalk_add_maps")
endif()
add_executable(host_c "$src/examples/c-host/convert.c")
target_link_libraries(host_c PRIVATE crosswalk::runtime)
CMAKE
cmake -S "$tmp/fetch" -B "$tmp/fetch/build" "${gen[@]}" >"$tmp/fetch.log" 2>&1 || { cat "$tmp/fetch.log"; fail "FetchContent configure"; }
echo "test-install: OK"
