// The terminology store: code systems, value sets and concept maps in an embedded RocksDB directory.
//
// Hosts open a Store read-only (the default; many processes may share one directory) and ask it to
// look up a concept, validate a code (in its code system or in a value set) or translate a code
// through a ConceptMap. The importer (Store opened with read_only = false, or `crosswalk term import`)
// loads FHIR R4 CodeSystem / ValueSet / ConceptMap JSON (one resource, a Bundle or NDJSON) and CSV
// crosswalk tables; an import is one atomic write.
//
// Lifetime of results: every std::string_view / Span in a Concept or Translation points into
// memory owned by the Store (its in-process cache). With the default unbounded cache that memory is
// never evicted or moved while the Store lives, so a result stays valid until the Store is destroyed
// (also across later imports made through the same Store object). With OpenOptions::max_cache_bytes
// set, a result stays valid until the calling thread's next query. Results never alias the caller's
// arguments.
//
// Thread-safety: Lookup, Validate, Translate, CheckHas and stats may be called concurrently from any
// number of threads on one Store. Import needs exclusive use of the Store (no concurrent calls).
// A read-only Store sees the directory as it was when opened; reopen it to see later imports.
//
// This header includes nothing of RocksDB or nlohmann/json (see docs/terminology.md for the key layout),
// and compiles as C++17 (Span stands in for C++20's std::span).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crosswalk/status.h"

namespace crosswalk::term {

// A read-only view of `size()` contiguous elements, like C++20's std::span<const T> (this header is
// C++17). It does not own the elements; see the header comment for how long a result's spans live.
template <typename T>
class Span {
 public:
  constexpr Span() noexcept = default;
  constexpr Span(const T* data, size_t size) noexcept : data_(data), size_(size) {}
  template <typename Alloc>
  Span(const std::vector<T, Alloc>& v) noexcept : data_(v.data()), size_(v.size()) {}  // NOLINT: implicit

  constexpr const T* data() const noexcept { return data_; }
  constexpr size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const T* begin() const noexcept { return data_; }
  constexpr const T* end() const noexcept { return data_ + size_; }
  // Precondition: i < size().
  constexpr const T& operator[](size_t i) const noexcept { return data_[i]; }

 private:
  const T* data_ = nullptr;
  size_t size_ = 0;
};

// The three kinds of terminology resource the store holds.
enum class ResourceKind : uint8_t { kCodeSystem = 0, kValueSet = 1, kConceptMap = 2 };

// "CodeSystem", "ValueSet", "ConceptMap".
std::string_view ResourceKindName(ResourceKind kind) noexcept;

// A designation (another display, e.g. in another language) of a concept.
struct Designation {
  std::string_view language;    // BCP-47 tag, may be empty
  std::string_view use_system;  // Coding.system of `use`, may be empty
  std::string_view use_code;    // Coding.code of `use`, may be empty
  std::string_view value;
};

// A concept property. Codings are rendered "system|code"; booleans "true"/"false"; numbers and dates
// exactly as written in the source.
struct Property {
  std::string_view code;   // the property code, e.g. "status", "parent", "v2-table-deprecated"
  std::string_view type;   // "code", "string", "boolean", "integer", "decimal", "dateTime", "Coding"
  std::string_view value;
};

// A concept of a code system, as stored (all views are Store-owned, see the header comment).
struct Concept {
  std::string_view system;   // the code system URL
  std::string_view version;  // the code system version that answered
  std::string_view code;
  std::string_view display;  // may be empty
  // "active" unless the concept says otherwise (property `status`, or `inactive`/`deprecated` = true).
  std::string_view status;
  // Its own designations and properties, then those of the code system's supplements (docs/terminology.md,
  // "Supplements").
  Span<Designation> designations;
  Span<Property> properties;
  // With Lookup's display_language: the language of the designation that became `display`; empty when
  // no designation matched (display is then the concept's own) or none was asked for.
  std::string_view display_language;
};

// A dependsOn condition or a product of a ConceptMap target (R4 ConceptMap.group.element.target.dependsOn
// / .product): a property (a URI or a code) with a value, optionally of a code system.
struct MapAttribute {
  std::string_view property;
  std::string_view system;  // may be empty
  std::string_view value;
  std::string_view display;  // may be empty
};

// The answer of Translate. When found is false every view is empty except possibly equivalence
// ("unmatched" / "disjoint" when the map says so explicitly).
struct Translation {
  bool found = false;
  std::string_view target_system;
  std::string_view target_code;
  std::string_view target_display;
  // R4 ConceptMapEquivalence ("equivalent", "equal", "wider", "narrower", "inexact", ...) or an R5
  // relationship code, as written in the map; "equivalent" for CSV rows without one. For results that
  // come from a group's `unmapped` rule: "unmapped-provided", "unmapped-fixed" (other-map results carry
  // the other map's equivalence).
  std::string_view equivalence;
  std::string_view map_url;      // the map that answered (useful when the caller passed no map URL)
  std::string_view map_version;  // its version
  Span<MapAttribute> product;    // the target's products (other concepts the mapping also yields)
};

// R4 ConceptMapEquivalence as bits, for TranslateOptions::equivalences. R5 relationship codes count as
// their R4 meaning (related-to = relatedto, source-is-narrower-than-target = wider,
// source-is-broader-than-target = narrower).
enum EquivalenceBits : uint32_t {
  kEquivalenceEqual = 1u << 0,
  kEquivalenceEquivalent = 1u << 1,
  kEquivalenceWider = 1u << 2,
  kEquivalenceSubsumes = 1u << 3,
  kEquivalenceNarrower = 1u << 4,
  kEquivalenceSpecializes = 1u << 5,
  kEquivalenceInexact = 1u << 6,
  kEquivalenceRelatedTo = 1u << 7,
  kEquivalenceUnmapped = 1u << 8,  // answers of a group's `unmapped` rule (provided / fixed)
  kEquivalenceAny = (1u << 9) - 1,
};

// The bit of one equivalence or relationship code; 0 for an unknown code or a negative one (unmatched,
// disjoint, not-related-to).
uint32_t EquivalenceBit(std::string_view equivalence) noexcept;

// A value known to the caller for a dependsOn condition (e.g. the specimen type when mapping a test).
struct DependsOnValue {
  std::string property;  // the condition's property, as the map writes it
  std::string system;    // empty: matches a condition of any system
  std::string value;
};

// Options of TranslateAll.
struct TranslateOptions {
  // Only targets in this system (empty: any).
  std::string target_system;
  // Which equivalences may answer (bits of EquivalenceBits). Default: all.
  uint32_t equivalences = kEquivalenceAny;
  // Values for dependsOn conditions. A target with conditions answers only when every condition has a
  // value here with the same property, the same value and (when both name one) the same system; with
  // no values, conditional targets never answer.
  std::vector<DependsOnValue> depends_on;
  // Reverse translation: `code` is a target code of `source_system` (the map's target system) and the
  // answers are the source codes that map to it (R4 $translate reverse=true). Needs a map URL or a
  // store whose maps name the system as a group target. Unmapped rules do not apply in reverse.
  bool reverse = false;
  // The version of the source code's system, when the source data gives one (R4 $translate `version`
  // for the coding's system). Groups whose `sourceVersion` names another version do not answer; groups
  // without `sourceVersion` answer for any. Empty: every group answers. In reverse translation it is the
  // version of the given (target) code's system, compared with the groups' `targetVersion`.
  std::string source_version;
};

// One answer of TranslateAll (owns its strings).
struct Match {
  std::string system, code, display;  // the target (reverse: the source)
  // The version of `system` the map's group names (targetVersion; in reverse translation sourceVersion),
  // "" when it names none. An empty display is filled from that version of the code system (none when the
  // store lacks that version), else from the current version.
  std::string version;
  std::string equivalence;            // as in Translation::equivalence
  std::string map_url, map_version;
  struct Attribute {
    std::string property, system, value, display;
  };
  std::vector<Attribute> depends_on;  // the conditions this target needed (all held)
  std::vector<Attribute> product;
};

// Result of ValidateCode (R4 $validate-code).
struct CodeValidation {
  bool valid = false;
  // Why not valid (unknown code, not in the value set, wrong display), or a warning when valid (an
  // inactive code). Never contains the caller's code or display.
  std::string message;
  std::string display;   // the concept's display when the code is known (the right one, for a wrong display)
  bool inactive = false; // the concept's status is not "active"
  std::string version;   // the code system version that answered
};

// Result of Subsumes (R4 $subsumes outcome).
enum class Subsumption : uint8_t { kEquivalent, kSubsumes, kSubsumedBy, kNotSubsumed };
std::string_view SubsumptionName(Subsumption s) noexcept;  // "equivalent", "subsumes", ...

// One member of an expansion.
struct ExpansionItem {
  std::string system, version, code, display;
};

// Options and result of Expand.
struct ExpandOptions {
  uint64_t offset = 0;  // members to skip (paging)
  uint64_t count = 1000;  // most members to return (paging)
  // Most members an expansion may have in total; a larger value set is kLimitExceeded (expand it by
  // paging through a smaller filter instead). Default 100,000.
  uint64_t max_members = 100000;
  // R4 $expand displayLanguage (a BCP-47 tag or a comma-separated preference list): each member's display
  // is its concept's designation in that language, chosen as Lookup's display_language does; a member
  // without one keeps its display. Empty: the concept's own display.
  std::string display_language;
  // R4 $expand activeOnly: leave out members whose concept is not active (status other than "active";
  // see Concept::status). kFailedPrecondition when a member's code system is not in the store or cannot
  // tell (content not-present), since its status is then unknown.
  bool active_only = false;
  // R4 $expand filter (a text filter for pickers): keep the members where every whitespace-separated word
  // of the filter occurs, ignoring ASCII case, in the code or in the display (after display_language).
  std::string filter;
};
struct Expansion {
  uint64_t total = 0;  // members in the whole expansion (after active_only and filter)
  std::vector<ExpansionItem> items;  // members [offset, offset + count) in (system, code) byte order
  // R4 ValueSet.expansion.parameter: the parameters that changed this expansion's content, (name, value),
  // in this order when given: displayLanguage, activeOnly ("true"), filter. (Paging is `offset`/`count`.)
  std::vector<std::pair<std::string, std::string>> parameters;
};

// Options of Store::Open. Defaults suit a host that only reads.
struct OpenOptions {
  // Open with RocksDB OpenForReadOnly (no lock; several processes may share the directory). Default
  // true. Set false for importing; a read-write open takes RocksDB's lock (one writer at a time).
  bool read_only = true;
  // Read-write only: create an empty store when the directory has none. Default true. A read-only
  // open of a directory without a store fails with kNotFound.
  bool create_if_missing = true;
  // Negative answers (unknown code, no mapping) are cached until this many entries are cached in
  // total; beyond it they are recomputed on every call, so that hostile input cannot grow the cache
  // without bound. Positive answers are always cached (their views must stay valid). Default 1 << 20.
  size_t max_negative_cache_entries = size_t{1} << 20;
  // RocksDB block cache in bytes (0 = RocksDB's default). Default 32 MiB.
  size_t block_cache_bytes = size_t{32} << 20;
  // Bound of the in-process answer cache, in bytes (estimated: strings, vectors, map nodes). 0 (the
  // default) = no bound: entries are never evicted and every result's views stay valid while the Store
  // lives. With a bound, entries are evicted by CLOCK (least recently hit first, roughly) and a result's
  // views stay valid only until the calling thread's next query on any Store: copy what must live
  // longer. (A Runtime opens its store with RuntimeOptions::terminology_cache_bytes, 64 MiB by default;
  // the VM copies what it keeps of an answer into the run's arena.)
  size_t max_cache_bytes = 0;
};

// Column names of a CSV crosswalk table. Each names the header cell that holds the canonical column.
struct CsvColumns {
  std::string source_system = "source_system";
  std::string source_code = "source_code";
  std::string source_display = "source_display";  // optional column
  std::string target_system = "target_system";
  std::string target_code = "target_code";
  std::string target_display = "target_display";  // optional column
  std::string equivalence = "equivalence";        // optional column (default "equivalent")
  std::string map_url = "map_url";                // optional column
  std::string map_version = "map_version";        // optional column
  // Sets one mapping from "canonical=Header" (e.g. "source_code=LocalCode"). kInvalidArgument for an
  // unknown canonical name or a missing '='.
  Status Set(std::string_view assignment);
};

// Compares two versions of a resource in natural order (digit runs as numbers): <0, 0, >0. This is the
// order that picks the current version (ImportOptions::CurrentPolicy::kHighestVersion).
int CompareVersions(std::string_view a, std::string_view b) noexcept;

// Progress of an import, reported to ImportOptions::progress.
struct ImportProgress {
  std::string_view file;       // the file being read ("" while writing)
  uint64_t bytes_done = 0;     // bytes of `file` parsed so far
  uint64_t bytes_total = 0;    // size of `file`
  uint64_t resources = 0;      // resources parsed so far (all files)
  uint64_t concepts = 0;       // concepts + map elements + value-set rules parsed so far (all files)
  bool writing = false;        // true while the single atomic write runs
};

// Options of an import.
struct ImportOptions {
  CsvColumns csv_columns;
  // Map URL for CSV rows without a map_url column/value. Empty (default): derived from the file name,
  // "urn:crosswalk:conceptmap:" + the file's stem lower-cased with every run of characters outside
  // [a-z0-9.] replaced by '-' (e.g. "Local Lab Codes.csv" -> "urn:crosswalk:conceptmap:local-lab-codes").
  std::string csv_map_url;
  // Map version for CSV rows without a map_version value. Default "" (no version).
  std::string csv_map_version;
  // Which version of a URL is current after the import (see docs/terminology.md, "Current version").
  //  kHighestVersion (default): the highest stored version in natural version order (CompareVersions:
  //    1.9 < 1.10, 2019-03 < 2020-01), whatever the import order: re-importing an old version never
  //    makes it current again.
  //  kImported: each imported version becomes current (`term import --make-current`), even if lower.
  //  kKeep: an existing pointer is kept (`--keep-current`); a URL without one gets the highest version.
  enum class CurrentPolicy : uint8_t { kHighestVersion, kImported, kKeep };
  CurrentPolicy current = CurrentPolicy::kHighestVersion;
  // Header rows of CSV tables (1 to 8). With more than one, a column's name is the non-empty cells above
  // it joined with '/' (an upper cell carries over the empty cells right of it, like a merged cell), e.g.
  // "HL7 FHIR/Code"; a last-row name that is unique also selects the column. Default 1.
  size_t csv_header_rows = 1;
  // Memory for the joins of the release loaders (LOINC's files, SNOMED CT RF2's): the external sort that
  // joins them by code holds at most this many bytes of rows before it writes a sorted run to a file in the
  // store's import folder (ImportReport::peak_sort_bytes says how much it held). Default 32 MiB; values
  // below 64 KiB count as 64 KiB.
  size_t sort_buffer_bytes = size_t{32} << 20;
  // Called now and then while parsing and writing (e.g. to draw a progress line). May be empty.
  std::function<void(const ImportProgress&)> progress;
  // Test hook: called after everything is parsed and the write batch is built, just before the single
  // atomic write. Returning a non-Ok status aborts the import (nothing is written).
  std::function<Status()> before_commit;
};

// What an import wrote.
struct ImportReport {
  struct Item {
    ResourceKind kind;
    std::string url;
    std::string version;
    uint64_t entries = 0;   // concepts, map elements or value-set rules/members
    bool replaced = false;  // this (url, version) existed before and was replaced
  };
  std::vector<Item> items;
  uint64_t keys_written = 0;
  // Entries (concepts, map elements, value-set rules and members) of the versions this import replaced;
  // their records go by one range deletion per record family, not key by key.
  uint64_t keys_deleted = 0;
  // The importer's memory accounting: the most concepts, map elements and value-set rules and members that
  // were held in parsed form at once (the rest went to disk as they were parsed). A streamed code system,
  // ConceptMap, Bundle entry or NDJSON line holds one entry's worth; see docs/terminology.md, "Scale".
  uint64_t peak_held_entries = 0;
  // The most bytes the release loaders' external sort held at once (at most
  // ImportOptions::sort_buffer_bytes plus one row); 0 when no release files were imported.
  uint64_t peak_sort_bytes = 0;
};

// Counters of a store.
struct Stats {
  uint64_t code_systems = 0;          // distinct code system URLs
  uint64_t code_system_versions = 0;  // (url, version) pairs
  uint64_t concepts = 0;              // over all versions
  uint64_t value_sets = 0;            // distinct URLs
  uint64_t value_set_versions = 0;
  uint64_t concept_maps = 0;          // distinct URLs
  uint64_t concept_map_versions = 0;
  uint64_t map_elements = 0;          // (source code -> targets) entries, over all versions
  // In-process cache.
  uint64_t cache_entries = 0;
  uint64_t cache_bytes = 0;       // estimated memory of the cached answers
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t cache_evictions = 0;
  // RocksDB memory of this handle: table readers (index and bloom filters), block cache, memtables.
  uint64_t store_memory_bytes = 0;
};

// One stored resource version (for listings).
struct ResourceInfo {
  ResourceKind kind;
  std::string url;
  std::string version;
  std::string name;
  std::string title;
  uint64_t entries = 0;
  bool current = false;  // this version is the URL's current version
  // The content hash kept at import (Store::Bind); has_content_hash false for a version imported by a
  // build that did not keep hashes.
  bool has_content_hash = false;
  uint64_t content_hash = 0;
};

class Store {
 public:
  // Opens the store in `dir`. Errors: kNotFound (read-only and no store there), kIoError (RocksDB
  // refused, e.g. the directory is locked by a writer), kCorrupt (not a Crosswalk store, or a newer
  // key-layout version).
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const OpenOptions& options = {});

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Translates `code` of `source_system` through a ConceptMap.
  //  * map_url non-empty: that map's current version. kNotFound when the store has no such map.
  //  * map_url empty: every map with a group from `source_system` (and to `target_system`, if given)
  //    is a candidate; candidates are tried in byte order of their URL and the first that maps the code
  //    answers (so the choice is deterministic; pass a map URL to choose explicitly).
  //  * map_url "url|version": that version; kNotFound when the store does not have it.
  // The answer is the best of TranslateAll's matches with default options (no dependsOn values, so a
  // conditional target never answers): by equivalence rank (equal, equivalent, wider, subsumes,
  // narrower, specializes, inexact, relatedto; then unmapped-rule answers), ties in document order.
  // Not mapped: found == false (not an error); equivalence says "unmatched"/"disjoint" when the map
  // says so. Cache hit: no allocation, no lock contention beyond a shared shard lock.
  Result<Translation> Translate(std::string_view map_url, std::string_view source_system,
                                std::string_view code, std::string_view target_system = {});

  // Every match of `code`, best first (the order Translate uses). Per group of the map (R4):
  //  * the element's targets, except negative ones (unmatched, disjoint, not-related-to), targets outside
  //    options.target_system, equivalences outside options.equivalences, and targets whose dependsOn
  //    conditions do not hold;
  //  * when the group has no element for the code at all, its `unmapped` rule: provided (the source
  //    code in the group's target system), fixed (the rule's code), other-map (the same question to that
  //    map, at most 4 maps deep). An element the map marks unmatched/disjoint is not unmapped (R4: the
  //    rule is ignored for it).
  // A group without `source` answers for any source system; an empty source_system tries every group.
  // Without a map URL every current map with a group from source_system answers (URL byte order).
  // Not cached. Errors as Translate.
  Result<std::vector<Match>> TranslateAll(std::string_view map_url, std::string_view source_system,
                                          std::string_view code, const TranslateOptions& options = {});

  // Looks a concept up. An empty version means the system's current version. kNotFound when the store
  // has no such code system (version); std::nullopt when the system has no such code. A code system
  // with caseSensitive false matches the code ignoring ASCII case (Concept::code is the stored
  // spelling). kFailedPrecondition when the answer is unknown: the code system's content is
  // not-present (a stub, e.g. LOINC's), or it is a fragment/example that lacks the code.
  // The concept's designations and properties include those its code system's supplements give for it
  // (CodeSystems with content "supplement" whose `supplements` names this system, their current versions).
  // display_language (R4 $lookup displayLanguage; a BCP-47 tag or a comma-separated preference list):
  // `display` is the concept's designation in that language (RFC 4647 lookup: de-CH, then de, then any
  // de-*), and display_language says which; without a match the concept's own display stays.
  Result<std::optional<Concept>> Lookup(std::string_view system, std::string_view code,
                                        std::string_view version = {}, std::string_view display_language = {});

  // With no value set: is `code` a concept of `system` (current version)? kNotFound for an unknown
  // system; kFailedPrecondition when the code system cannot tell (see Lookup).
  // With a value set ("url" = current version, or "url|version"): membership from the explicit
  // expansion when the value set has one; otherwise from compose (R4): the code is a member when some
  // include admits it and no exclude does. A component admits a code when the code is in its system
  // (the version it names, else current) -- all of it, or one of its listed concepts, or a concept that
  // passes every filter (is-a, descendent-of, is-not-a, generalizes, =, in, not-in, regex, exists) --
  // and is a member of every value set the component imports. An empty `system` asks whether any
  // system of the value set has the code (member(code, "vs") in a map). kNotFound for an unknown value
  // set or an imported one missing; kFailedPrecondition when a code system the answer needs is not in
  // the store (listed concepts then count as listed) or cannot tell; kUnimplemented for a regex filter
  // in a build without RE2 or a filter on a property the store cannot evaluate.
  Result<bool> Validate(std::string_view system, std::string_view code,
                        std::string_view valueset_url = {});

  // R4 $validate-code: Validate plus the concept's display and status. With `display` non-empty, the
  // code is valid only when display equals the concept's display or one of its designations. An
  // inactive concept is valid with inactive = true and a warning message. Not cached. Errors as
  // Validate.
  Result<CodeValidation> ValidateCode(std::string_view system, std::string_view code, std::string_view display,
                                      std::string_view valueset_url = {});

  // R4 $subsumes: how code_a relates to code_b in the hierarchy of `system` (current version, or
  // `version`). The hierarchy comes from nested concepts and `parent`/`child` properties. kNotFound for
  // an unknown system or code.
  Result<Subsumption> Subsumes(std::string_view system, std::string_view code_a, std::string_view code_b,
                               std::string_view version = {});

  // R4 $expand of a value set ("url" or "url|version"), paged. From the stored expansion when there is
  // one, else from compose (as Validate). Errors as Validate; kLimitExceeded past options.max_members
  // (counted before active_only and filter apply). See ExpandOptions for displayLanguage, activeOnly and
  // the text filter.
  Result<Expansion> Expand(std::string_view valueset_url, const ExpandOptions& options = {});

  // Does the store hold this resource (at `version`, or any current version when empty)? Ok or
  // kNotFound with a message naming the kind, URL and version. For binding a compiled program.
  Status CheckHas(ResourceKind kind, std::string_view url, std::string_view version = {});

  // What a compiled program records for a resource it names (docs/terminology.md, "Reproducible binding"):
  // the version `version` resolves to (empty = the URL's current version) and the content hash of that
  // version (XXH64 folded over its stored records in key order, computed at import and kept with it; for a
  // version imported by a build that did not keep hashes it is computed by a scan of its records, once
  // per Store). kNotFound as CheckHas.
  struct ResourceBinding {
    std::string version;
    uint64_t content_hash = 0;
  };
  Result<ResourceBinding> Bind(ResourceKind kind, std::string_view url, std::string_view version = {});

  // Writes a consistent copy of the store into `out_dir` (which must not exist) with RocksDB's Checkpoint:
  // table files are hard-linked when on the same file system, so the copy is cheap. Safe while another
  // process imports into the same directory (open this Store read-only): the copy holds the store as of
  // one commit, each import either wholly in it or not at all. kInvalidArgument when out_dir exists,
  // kIoError when the copy fails (a partial copy is removed).
  Status Checkpoint(const std::string& out_dir) const;

  // Counts of resources (as of the last open/import) and cache counters.
  Stats stats() const;

  // Every stored resource version, sorted by kind, URL, version.
  Result<std::vector<ResourceInfo>> List() const;

  // Imports files into a read-write store, in one atomic write: either everything of every file is
  // written, or nothing (a parse error, a failed write or a killed process leaves the store as it was).
  // Files ending in .csv are CSV crosswalk tables; .ndjson/.jsonl are NDJSON; anything else is one JSON
  // document (a resource or a Bundle). Re-importing a (url, version) replaces it (its old keys are
  // removed); another version sits beside the existing ones. Errors: kFailedPrecondition (store opened
  // read-only), kNotFound (a file cannot be opened), kParseError (malformed or unusable input; the
  // message names file:line[:col] or file + JSON pointer), kLimitExceeded/kIoError from RocksDB.
  Status Import(const std::vector<std::string>& files, const ImportOptions& options = {},
                ImportReport* report = nullptr);

  // The directory this store was opened on.
  const std::string& dir() const;

  class Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crosswalk::term
