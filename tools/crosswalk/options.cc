#include "options.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "safe_text.h"

namespace crosswalk::cli {
namespace {

// Widest option name that still gets a column of its own; a longer one is followed by two spaces.
constexpr size_t kMaxNameColumn = 22;

// "crosswalk term lookup": the names from the root parser down to `app`.
std::string FullName(const CLI::App& app) {
  std::string name = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) name = p->get_name() + " " + name;
  return name;
}

// `text` with every line after the first indented by `indent` spaces.
std::string IndentContinuations(const std::string& text, size_t indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out.append(indent, ' ');
  }
  return out;
}

// How an option reads in the help: "-o FILE", "--term DIR", "--pretty"; a positional by its type name.
std::string DisplayName(const CLI::Option& o) {
  if (o.get_positional()) return o.get_type_name().empty() ? o.get_name() : o.get_type_name();
  std::string name;
  for (const auto& s : o.get_snames()) name += (name.empty() ? "-" : ", -") + s;
  for (const auto& l : o.get_lnames()) name += (name.empty() ? "--" : ", --") + l;
  if (o.get_type_size_max() > 0 && !o.get_type_name().empty()) name += " " + o.get_type_name();
  return name;
}

// The tool's help layout: the usage line(s), what the command does, one row per option (declaration
// order) with its description beside it, then the notes.
class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(std::string synopsis) : synopsis_(std::move(synopsis)) {}

  const std::string& synopsis() const { return synopsis_; }

  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
    std::string out;
    auto subs = app->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) {
      std::string prefix = "usage: " + FullName(*app) + " ";
      out += prefix + IndentContinuations(synopsis_, prefix.size()) + "\n";
    } else {
      out += "usage:\n";
      for (const CLI::App* sub : subs) {
        auto f = std::dynamic_pointer_cast<const HelpFormatter>(sub->get_formatter());
        std::string prefix = "  " + FullName(*sub) + " ";
        out += prefix + IndentContinuations(f ? f->synopsis() : std::string(), prefix.size()) + "\n";
      }
    }
    if (!app->get_description().empty()) out += "  " + IndentContinuations(app->get_description(), 2) + "\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (const CLI::Option* o : app->get_options()) {
      if (o == app->get_help_ptr() || o->get_description().empty()) continue;
      rows.emplace_back(DisplayName(*o), o->get_description());
    }
    size_t width = 0;
    for (const auto& [name, desc] : rows) {
      if (name.size() <= kMaxNameColumn) width = std::max(width, name.size());
    }
    const size_t column = 2 + width + 2;
    for (const auto& [name, desc] : rows) {
      std::string row = "  " + name;
      row += name.size() <= kMaxNameColumn ? std::string(column - row.size(), ' ') : std::string("  ");
      out += row + IndentContinuations(desc, column) + "\n";
    }
    out += app->get_footer();
    if (!subs.empty()) out += "Run `" + FullName(*app) + " SUBCOMMAND --help` for a subcommand's options.\n";
    return out;
  }

 private:
  std::string synopsis_;
};

void Configure(CLI::App& app, const std::string& synopsis, const std::string& about, const std::string& notes) {
  app.formatter(std::make_shared<HelpFormatter>(synopsis));
  app.description(about);
  app.footer(notes);
  app.set_help_flag("-h,--help", "");
  // An option of one value given twice keeps the last (a script may append to a default command line).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// The parser that ran last: the deepest subcommand selected.
const CLI::App& Selected(const CLI::App& app) {
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().front();
  return *at;
}

// A usage error in the words of the tool. Unknown arguments are named; the other CLI11 errors ("--db is
// required", "--in: 1 required PATH missing", "-j: ...") already name what they are about.
std::string Describe(const CLI::ParseError& e, const CLI::App& root, const CLI::App& at) {
  std::vector<std::string> extras = root.remaining(true);
  bool wants_subcommand = !at.get_subcommands([](const CLI::App*) { return true; }).empty();
  if (wants_subcommand && (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr ||
                           dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr)) {
    if (!extras.empty() && extras.front().rfind('-', 0) != 0) return "unknown subcommand '" + extras.front() + "'";
    std::string names;
    for (const CLI::App* sub : at.get_subcommands([](const CLI::App*) { return true; })) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    return "a subcommand is needed (" + names + ")";
  }
  // CLI11 checks required arguments before extras: an unknown option is the better report of the two
  // (`run --bogus` names --bogus, not the program it displaced).
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    for (const std::string& x : extras) {
      if (x.size() > 1 && x[0] == '-') return "unknown option '" + x + "'";
    }
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && !extras.empty()) {
    const std::string& x = extras.front();
    if (x.size() > 1 && x[0] == '-') return "unknown option '" + x + "'";
    return "unexpected argument '" + x + "'";
  }
  return e.what();
}

}  // namespace

std::unique_ptr<CLI::App> MakeApp(const std::string& name, const std::string& synopsis, const std::string& about,
                                  const std::string& notes) {
  auto app = std::make_unique<CLI::App>("", name);
  Configure(*app, synopsis, about, notes);
  return app;
}

CLI::App* AddSubcommand(CLI::App& parent, const std::string& name, const std::string& synopsis,
                        const std::string& about, const std::string& notes) {
  CLI::App* sub = parent.add_subcommand(name, "");
  Configure(*sub, synopsis, about, notes);
  return sub;
}

std::string Help(const CLI::App& app) {
  const CLI::App& at = Selected(app);
  return at.get_formatter()->make_help(&at, at.get_name(), CLI::AppFormatMode::Normal);
}

int Parse(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::string text = Help(app);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    return UsageError(Selected(app), Describe(e, app, Selected(app)));
  }
  return kParsed;
}

int UsageError(const CLI::App& app, std::string_view why) {
  std::string name = FullName(app);
  PrintSafe(stderr, name + ": " + std::string(why) + " (see " + name + " --help)");
  return 2;
}

CLI::Validator Number(uint64_t min, uint64_t max, const std::string& what) {
  std::string expected = max == UINT64_MAX ? what + " (" + std::to_string(min) + " or more)"
                                           : what + " from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, expected](std::string& v) -> std::string {
        // Up to 19 digits: any such number fits in 64 bits.
        bool digits = !v.empty() && v.size() <= 19 && v.find_first_not_of("0123456789") == std::string::npos;
        uint64_t n = digits ? std::stoull(v) : 0;
        if (!digits || n < min || n > max) return "takes " + expected + ", not '" + v + "'";
        return {};
      },
      "");
}

CLI::Validator OneOf(const std::vector<std::string>& values) {
  std::string list;
  for (size_t i = 0; i < values.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
  }
  return CLI::Validator(
      [values, list](std::string& v) -> std::string {
        if (std::find(values.begin(), values.end(), v) != values.end()) return {};
        return "takes " + list + ", not '" + v + "'";
      },
      "");
}

CLI::Validator NameValue() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        size_t eq = v.find('=');
        if (eq == std::string::npos || eq == 0) return "takes NAME=VALUE, not '" + v + "'";
        return {};
      },
      "");
}

}  // namespace crosswalk::cli
