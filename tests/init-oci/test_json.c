/* The strict JSON reader: what it accepts, how it decodes, and the exact
 * error (with line and column) for each kind of malformed input. */
#include <stdlib.h>
#include <string.h>

#include "../../payloads/init-oci/json.h"
#include "check.h"

static char err[256];

/* Parses s; returns the error message, or NULL when it parsed. */
static const char *parse_error(const char *s, size_t len)
{
    struct json_doc doc;
    if (json_parse(&doc, s, len, err, sizeof err) != 0)
        return err;
    json_doc_free(&doc);
    return NULL;
}

#define ERR(s) parse_error((s), sizeof(s) - 1)

static void test_values_and_structure(void)
{
    const char s[] = "{\"s\": \"x\", \"n\": -12.5e+3, \"t\": true, \"f\": false,\n"
                     " \"z\": null, \"a\": [1, [], {}], \"o\": {\"k\": \"v\"}}";
    struct json_doc doc;
    CHECK(json_parse(&doc, s, sizeof s - 1, err, sizeof err) == 0);
    const struct json_value *r = doc.root, *v, *dup;
    CHECK(r->type == JSON_OBJECT && r->count == 7);
    CHECK((v = json_get(r, "s", &dup)) && v->type == JSON_STRING && dup == NULL);
    CHECK_STR(v ? v->text : NULL, "x");
    CHECK((v = json_get(r, "n", NULL)) && v->type == JSON_NUMBER);
    CHECK_STR(v ? v->text : NULL, "-12.5e+3");
    CHECK((v = json_get(r, "t", NULL)) && v->type == JSON_TRUE);
    CHECK((v = json_get(r, "f", NULL)) && v->type == JSON_FALSE);
    CHECK((v = json_get(r, "z", NULL)) && v->type == JSON_NULL);
    CHECK((v = json_get(r, "z", NULL)) && v->line == 2 && v->col == 7);
    CHECK((v = json_get(r, "a", NULL)) && v->type == JSON_ARRAY && v->count == 3);
    CHECK(v && v->first->type == JSON_NUMBER && v->first->next->type == JSON_ARRAY &&
          v->first->next->next->type == JSON_OBJECT && v->first->next->next->next == NULL);
    CHECK((v = json_get(r, "o", NULL)) && json_get(v, "k", NULL) != NULL);
    CHECK(json_get(r, "missing", NULL) == NULL);
    CHECK(json_get(json_get(r, "a", NULL), "k", NULL) == NULL); /* not an object */
    json_doc_free(&doc);

    /* Scalars at the top level are valid JSON. */
    CHECK(ERR("0") == NULL);
    CHECK(ERR(" \"x\" ") == NULL);
    CHECK(ERR("null") == NULL);
    CHECK(ERR("[-0, 0.5, 1E5, 2e-3]") == NULL);
}

static void test_duplicate_keys_are_visible(void)
{
    const char s[] = "{\"k\": 1, \"k\": 2}";
    struct json_doc doc;
    const struct json_value *dup;
    CHECK(json_parse(&doc, s, sizeof s - 1, err, sizeof err) == 0);
    const struct json_value *v = json_get(doc.root, "k", &dup);
    CHECK(v && strcmp(v->text, "1") == 0);
    CHECK(dup && strcmp(dup->text, "2") == 0 && dup->col == 15);
    json_doc_free(&doc);
}

static const char *decode(const char *s)
{
    static char out[64];
    struct json_doc doc;
    if (json_parse(&doc, s, strlen(s), err, sizeof err) != 0)
        return err;
    snprintf(out, sizeof out, "%s", doc.root->text);
    json_doc_free(&doc);
    return out;
}

static void test_string_escapes(void)
{
    CHECK_STR(decode("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), "\"\\/\b\f\n\r\t");
    CHECK_STR(decode("\"caf\\u00e9\""), "caf\xC3\xA9");
    CHECK_STR(decode("\"\\u20AC\""), "\xE2\x82\xAC");
    CHECK_STR(decode("\"\\u0041\\u007f\""), "A\x7F");
    CHECK_STR(decode("\"\\uD83D\\uDE00\""), "\xF0\x9F\x98\x80"); /* surrogate pair */
    CHECK_STR(decode("\"raw \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\""),
              "raw \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    CHECK_STR(decode("\"\""), "");
}

static void test_malformed(void)
{
    CHECK_STR(ERR(""), "line 1 col 1: empty document");
    CHECK_STR(ERR(" \n "), "line 2 col 2: empty document");
    /* Truncated documents. */
    CHECK_STR(ERR("{\"a\": [1, 2"), "line 1 col 12: unexpected end of input, expected ',' or ']'");
    CHECK_STR(ERR("{\"a\""), "line 1 col 5: unexpected end of input, expected ':'");
    CHECK_STR(ERR("{\"a\":"), "line 1 col 6: unexpected end of input, expected a value");
    CHECK_STR(ERR("{\"abc"), "line 1 col 2: unterminated string (unexpected end of input)");
    CHECK_STR(ERR("[\"a\\"), "line 1 col 2: unterminated string (unexpected end of input)");
    CHECK_STR(ERR("tru"), "line 1 col 4: unexpected end of input inside 'true'");
    /* Structure. */
    CHECK_STR(ERR("{\n  \"a\": 1\n  \"b\": 2}"), "line 3 col 3: expected ',' or '}', found '\"'");
    CHECK_STR(ERR("{\"a\": 1,}"), "line 1 col 9: trailing comma before '}'");
    CHECK_STR(ERR("[1, 2, ]"), "line 1 col 8: trailing comma before ']'");
    CHECK_STR(ERR("{1: 2}"), "line 1 col 2: expected a string (member name), found '1'");
    CHECK_STR(ERR("{\"a\" 1}"), "line 1 col 6: expected ':', found '1'");
    CHECK_STR(ERR("{} x"), "line 1 col 4: unexpected data after the top-level value");
    CHECK_STR(ERR("[1] [2]"), "line 1 col 5: unexpected data after the top-level value");
    CHECK_STR(ERR("// c\n{}"), "line 1 col 1: expected a value, found '/'");
    CHECK_STR(ERR("[nul]"), "line 1 col 2: invalid literal (expected 'null')");
    CHECK_STR(ERR("[True]"), "line 1 col 2: expected a value, found 'T'");
    CHECK_STR(ERR("\xEF\xBB\xBF{}"), "line 1 col 1: expected a value, found byte 0xef");
    /* Numbers. */
    CHECK_STR(ERR("[01]"), "line 1 col 3: leading zeros are not allowed in numbers");
    CHECK_STR(ERR("[-]"), "line 1 col 3: expected a digit, found ']'");
    CHECK_STR(ERR("[1.]"), "line 1 col 4: expected a digit after '.', found ']'");
    CHECK_STR(ERR("[1e]"), "line 1 col 4: expected a digit in the exponent, found ']'");
    CHECK_STR(ERR("[+1]"), "line 1 col 2: expected a value, found '+'");
    CHECK_STR(ERR("[.5]"), "line 1 col 2: expected a value, found '.'");
    /* Strings: escapes. */
    CHECK_STR(ERR("[\"a\\x\"]"), "line 1 col 4: bad escape '\\x'");
    CHECK_STR(ERR("[\"\\u12\"]"), "line 1 col 3: bad \\u escape: expected 4 hex digits");
    CHECK_STR(ERR("[\"\\u12G4\"]"), "line 1 col 3: bad \\u escape: expected 4 hex digits");
    CHECK_STR(ERR("[\"\\uDE00\"]"), "line 1 col 3: bad \\u escape: lone low surrogate \\uDE00");
    CHECK_STR(ERR("[\"\\uD83D\"]"),
              "line 1 col 3: bad \\u escape: high surrogate \\uD83D not followed by a low one");
    CHECK_STR(ERR("[\"\\uD83D\\u0041\"]"),
              "line 1 col 3: bad \\u escape: high surrogate \\uD83D not followed by a low one");
    CHECK_STR(ERR("[\"a\\u0000b\"]"),
              "line 1 col 4: \\u0000 is not allowed (strings become C strings)");
    /* Strings: raw bytes. */
    CHECK_STR(ERR("[\"a\tb\"]"), "line 1 col 4: raw control character 0x09 in string (must be escaped)");
    CHECK_STR(ERR("[\"a\nb\"]"), "line 1 col 4: raw control character 0x0a in string (must be escaped)");
    CHECK_STR(ERR("[\"\xC0\x80\"]"), "line 1 col 3: invalid UTF-8 byte 0xc0 in string");
    CHECK_STR(ERR("[\"\xED\xA0\x80\"]"), "line 1 col 3: invalid UTF-8 sequence in string");
    CHECK_STR(ERR("[\"\xE0\x80\x80\"]"), "line 1 col 3: invalid UTF-8 sequence in string");
    CHECK_STR(ERR("[\"\xF4\x90\x80\x80\"]"), "line 1 col 3: invalid UTF-8 sequence in string");
    CHECK_STR(ERR("[\"\xF5\x80\x80\x80\"]"), "line 1 col 3: invalid UTF-8 byte 0xf5 in string");
    CHECK_STR(ERR("[\"\xC3\"]"), "line 1 col 3: invalid UTF-8 sequence in string");
    CHECK_STR(ERR("[\"\x80\"]"), "line 1 col 3: invalid UTF-8 byte 0x80 in string");
    /* A NUL byte in the input is a control character, not an end. */
    CHECK_STR(ERR("[\"a\0\"]"), "line 1 col 4: raw control character 0x00 in string (must be escaped)");
    CHECK_STR(ERR("[1]\0"), "line 1 col 4: unexpected data after the top-level value");
    /* Columns count characters: the é is one column. */
    CHECK_STR(ERR("[\"\xC3\xA9\", x]"), "line 1 col 7: expected a value, found 'x'");
}

static void test_depth_limit(void)
{
    char s[2 * (JSON_MAX_DEPTH + 1) + 1];
    int d = JSON_MAX_DEPTH;
    memset(s, '[', (size_t)d);
    memset(s + d, ']', (size_t)d);
    CHECK(parse_error(s, 2 * (size_t)d) == NULL);
    d = JSON_MAX_DEPTH + 1;
    memset(s, '[', (size_t)d);
    memset(s + d, ']', (size_t)d);
    CHECK_STR(parse_error(s, 2 * (size_t)d), "line 1 col 33: nesting deeper than 32 levels");
}

static void test_large_documents(void)
{
    /* Many values and a string longer than an arena chunk. */
    size_t n = 200000;
    char *s = malloc(2 * n + 100000 + 16);
    size_t len = 0;
    s[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        s[len++] = '0';
        s[len++] = ',';
    }
    s[len++] = '"';
    memset(s + len, 'x', 100000);
    len += 100000;
    s[len++] = '"';
    s[len++] = ']';
    struct json_doc doc;
    CHECK(json_parse(&doc, s, len, err, sizeof err) == 0);
    CHECK(doc.root && doc.root->count == n + 1);
    json_doc_free(&doc);
    free(s);
}

int main(void)
{
    test_values_and_structure();
    test_duplicate_keys_are_visible();
    test_string_escapes();
    test_malformed();
    test_depth_limit();
    test_large_documents();
    return CHECK_DONE("init-oci json");
}
