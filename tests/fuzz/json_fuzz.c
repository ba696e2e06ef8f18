/* libFuzzer harness for init-oci's JSON reader (payloads/init-oci/json.c).
 *
 * Input: the document itself, in a buffer of exactly its size (not NUL
 * terminated), as image_config_parse() hands it over. Besides memory
 * errors it checks json.h's contract on the tree of an accepted document:
 * children counted, member names exactly in objects, nesting within
 * JSON_MAX_DEPTH, strings well-formed UTF-8 without NUL and of their
 * recorded length, numbers matching RFC 8259's grammar, positions 1-based,
 * json_get() finding the first of equal names and reporting the second.
 * A refused document leaves nothing to free and a one-line "line L col C:"
 * message, and with a shorter error buffer (down to none) the message is
 * that one cut short. */
#include "json.h"

#include "fuzz_common.h"

#define ERR_SIZE 256

static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t need;
        unsigned cp;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        static const unsigned min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

static int digits(const char **p)
{
    const char *s = *p;
    while (**p >= '0' && **p <= '9')
        (*p)++;
    return *p > s;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and nothing else. */
static int number_ok(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s < '1' || *s > '9' || !digits(&s))
        return 0;
    if (*s == '.') {
        s++;
        if (!digits(&s))
            return 0;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!digits(&s))
            return 0;
    }
    return *s == '\0';
}

static void check_value(const struct json_value *v, int depth, int member)
{
    REQUIRE(v->line >= 1 && v->col >= 1);
    REQUIRE(member ? v->key != NULL : v->key == NULL);
    if (member)
        REQUIRE(utf8_ok((const unsigned char *)v->key, strlen(v->key)));
    switch (v->type) {
    case JSON_NULL:
    case JSON_FALSE:
    case JSON_TRUE:
        REQUIRE(v->first == NULL && v->count == 0);
        return;
    case JSON_STRING:
        REQUIRE(v->text != NULL && v->text[v->len] == '\0');
        REQUIRE(utf8_ok((const unsigned char *)v->text, v->len));
        REQUIRE(v->first == NULL && v->count == 0);
        return;
    case JSON_NUMBER:
        REQUIRE(v->text != NULL && strlen(v->text) == v->len);
        REQUIRE(number_ok(v->text));
        REQUIRE(v->first == NULL && v->count == 0);
        return;
    case JSON_ARRAY:
    case JSON_OBJECT:
        break;
    default:
        REQUIRE(!"unknown json_type");
    }
    REQUIRE(depth + 1 <= JSON_MAX_DEPTH);
    size_t n = 0;
    for (const struct json_value *c = v->first; c != NULL; c = c->next, n++) {
        check_value(c, depth + 1, v->type == JSON_OBJECT);
        /* Lookups, bounded so that wide objects stay fast. */
        if (v->type != JSON_OBJECT || n >= 64)
            continue;
        const struct json_value *first = NULL, *second = NULL, *dup;
        for (const struct json_value *m = v->first; m != NULL && !second; m = m->next)
            if (strcmp(m->key, c->key) == 0) {
                if (first == NULL)
                    first = m;
                else
                    second = m;
            }
        REQUIRE(json_get(v, c->key, &dup) == first && dup == second);
        REQUIRE(json_get(v, c->key, NULL) == first);
    }
    REQUIRE(n == v->count);
    if (v->type == JSON_OBJECT) {
        const struct json_value *dup = v;
        REQUIRE(json_get(v, "\xff not a key", &dup) == NULL && dup == NULL);
    } else {
        REQUIRE(json_get(v, "", NULL) == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_doc doc;
    char *err = malloc(ERR_SIZE);
    REQUIRE(err != NULL);
    memset(err, 'x', ERR_SIZE);
    int rc = json_parse(&doc, (const char *)data, size, err, ERR_SIZE);
    fuzz_expect(rc == 0, rc ? err : NULL);
    if (rc == 0) {
        REQUIRE(doc.root != NULL && doc.chunks != NULL);
        REQUIRE(err[0] == '\0');
        check_value(doc.root, 0, 0);
        json_doc_free(&doc);
        REQUIRE(doc.root == NULL && doc.chunks == NULL);
        free(err);
        return 0;
    }
    REQUIRE(rc == -1);
    REQUIRE(doc.root == NULL && doc.chunks == NULL);
    size_t len = strnlen(err, ERR_SIZE);
    REQUIRE(len < ERR_SIZE && len > 0);
    REQUIRE(strncmp(err, "line ", 5) == 0 && strchr(err, '\n') == NULL);
    /* The same refusal with a short buffer, of exactly its size. */
    size_t small = size % 24;
    char *err2 = malloc(small); /* with none, a write is an overflow */
    REQUIRE(err2 != NULL || small == 0);
    REQUIRE(json_parse(&doc, (const char *)data, size, err2, small) == -1);
    REQUIRE(doc.root == NULL && doc.chunks == NULL);
    if (small > 0) {
        size_t l2 = strnlen(err2, small);
        REQUIRE(l2 < small && l2 == (len < small - 1 ? len : small - 1));
        REQUIRE(memcmp(err2, err, l2) == 0);
    }
    free(err2);
    free(err);
    return 0;
}
