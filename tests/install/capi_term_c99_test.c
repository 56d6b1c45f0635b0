/* The terminology calls of the C API as a C99 host sees them (test sdk.capi_term_c99): $expand with paging,
 * displayLanguage and filter, and every match of a translation with its equivalence, dependsOn values,
 * an equivalence filter, products and reverse translation. The store is imported from
 * capi_term_c99_fixture.json by the test's setup step (made-up codes).
 * usage: capi_term_c99_test TERMINOLOGY_DIR */
#include <stdio.h>
#include <string.h>

#include "crosswalk/crosswalk.h"

static int failures = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__, #cond,  \
              cw_last_error());                                                       \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

/* (p, n) equals the NUL-terminated s. */
static int Eq(const char* p, size_t n, const char* s) { return n == strlen(s) && memcmp(p, s, n) == 0; }

#define S(lit) lit, sizeof(lit) - 1

/* Field `f` of match `i` equals s. */
static int MatchIs(const cw_matches* m, size_t i, cw_match_field f, const char* s) {
  const char* v = NULL;
  size_t n = 0;
  return cw_matches_get(m, i, f, &v, &n) == CW_OK && Eq(v, n, s);
}

static void Expand(cw_store* store) {
  cw_expand_options* o = NULL;
  cw_expansion* e = NULL;
  const char *system, *version, *code, *display, *name, *value;
  size_t system_len, version_len, code_len, display_len, name_len, value_len;

  /* Defaults (NULL options): every member in (system, code) order. */
  CHECK(cw_store_expand(store, S("urn:capi:vs"), NULL, &e) == CW_OK);
  CHECK(cw_expansion_total(e) == 3);
  CHECK(cw_expansion_count(e) == 3);
  CHECK(cw_expansion_parameter_count(e) == 0);
  CHECK(cw_expansion_member(e, 0, &system, &system_len, &version, &version_len, &code, &code_len, &display,
                            &display_len) == CW_OK);
  CHECK(Eq(system, system_len, "urn:capi:cs") && Eq(version, version_len, "1") && Eq(code, code_len, "a") &&
        Eq(display, display_len, "Alpha"));
  CHECK(cw_expansion_member(e, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == CW_INVALID_ARGUMENT);
  cw_expansion_destroy(e);

  /* A page of one member after the first, in German where there is a German designation. */
  CHECK(cw_expand_options_create(&o) == CW_OK);
  cw_expand_options_set_page(o, 1, 1);
  CHECK(cw_expand_options_set_display_language(o, S("de")) == CW_OK);
  CHECK(cw_store_expand(store, S("urn:capi:vs|1"), o, &e) == CW_OK);
  CHECK(cw_expansion_total(e) == 3);
  CHECK(cw_expansion_count(e) == 1);
  CHECK(cw_expansion_member(e, 0, NULL, NULL, NULL, NULL, &code, &code_len, &display, &display_len) == CW_OK);
  CHECK(Eq(code, code_len, "b") && Eq(display, display_len, "Beta"));
  CHECK(cw_expansion_parameter_count(e) == 1);
  CHECK(cw_expansion_parameter(e, 0, &name, &name_len, &value, &value_len) == CW_OK);
  CHECK(Eq(name, name_len, "displayLanguage") && Eq(value, value_len, "de"));
  cw_expansion_destroy(e);

  /* The text filter, from the first member again: only "Alfa" (German display) has "alf". */
  cw_expand_options_set_page(o, 0, 10);
  CHECK(cw_expand_options_set_filter(o, S("ALF")) == CW_OK);
  CHECK(cw_store_expand(store, S("urn:capi:vs"), o, &e) == CW_OK);
  CHECK(cw_expansion_total(e) == 1 && cw_expansion_count(e) == 1);
  CHECK(cw_expansion_member(e, 0, NULL, NULL, NULL, NULL, &code, &code_len, &display, &display_len) == CW_OK);
  CHECK(Eq(code, code_len, "a") && Eq(display, display_len, "Alfa"));
  CHECK(cw_expansion_parameter_count(e) == 2);
  cw_expansion_destroy(e);

  /* The size limit, and an unknown value set. */
  CHECK(cw_expand_options_set_filter(o, NULL, 0) == CW_OK);
  cw_expand_options_set_max_members(o, 2);
  e = NULL;
  CHECK(cw_store_expand(store, S("urn:capi:vs"), o, &e) == CW_LIMIT_EXCEEDED && e == NULL);
  CHECK(cw_store_expand(store, S("urn:capi:none"), NULL, &e) == CW_NOT_FOUND && e == NULL);
  CHECK(cw_expand_options_set_filter(o, NULL, 3) == CW_INVALID_ARGUMENT);
  cw_expand_options_destroy(o);
}

static void TranslateAll(cw_store* store) {
  cw_translate_options* o = NULL;
  cw_matches* m = NULL;
  const char *property, *system, *value, *display;
  size_t property_len, system_len, value_len, display_len;

  /* Defaults: the conditional target z does not answer; equivalent before narrower. */
  CHECK(cw_store_translate_all(store, S("urn:capi:map"), S("urn:capi:cs"), S("a"), NULL, &m) == CW_OK);
  CHECK(cw_matches_count(m) == 2);
  CHECK(MatchIs(m, 0, CW_MATCH_CODE, "y") && MatchIs(m, 0, CW_MATCH_EQUIVALENCE, "equivalent"));
  CHECK(MatchIs(m, 0, CW_MATCH_SYSTEM, "urn:capi:t") && MatchIs(m, 0, CW_MATCH_DISPLAY, "Why"));
  CHECK(MatchIs(m, 0, CW_MATCH_MAP_URL, "urn:capi:map") && MatchIs(m, 0, CW_MATCH_MAP_VERSION, "2"));
  CHECK(MatchIs(m, 1, CW_MATCH_CODE, "x") && MatchIs(m, 1, CW_MATCH_EQUIVALENCE, "narrower"));
  CHECK(cw_matches_get(m, 2, CW_MATCH_CODE, NULL, NULL) == CW_INVALID_ARGUMENT);
  cw_matches_destroy(m);

  /* With the dependsOn value, z answers (document order among equals), with its condition and product. */
  CHECK(cw_translate_options_create(&o) == CW_OK);
  CHECK(cw_translate_options_add_depends_on(o, S("specimen"), NULL, 0, S("blood")) == CW_OK);
  CHECK(cw_store_translate_all(store, S("urn:capi:map"), S("urn:capi:cs"), S("a"), o, &m) == CW_OK);
  CHECK(cw_matches_count(m) == 3);
  CHECK(MatchIs(m, 0, CW_MATCH_CODE, "y") && MatchIs(m, 1, CW_MATCH_CODE, "z") && MatchIs(m, 2, CW_MATCH_CODE, "x"));
  CHECK(cw_matches_attribute_count(m, 1, CW_MATCH_DEPENDS_ON) == 1);
  CHECK(cw_matches_attribute(m, 1, CW_MATCH_DEPENDS_ON, 0, &property, &property_len, &system, &system_len, &value,
                             &value_len, NULL, NULL) == CW_OK);
  CHECK(Eq(property, property_len, "specimen") && Eq(system, system_len, "urn:capi:specimen") &&
        Eq(value, value_len, "blood"));
  CHECK(cw_matches_attribute_count(m, 1, CW_MATCH_PRODUCT) == 1);
  CHECK(cw_matches_attribute(m, 1, CW_MATCH_PRODUCT, 0, &property, &property_len, NULL, NULL, &value, &value_len,
                             &display, &display_len) == CW_OK);
  CHECK(Eq(property, property_len, "unit") && Eq(value, value_len, "mg") && Eq(display, display_len, "milligram"));
  CHECK(cw_matches_attribute(m, 1, CW_MATCH_PRODUCT, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) ==
        CW_INVALID_ARGUMENT);
  CHECK(cw_matches_attribute_count(m, 0, CW_MATCH_DEPENDS_ON) == 0);
  CHECK(cw_matches_attribute_count(m, 9, CW_MATCH_DEPENDS_ON) == 0);
  cw_matches_destroy(m);

  /* Only narrower targets. */
  cw_translate_options_set_equivalences(o, CW_EQUIVALENCE_NARROWER);
  CHECK(cw_store_translate_all(store, S("urn:capi:map"), S("urn:capi:cs"), S("a"), o, &m) == CW_OK);
  CHECK(cw_matches_count(m) == 1 && MatchIs(m, 0, CW_MATCH_CODE, "x"));
  cw_matches_destroy(m);
  cw_translate_options_destroy(o);

  /* Reverse: y of the target system comes from a. */
  CHECK(cw_translate_options_create(&o) == CW_OK);
  cw_translate_options_set_reverse(o, 1);
  CHECK(cw_store_translate_all(store, S("urn:capi:map"), S("urn:capi:t"), S("y"), o, &m) == CW_OK);
  CHECK(cw_matches_count(m) == 1 && MatchIs(m, 0, CW_MATCH_SYSTEM, "urn:capi:cs") && MatchIs(m, 0, CW_MATCH_CODE, "a"));
  cw_matches_destroy(m);
  cw_translate_options_destroy(o);

  /* An unmapped code is no match (not an error); an unknown map is CW_NOT_FOUND. */
  CHECK(cw_store_translate_all(store, S("urn:capi:map"), S("urn:capi:cs"), S("b"), NULL, &m) == CW_OK);
  CHECK(cw_matches_count(m) == 0);
  cw_matches_destroy(m);
  m = NULL;
  CHECK(cw_store_translate_all(store, S("urn:capi:none"), S("urn:capi:cs"), S("a"), NULL, &m) == CW_NOT_FOUND);
  CHECK(m == NULL);
}

int main(int argc, char** argv) {
  cw_store* store = NULL;
  if (argc != 2) {
    fprintf(stderr, "usage: capi_term_c99_test TERMINOLOGY_DIR\n");
    return 2;
  }
  if (cw_store_open(argv[1], strlen(argv[1]), &store) != CW_OK) {
    fprintf(stderr, "cannot open the store: %s\n", cw_last_error());
    return 1;
  }
  Expand(store);
  TranslateAll(store);
  cw_store_destroy(store);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("ok\n");
  return 0;
}
