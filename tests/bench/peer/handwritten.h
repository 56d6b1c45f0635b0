// The lazy hand-written C++ floor of the peer workload: a converter written for exactly the mapping of
// tests/bench/peer/peer.cw, as a careful C++ programmer would write it without a library. It finds the
// segment ends, splits the fields of the segments the mapping reads (PID for ADT, each OBX for ORU^R01)
// and nothing else, reads components and repetitions by scanning the field, decodes the usual escapes
// (\F\ \S\ \T\ \R\ \E\) and writes the JSON straight into a reused string. No allocation per message once
// the output string has grown.
//
// peer_bench checks at start-up that it writes, byte for byte, what Crosswalk writes for every message of
// a group; a group where it does not (an escape or a number spelling this converter does not handle) is
// reported and not timed.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "value/value.h"

namespace cwbench::hand {

struct Seps {
  char field = '|', comp = '^', rep = '~', esc = '\\', sub = '&';
};

// The n-th (0-based) piece of s split at c; empty when there are fewer pieces.
inline std::string_view Piece(std::string_view s, char c, int n) {
  size_t b = 0;
  for (; n > 0; --n) {
    size_t e = s.find(c, b);
    if (e == std::string_view::npos) return {};
    b = e + 1;
  }
  size_t e = s.find(c, b);
  return s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
}

// A segment's fields, split once: field n (1-based; for MSH field 1 is the separator itself).
class Segment {
 public:
  static constexpr int kMaxFields = 24;
  void Split(std::string_view seg, char fs) {
    n_ = 0;
    size_t b = 4;  // after "XXX|"
    while (n_ < kMaxFields && b <= seg.size()) {
      size_t e = seg.find(fs, b);
      if (e == std::string_view::npos) e = seg.size();
      fields_[n_++] = seg.substr(b, e - b);
      b = e + 1;
    }
  }
  std::string_view Field(int n) const { return n >= 1 && n <= n_ ? fields_[n - 1] : std::string_view(); }

 private:
  std::string_view fields_[kMaxFields];
  int n_ = 0;
};

class Converter {
 public:
  // Converts one peer message; false when it is neither ADT nor ORU^R01 (or has no MSH).
  bool Convert(std::string_view msg, std::string* out) {
    out_ = out;
    out->clear();
    if (msg.size() < 8 || msg.compare(0, 3, "MSH") != 0) return false;
    seps_.field = msg[3];
    seps_.comp = msg[4];
    seps_.rep = msg[5];
    seps_.esc = msg[6];
    seps_.sub = msg[7];
    size_t msh_end = msg.find('\r');
    std::string_view msh = msg.substr(0, msh_end);
    std::string_view type = Piece(msh, seps_.field, 8);
    std::string_view t1 = Piece(type, seps_.comp, 0), t2 = Piece(type, seps_.comp, 1);
    std::string_view rest = msh_end == std::string_view::npos ? std::string_view() : msg.substr(msh_end + 1);
    if (t1 == "ADT") return Patient(rest);
    if (t1 == "ORU" && t2 == "R01") return Bundle(rest);
    return false;
  }

 private:
  // ---- output ----
  void Raw(std::string_view s) { out_->append(s); }
  void Str(std::string_view s) {  // a JSON string literal of already-decoded text
    out_->push_back('"');
    static constexpr char kHex[] = "0123456789abcdef";
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_->append(s.data() + run, i - run);
      run = i + 1;
      out_->push_back('\\');
      switch (c) {
        case '"': out_->push_back('"'); break;
        case '\\': out_->push_back('\\'); break;
        case '\b': out_->push_back('b'); break;
        case '\f': out_->push_back('f'); break;
        case '\n': out_->push_back('n'); break;
        case '\r': out_->push_back('r'); break;
        case '\t': out_->push_back('t'); break;
        default:
          out_->append("u00");
          out_->push_back(kHex[c >> 4]);
          out_->push_back(kHex[c & 15]);
      }
    }
    out_->append(s.data() + run, s.size() - run);
    out_->push_back('"');
  }
  // Decodes HL7 escapes into buf_ when there are any; otherwise returns the text itself.
  std::string_view Text(std::string_view raw) {
    if (raw.find(seps_.esc) == std::string_view::npos) return raw;
    std::string& b = buf_[nbuf_++ & 7];  // up to 8 decoded values in use at once
    b.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      size_t close;
      if (raw[i] == seps_.esc && i + 2 < raw.size() && (close = raw.find(seps_.esc, i + 1)) == i + 2) {
        switch (raw[i + 1]) {
          case 'F': b.push_back(seps_.field); i = close; continue;
          case 'S': b.push_back(seps_.comp); i = close; continue;
          case 'T': b.push_back(seps_.sub); i = close; continue;
          case 'R': b.push_back(seps_.rep); i = close; continue;
          case 'E': b.push_back(seps_.esc); i = close; continue;
          default: break;
        }
      }
      b.push_back(raw[i]);
    }
    return b;
  }
  // Component c (1-based) of a repetition, as its first subcomponent, decoded, without trailing blanks
  // (padding, as Crosswalk reads HL7 v2 values); "" (HL7 null) reads empty.
  std::string_view Comp(std::string_view rep, int c) {
    std::string_view v = Piece(Piece(rep, seps_.comp, c - 1), seps_.sub, 0);
    if (v == "\"\"") return {};
    v = Text(v);
    while (!v.empty() && IsSpace(v.back())) v.remove_suffix(1);
    return v;
  }
  // `,"key":"value"` when value is not empty; `first` tracks the comma.
  void Member(bool* first, std::string_view key, std::string_view value) {
    if (value.empty()) return;
    MemberKey(first, key);
    Str(value);
  }
  void MemberKey(bool* first, std::string_view key) {
    if (!*first) out_->push_back(',');
    *first = false;
    out_->push_back('"');
    Raw(key);
    Raw("\":");
  }

  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
  static std::string_view Trim(std::string_view s) {
    while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
    return s;
  }
  static bool IsNumber(std::string_view s) {  // -?digits(.digits)?
    size_t i = s.size() && s[0] == '-' ? 1 : 0, d = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++d;
    if (d == 0) return false;
    if (i == s.size()) return true;
    if (s[i] != '.') return false;
    size_t f = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) ++f;
    return f > 0 && i == s.size();
  }
  static bool Digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  }

  bool IsSegment(std::string_view seg, std::string_view id) const {
    return seg.size() >= 3 && seg.compare(0, 3, id) == 0 && (seg.size() == 3 || seg[3] == seps_.field);
  }

  // ---- ADT -> Patient ----
  bool Patient(std::string_view rest) {
    std::string_view pid;
    for (size_t b = 0; b < rest.size();) {
      size_t e = rest.find('\r', b);
      if (e == std::string_view::npos) e = rest.size();
      if (IsSegment(rest.substr(b, e - b), "PID")) {
        pid = rest.substr(b, e - b);
        break;
      }
      b = e + 1;
    }
    seg_.Split(pid, seps_.field);
    Raw("{\"resourceType\":\"Patient\"");
    // identifier: one per PID-3 repetition with CX.1
    bool any = false;
    ForEachRep(seg_.Field(3), [&](std::string_view cx) {
      std::string_view value = Comp(cx, 1);
      if (value.empty()) return;
      Raw(any ? ",{" : ",\"identifier\":[{");
      any = true;
      bool first = true;
      std::string_view type = Comp(cx, 5), system = Comp(cx, 4);
      if (!type.empty()) {
        MemberKey(&first, "type");
        Raw("{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":");
        Str(type);
        Raw("}]}");
      }
      if (!system.empty()) {
        MemberKey(&first, "system");
        StrConcat("urn:id:", system);
      }
      Member(&first, "value", value);
      Raw("}");
    });
    if (any) Raw("]");
    // name: one per PID-5 repetition with a name part
    any = false;
    ForEachRep(seg_.Field(5), [&](std::string_view xpn) {
      std::string_view family = Comp(xpn, 1), g1 = Comp(xpn, 2), g2 = Comp(xpn, 3);
      if (family.empty() && g1.empty() && g2.empty()) return;
      Raw(any ? ",{" : ",\"name\":[{");
      any = true;
      bool first = true;
      Member(&first, "family", family);
      if (!g1.empty() || !g2.empty()) {
        MemberKey(&first, "given");
        Raw("[");
        if (!g1.empty()) Str(g1);
        if (!g1.empty() && !g2.empty()) Raw(",");
        if (!g2.empty()) Str(g2);
        Raw("]");
      }
      Raw("}");
    });
    if (any) Raw("]");
    std::string_view sex = Comp(FirstRep(seg_.Field(8)), 1);
    const char* gender = sex == "M" ? "male" : sex == "F" ? "female" : sex == "O" ? "other" : sex == "U" ? "unknown" : nullptr;
    if (gender) {
      Raw(",\"gender\":\"");
      Raw(gender);
      Raw("\"");
    }
    std::string_view dob = Comp(FirstRep(seg_.Field(7)), 1);
    if (dob.size() >= 8) {
      Raw(",\"birthDate\":\"");
      Raw(dob.substr(0, 4));
      Raw("-");
      Raw(dob.substr(4, 2));
      Raw("-");
      Raw(dob.substr(6, 2));
      Raw("\"");
    }
    any = false;
    ForEachRep(seg_.Field(11), [&](std::string_view xad) {
      std::string_view l1 = Comp(xad, 1), l2 = Comp(xad, 2), city = Comp(xad, 3), state = Comp(xad, 4),
                       zip = Comp(xad, 5);
      if (l1.empty() && l2.empty() && city.empty() && state.empty() && zip.empty()) return;
      Raw(any ? ",{" : ",\"address\":[{");
      any = true;
      bool first = true;
      if (!l1.empty() || !l2.empty()) {
        MemberKey(&first, "line");
        Raw("[");
        if (!l1.empty()) Str(l1);
        if (!l1.empty() && !l2.empty()) Raw(",");
        if (!l2.empty()) Str(l2);
        Raw("]");
      }
      Member(&first, "city", city);
      Member(&first, "state", state);
      Member(&first, "postalCode", zip);
      Raw("}");
    });
    if (any) Raw("]");
    Raw("}");
    return true;
  }

  // ---- ORU^R01 -> Bundle of Observations ----
  bool Bundle(std::string_view rest) {
    Raw("{\"resourceType\":\"Bundle\",\"type\":\"collection\"");
    bool any = false;
    for (size_t b = 0; b < rest.size();) {
      size_t e = rest.find('\r', b);
      if (e == std::string_view::npos) e = rest.size();
      if (IsSegment(rest.substr(b, e - b), "OBX")) {
        Raw(any ? ",{\"resource\":" : ",\"entry\":[{\"resource\":");
        any = true;
        seg_.Split(rest.substr(b, e - b), seps_.field);
        Observation();
        Raw("}");
      }
      b = e + 1;
    }
    if (any) Raw("]");
    Raw("}");
    return true;
  }

  void Observation() {
    auto c1 = [&](int field, int comp) { return Comp(FirstRep(seg_.Field(field)), comp); };
    Raw("{\"resourceType\":\"Observation\",\"status\":\"");
    std::string_view st = c1(11, 1);
    Raw(st == "F"                 ? "final"
        : st == "C"               ? "corrected"
        : st == "P" || st == "R"  ? "preliminary"
        : st == "I"               ? "registered"
        : st == "X"               ? "cancelled"
        : st == "W" || st == "D"  ? "entered-in-error"
                                  : "unknown");
    Raw("\"");
    bool first = false;
    std::string_view cs = c1(3, 3), code = c1(3, 1), display = c1(3, 2);
    if (!cs.empty() || !code.empty() || !display.empty()) {
      Raw(",\"code\":{\"coding\":[{");
      bool f = true;
      if (!cs.empty()) {
        MemberKey(&f, "system");
        if (cs == "LN") {
          Raw("\"http://loinc.org\"");
        } else {
          StrConcat("urn:id:", cs);
        }
      }
      Member(&f, "code", code);
      Member(&f, "display", display);
      Raw("}]}");
    }
    std::string_view v = c1(5, 1), t = Trim(v);
    if (c1(2, 1) == "NM" && IsNumber(t)) {
      int64_t mantissa;
      uint16_t scale;
      bool negative_zero = false;
      std::string_view unit = c1(6, 1);
      const size_t mark = out_->size();
      Raw(",\"valueQuantity\":{");
      bool f = true;
      if (crosswalk::vm::ParseDecimal(t, &mantissa, &scale, &negative_zero)) {
        crosswalk::vm::Value d = crosswalk::vm::Value::Decimal(mantissa, scale);
        if (negative_zero) d.flags = crosswalk::vm::kFlagNegativeZero;
        char num[crosswalk::vm::kMaxNumberChars];
        MemberKey(&f, "value");
        out_->append(num, crosswalk::vm::FormatNumber(d, num));
      }
      Member(&f, "unit", unit);
      if (!unit.empty()) {
        MemberKey(&f, "system");
        Raw("\"http://unitsofmeasure.org\"");
      }
      Member(&f, "code", unit);
      if (f) {
        out_->resize(mark);  // nothing in it: not written
      } else {
        Raw("}");
      }
    } else {
      Member(&first, "valueString", v);
    }
    std::string_view range = c1(7, 1);
    if (!range.empty()) {
      Raw(",\"referenceRange\":[{\"text\":");
      Str(range);
      Raw("}]");
    }
    std::string_view interp = c1(8, 1);
    if (!interp.empty()) {
      Raw(",\"interpretation\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation\",\"code\":");
      Str(interp);
      Raw("}]}]");
    }
    std::string_view s = c1(14, 1);
    if (s.size() == 19 && Digits(s.substr(0, 14)) && (s[14] == '+' || s[14] == '-') && Digits(s.substr(15, 4))) {
      Raw(",\"effectiveDateTime\":\"");
      const size_t cut[] = {0, 4, 6, 8, 10, 12, 14, 17, 19};
      const char* sep[] = {"-", "-", "T", ":", ":", "", ":", ""};
      for (int i = 0; i < 8; ++i) {
        Raw(s.substr(cut[i], cut[i + 1] - cut[i]));
        Raw(sep[i]);
      }
      Raw("\"");
    } else if (s.size() >= 8 && Digits(s.substr(0, 8))) {
      Raw(",\"effectiveDateTime\":\"");
      Raw(s.substr(0, 4));
      Raw("-");
      Raw(s.substr(4, 2));
      Raw("-");
      Raw(s.substr(6, 2));
      Raw("\"");
    }
    Raw("}");
  }

  // "prefix" + text as one JSON string.
  void StrConcat(std::string_view prefix, std::string_view text) {
    Str(prefix);
    out_->pop_back();  // the closing quote
    size_t mark = out_->size();
    Str(text);
    out_->erase(mark, 1);  // the opening quote of the second part
  }

  std::string_view FirstRep(std::string_view field) { return Piece(field, seps_.rep, 0); }
  template <typename F>
  void ForEachRep(std::string_view field, F&& f) {
    if (field.empty()) return;
    size_t b = 0;
    while (true) {
      size_t e = field.find(seps_.rep, b);
      f(field.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
      if (e == std::string_view::npos) break;
      b = e + 1;
    }
  }

  std::string* out_ = nullptr;
  Seps seps_;
  Segment seg_;
  std::string buf_[8];
  unsigned nbuf_ = 0;
};

}  // namespace cwbench::hand
