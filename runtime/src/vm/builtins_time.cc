// Date and time builtins: HL7 v2 TS/DTM <-> FHIR date / dateTime / instant. Rules in builtins.h.
#include <cstring>

#include "vm/builtins_impl.h"

namespace crosswalk::vm::builtins {

namespace {

enum Precision { kNone = 0, kYear, kMonth, kDay, kHour, kMinute, kSecond };

struct Zone {
  bool present = false;
  bool zulu = false;
  char sign = '+';
  int hours = 0;
  int minutes = 0;
};

struct DateTime {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int precision = kNone;
  std::string_view fraction;  // digits after the point (seconds precision only)
  Zone zone;
};

bool Digits(std::string_view t, size_t at, size_t n, int* v) {
  if (at + n > t.size()) return false;
  int r = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (t[i] < '0' || t[i] > '9') return false;
    r = r * 10 + (t[i] - '0');
  }
  *v = r;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool ValidZone(const Zone& z) {
  if (!z.present || z.zulu) return true;
  return z.minutes <= 59 && (z.hours < 14 || (z.hours == 14 && z.minutes == 0));
}

bool Valid(const DateTime& d) {
  if (d.precision == kNone || d.year < 1) return false;
  if (d.precision >= kMonth && (d.month < 1 || d.month > 12)) return false;
  if (d.precision >= kDay && (d.day < 1 || d.day > DaysInMonth(d.year, d.month))) return false;
  if (d.precision >= kHour && d.hour > 23) return false;
  if (d.precision >= kMinute && d.minute > 59) return false;
  if (d.precision >= kSecond && d.second > 59) return false;
  return ValidZone(d.zone);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "+HHMM" / "-HHMM" (HL7), "+HH:MM" / "-HH:MM" (FHIR), or "Z": the whole of `t` from `at`.
bool ParseZone(std::string_view t, size_t at, bool colon, Zone* z) {
  if (at == t.size()) return true;
  if (t[at] == 'Z' && at + 1 == t.size()) {
    z->present = z->zulu = true;
    return true;
  }
  if (t[at] != '+' && t[at] != '-') return false;
  z->sign = t[at];
  size_t want = colon ? 6 : 5;
  if (t.size() - at != want) return false;
  if (!Digits(t, at + 1, 2, &z->hours)) return false;
  if (colon && t[at + 3] != ':') return false;
  if (!Digits(t, at + (colon ? 4 : 3), 2, &z->minutes)) return false;
  z->present = true;
  return true;
}

// HL7 v2 DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ] (a trailing "Z" is accepted as UTC).
bool ParseHl7(std::string_view t, DateTime* d) {
  size_t n = 0;
  while (n < t.size() && t[n] >= '0' && t[n] <= '9') ++n;
  static constexpr int kPrecisionByDigits[15] = {0, 0, 0, 0, kYear, 0, kMonth, 0, kDay, 0, kHour, 0, kMinute, 0, kSecond};
  if (n > 14 || kPrecisionByDigits[n] == 0) return false;
  d->precision = kPrecisionByDigits[n];
  Digits(t, 0, 4, &d->year);
  if (n >= 6) Digits(t, 4, 2, &d->month);
  if (n >= 8) Digits(t, 6, 2, &d->day);
  if (n >= 10) Digits(t, 8, 2, &d->hour);
  if (n >= 12) Digits(t, 10, 2, &d->minute);
  if (n >= 14) Digits(t, 12, 2, &d->second);
  size_t at = n;
  if (at < t.size() && t[at] == '.') {
    if (n != 14) return false;
    size_t f = at + 1;
    while (f < t.size() && t[f] >= '0' && t[f] <= '9') ++f;
    if (f == at + 1 || f - at - 1 > 4) return false;
    d->fraction = t.substr(at + 1, f - at - 1);
    at = f;
  }
  return ParseZone(t, at, false, &d->zone);
}

// FHIR date / dateTime / instant: YYYY(-MM(-DD(Thh:mm(:ss(.f{1,9})?)?(Z|(+|-)hh:mm))?)?)?
// (hh:mm without seconds is accepted leniently).
bool ParseFhir(std::string_view t, DateTime* d) {
  if (!Digits(t, 0, 4, &d->year)) return false;
  d->precision = kYear;
  size_t at = 4;
  if (at == t.size()) return true;
  if (t[at] != '-' || !Digits(t, at + 1, 2, &d->month)) return false;
  d->precision = kMonth;
  at += 3;
  if (at == t.size()) return true;
  if (t[at] != '-' || !Digits(t, at + 1, 2, &d->day)) return false;
  d->precision = kDay;
  at += 3;
  if (at == t.size()) return true;
  if (t[at] != 'T' || !Digits(t, at + 1, 2, &d->hour) || at + 3 >= t.size() || t[at + 3] != ':' ||
      !Digits(t, at + 4, 2, &d->minute)) {
    return false;
  }
  d->precision = kMinute;
  at += 6;
  if (at < t.size() && t[at] == ':') {
    if (!Digits(t, at + 1, 2, &d->second)) return false;
    d->precision = kSecond;
    at += 3;
    if (at < t.size() && t[at] == '.') {
      size_t f = at + 1;
      while (f < t.size() && t[f] >= '0' && t[f] <= '9') ++f;
      if (f == at + 1 || f - at - 1 > 9) return false;
      d->fraction = t.substr(at + 1, f - at - 1);
      at = f;
    }
  }
  return ParseZone(t, at, true, &d->zone);
}

// Reads the main argument as a date-time. False (with *out = absent) when empty or invalid; an array or
// object is an error (reported through *error_out).
bool ReadDateTime(BuiltinEnv& env, std::string_view fn, const Value* args, DateTime* d, bool* failed) {
  *failed = false;
  Value v = Arg(env, args, 0);
  if (EmptyValue(env, v)) return false;
  std::string_view s;
  if (!StringArg(env, fn, v, &s)) {
    *failed = true;
    return false;
  }
  s = Trim(s);
  bool ok = s.size() >= 5 && s[4] == '-' ? ParseFhir(s, d) : ParseHl7(s, d);
  return ok && Valid(*d);
}

// The default zone from the env, when it is valid.
bool DefaultZone(const BuiltinEnv& env, Zone* z) {
  std::string_view t = env.default_zone;
  if (t.empty()) return false;
  Zone parsed;
  bool ok = t.size() == 6 ? ParseZone(t, 0, true, &parsed) : ParseZone(t, 0, false, &parsed);
  if (!ok || !parsed.present || !ValidZone(parsed)) return false;
  *z = parsed;
  return true;
}

char* Put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

char* Put4(char* p, int v) {
  p = Put2(p, v / 100);
  return Put2(p, v % 100);
}

char* PutFhirDate(char* p, const DateTime& d, int precision) {
  p = Put4(p, d.year);
  if (precision >= kMonth) {
    *p++ = '-';
    p = Put2(p, d.month);
  }
  if (precision >= kDay) {
    *p++ = '-';
    p = Put2(p, d.day);
  }
  return p;
}

// FHIR dateTime text (with the time padded to seconds and the given zone, if any).
char* PutFhirDateTime(char* p, const DateTime& d, const Zone& z) {
  p = PutFhirDate(p, d, d.precision);
  if (d.precision < kHour) return p;
  *p++ = 'T';
  p = Put2(p, d.hour);
  *p++ = ':';
  p = Put2(p, d.minute);
  *p++ = ':';
  p = Put2(p, d.second);
  if (!d.fraction.empty()) {
    *p++ = '.';
    std::memcpy(p, d.fraction.data(), d.fraction.size());
    p += d.fraction.size();
  }
  if (z.present) {
    if (z.zulu) {
      *p++ = 'Z';
    } else {
      *p++ = z.sign;
      p = Put2(p, z.hours);
      *p++ = ':';
      p = Put2(p, z.minutes);
    }
  }
  return p;
}

bool Emit(BuiltinEnv& env, const char* buf, const char* end, Value* out) {
  size_t n = static_cast<size_t>(end - buf);
  char* p = AllocChars(env, n);
  std::memcpy(p, buf, n);
  *out = Value::String(std::string_view(p, n));
  return true;
}

}  // namespace

bool Builtin_kDate(BuiltinEnv& env, const Value* args, int, Value* out) {
  DateTime d;
  bool failed;
  *out = Value();
  if (!ReadDateTime(env, "date", args, &d, &failed)) return !failed;
  char buf[16];
  char* end = PutFhirDate(buf, d, d.precision < kDay ? d.precision : kDay);
  return Emit(env, buf, end, out);
}

bool Builtin_kDateTime(BuiltinEnv& env, const Value* args, int, Value* out) {
  DateTime d;
  bool failed;
  *out = Value();
  if (!ReadDateTime(env, "datetime", args, &d, &failed)) return !failed;
  Zone z = d.zone;
  if (!z.present) DefaultZone(env, &z);
  char buf[48];
  char* end = PutFhirDateTime(buf, d, z);
  return Emit(env, buf, end, out);
}

bool Builtin_kInstant(BuiltinEnv& env, const Value* args, int, Value* out) {
  DateTime d;
  bool failed;
  *out = Value();
  if (!ReadDateTime(env, "instant", args, &d, &failed)) return !failed;
  Zone z = d.zone;
  if (!z.present) DefaultZone(env, &z);
  if (d.precision < kSecond || !z.present) return true;
  char buf[48];
  char* end = PutFhirDateTime(buf, d, z);
  return Emit(env, buf, end, out);
}

bool Builtin_kHl7Dtm(BuiltinEnv& env, const Value* args, int, Value* out) {
  DateTime d;
  bool failed;
  *out = Value();
  if (!ReadDateTime(env, "hl7_dtm", args, &d, &failed)) return !failed;
  char buf[32];
  char* p = Put4(buf, d.year);
  if (d.precision >= kMonth) p = Put2(p, d.month);
  if (d.precision >= kDay) p = Put2(p, d.day);
  if (d.precision >= kHour) p = Put2(p, d.hour);
  if (d.precision >= kMinute) p = Put2(p, d.minute);
  if (d.precision >= kSecond) p = Put2(p, d.second);
  if (!d.fraction.empty()) {
    size_t n = d.fraction.size() > 4 ? 4 : d.fraction.size();  // HL7 keeps at most 4 digits: truncate
    *p++ = '.';
    std::memcpy(p, d.fraction.data(), n);
    p += n;
  }
  if (d.zone.present && d.precision >= kHour) {
    *p++ = d.zone.zulu ? '+' : d.zone.sign;
    p = Put2(p, d.zone.zulu ? 0 : d.zone.hours);
    p = Put2(p, d.zone.zulu ? 0 : d.zone.minutes);
  }
  return Emit(env, buf, p, out);
}

}  // namespace crosswalk::vm::builtins
