/* Strict recursive-descent JSON reader; see json.h for the contract. */
#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: every node and string of a document, freed in one go ---- */

struct json_arena_chunk {
    struct json_arena_chunk *next;
    size_t used, size;
    unsigned char *data; /* separate malloc, so it has malloc's alignment */
};

#define ARENA_CHUNK_SIZE 65536u
#define ARENA_ALIGN 16u

static void *arena_alloc(struct json_doc *doc, size_t n)
{
    struct json_arena_chunk *c = doc->chunks;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK_SIZE ? n : ARENA_CHUNK_SIZE;
        c = malloc(sizeof *c);
        if (c == NULL)
            return NULL;
        c->data = malloc(size);
        if (c->data == NULL) {
            free(c);
            return NULL;
        }
        c->size = size;
        c->used = 0;
        c->next = doc->chunks;
        doc->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void json_doc_free(struct json_doc *doc)
{
    struct json_arena_chunk *c = doc->chunks;
    while (c != NULL) {
        struct json_arena_chunk *next = c->next;
        free(c->data);
        free(c);
        c = next;
    }
    doc->chunks = NULL;
    doc->root = NULL;
}

/* ---- parser ---- */

struct parser {
    const unsigned char *p, *end;
    unsigned line, col;
    int depth;
    int failed;
    struct json_doc *doc;
    char *err;
    size_t errlen;
};

/* Only the first error is kept: it is the one that explains the others. */
static void fail_at(struct parser *ps, unsigned line, unsigned col,
                    const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = 1;
    int n = snprintf(ps->err, ps->errlen, "line %u col %u: ", line, col);
    if (n < 0 || (size_t)n >= ps->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

#define fail(ps, ...) fail_at((ps), (ps)->line, (ps)->col, __VA_ARGS__)

static int at_end(const struct parser *ps) { return ps->p >= ps->end; }

/* Columns count characters, not bytes: UTF-8 continuation bytes do not
 * move the column, so positions match what an editor shows. */
static void advance(struct parser *ps)
{
    unsigned char c = *ps->p++;
    if (c == '\n') {
        ps->line++;
        ps->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        ps->col++;
    }
}

static void skip_ws(struct parser *ps)
{
    while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t' ||
                           *ps->p == '\n' || *ps->p == '\r'))
        advance(ps);
}

static void fail_unexpected(struct parser *ps, const char *expected)
{
    if (at_end(ps))
        fail(ps, "unexpected end of input, expected %s", expected);
    else if (*ps->p >= 0x20 && *ps->p < 0x7F)
        fail(ps, "expected %s, found '%c'", expected, *ps->p);
    else
        fail(ps, "expected %s, found byte 0x%02x", expected, *ps->p);
}

static struct json_value *new_value(struct parser *ps, enum json_type type)
{
    struct json_value *v = arena_alloc(ps->doc, sizeof *v);
    if (v == NULL) {
        fail(ps, "out of memory");
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = type;
    v->line = ps->line;
    v->col = ps->col;
    return v;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u"; ps->p is on the first digit. */
static long read_hex4(struct parser *ps, unsigned line, unsigned col)
{
    long cp = 0;
    for (int i = 0; i < 4; i++) {
        int h = at_end(ps) ? -1 : hex_value(*ps->p);
        if (h < 0) {
            fail_at(ps, line, col, "bad \\u escape: expected 4 hex digits");
            return -1;
        }
        cp = cp * 16 + h;
        advance(ps);
    }
    return cp;
}

static size_t put_utf8(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One "\..." escape; ps->p is on the backslash. Returns bytes written. */
static size_t read_escape(struct parser *ps, unsigned char *o)
{
    unsigned line = ps->line, col = ps->col;
    advance(ps);
    if (at_end(ps)) {
        fail(ps, "unexpected end of input inside a string");
        return 0;
    }
    unsigned char c = *ps->p;
    static const char simple_in[] = "\"\\/bfnrt";
    static const char simple_out[] = "\"\\/\b\f\n\r\t";
    const char *s = memchr(simple_in, c, sizeof simple_in - 1);
    if (s != NULL) {
        advance(ps);
        o[0] = (unsigned char)simple_out[s - simple_in];
        return 1;
    }
    if (c != 'u') {
        if (c >= 0x20 && c < 0x7F)
            fail_at(ps, line, col, "bad escape '\\%c'", c);
        else
            fail_at(ps, line, col, "bad escape: byte 0x%02x after '\\'", c);
        return 0;
    }
    advance(ps);
    long cp = read_hex4(ps, line, col);
    if (cp < 0)
        return 0;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail_at(ps, line, col, "bad \\u escape: lone low surrogate \\u%04lX", cp);
        return 0;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        /* A high surrogate must be followed by "\u" and a low one. */
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
            fail_at(ps, line, col,
                    "bad \\u escape: high surrogate \\u%04lX not followed by a low one", cp);
            return 0;
        }
        advance(ps);
        advance(ps);
        long lo = read_hex4(ps, line, col);
        if (lo < 0)
            return 0;
        if (lo < 0xDC00 || lo > 0xDFFF) {
            fail_at(ps, line, col,
                    "bad \\u escape: high surrogate \\u%04lX not followed by a low one", cp);
            return 0;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0) {
        fail_at(ps, line, col, "\\u0000 is not allowed (strings become C strings)");
        return 0;
    }
    return put_utf8(o, (unsigned long)cp);
}

/* Copies one raw UTF-8 sequence (lead byte >= 0x80), checking that it is
 * well formed: shortest form, no surrogates, at most U+10FFFF. */
static size_t copy_utf8(struct parser *ps, unsigned char *o)
{
    unsigned line = ps->line, col = ps->col;
    unsigned char c = *ps->p;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        fail(ps, "invalid UTF-8 byte 0x%02x in string", c);
        return 0;
    }
    if ((size_t)(ps->end - ps->p) <= need) {
        fail(ps, "truncated UTF-8 sequence in string");
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        unsigned char b = ps->p[i];
        if (i == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) {
            fail_at(ps, line, col, "invalid UTF-8 sequence in string");
            return 0;
        }
    }
    for (size_t i = 0; i <= need; i++) {
        o[i] = *ps->p;
        advance(ps);
    }
    return need + 1;
}

/* ps->p is on the opening quote. Decodes into the arena. */
static const char *read_string(struct parser *ps, size_t *len_out)
{
    unsigned line = ps->line, col = ps->col;
    /* First pass: find the closing quote, so the decoded string (never
     * longer than its source) gets one allocation of the right size. */
    const unsigned char *q = ps->p + 1;
    while (q < ps->end && *q != '"')
        q += (*q == '\\' && ps->end - q > 1) ? 2 : 1;
    if (q >= ps->end) {
        fail_at(ps, line, col, "unterminated string (unexpected end of input)");
        return NULL;
    }
    unsigned char *out = arena_alloc(ps->doc, (size_t)(q - ps->p));
    if (out == NULL) {
        fail(ps, "out of memory");
        return NULL;
    }
    size_t n = 0;
    advance(ps);
    while (*ps->p != '"') {
        unsigned char c = *ps->p;
        size_t w;
        if (c == '\\') {
            w = read_escape(ps, out + n);
        } else if (c < 0x20) {
            fail(ps, "raw control character 0x%02x in string (must be escaped)", c);
            w = 0;
        } else if (c >= 0x80) {
            w = copy_utf8(ps, out + n);
        } else {
            out[n] = c;
            advance(ps);
            w = 1;
        }
        if (w == 0)
            return NULL;
        n += w;
    }
    advance(ps);
    out[n] = '\0';
    *len_out = n;
    return (const char *)out;
}

static int is_digit(const struct parser *ps)
{
    return !at_end(ps) && *ps->p >= '0' && *ps->p <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, kept as text: the
 * config fields we use are never numbers, so no conversion is needed. */
static int read_number(struct parser *ps, struct json_value *v)
{
    const unsigned char *start = ps->p;
    if (*ps->p == '-')
        advance(ps);
    if (!is_digit(ps)) {
        fail_unexpected(ps, "a digit");
        return -1;
    }
    if (*ps->p == '0') {
        advance(ps);
        if (is_digit(ps)) {
            fail(ps, "leading zeros are not allowed in numbers");
            return -1;
        }
    } else {
        while (is_digit(ps))
            advance(ps);
    }
    if (!at_end(ps) && *ps->p == '.') {
        advance(ps);
        if (!is_digit(ps)) {
            fail_unexpected(ps, "a digit after '.'");
            return -1;
        }
        while (is_digit(ps))
            advance(ps);
    }
    if (!at_end(ps) && (*ps->p == 'e' || *ps->p == 'E')) {
        advance(ps);
        if (!at_end(ps) && (*ps->p == '+' || *ps->p == '-'))
            advance(ps);
        if (!is_digit(ps)) {
            fail_unexpected(ps, "a digit in the exponent");
            return -1;
        }
        while (is_digit(ps))
            advance(ps);
    }
    size_t n = (size_t)(ps->p - start);
    char *text = arena_alloc(ps->doc, n + 1);
    if (text == NULL) {
        fail(ps, "out of memory");
        return -1;
    }
    memcpy(text, start, n);
    text[n] = '\0';
    v->text = text;
    v->len = n;
    return 0;
}

static int read_literal(struct parser *ps, const char *word)
{
    unsigned line = ps->line, col = ps->col;
    for (const char *w = word; *w != '\0'; w++) {
        if (at_end(ps)) {
            fail(ps, "unexpected end of input inside '%s'", word);
            return -1;
        }
        if (*ps->p != (unsigned char)*w) {
            fail_at(ps, line, col, "invalid literal (expected '%s')", word);
            return -1;
        }
        advance(ps);
    }
    return 0;
}

static struct json_value *read_value(struct parser *ps);

static void append(struct json_value *parent, struct json_value **tail,
                   struct json_value *child)
{
    if (*tail == NULL)
        parent->first = child;
    else
        (*tail)->next = child;
    *tail = child;
    parent->count++;
}

/* Shared by arrays and objects: ps->p is on '[' or '{'. */
static struct json_value *read_container(struct parser *ps, int is_object)
{
    const char close = is_object ? '}' : ']';
    struct json_value *v = new_value(ps, is_object ? JSON_OBJECT : JSON_ARRAY);
    if (v == NULL)
        return NULL;
    if (++ps->depth > JSON_MAX_DEPTH) {
        fail(ps, "nesting deeper than %d levels", JSON_MAX_DEPTH);
        return NULL;
    }
    advance(ps);
    skip_ws(ps);
    struct json_value *tail = NULL;
    if (!at_end(ps) && *ps->p == close) {
        advance(ps);
        ps->depth--;
        return v;
    }
    for (;;) {
        const char *key = NULL;
        if (is_object) {
            if (at_end(ps) || *ps->p != '"') {
                fail_unexpected(ps, "a string (member name)");
                return NULL;
            }
            size_t klen;
            key = read_string(ps, &klen);
            if (key == NULL)
                return NULL;
            skip_ws(ps);
            if (at_end(ps) || *ps->p != ':') {
                fail_unexpected(ps, "':'");
                return NULL;
            }
            advance(ps);
            skip_ws(ps);
        }
        struct json_value *child = read_value(ps);
        if (child == NULL)
            return NULL;
        child->key = key;
        append(v, &tail, child);
        skip_ws(ps);
        if (!at_end(ps) && *ps->p == close) {
            advance(ps);
            ps->depth--;
            return v;
        }
        if (at_end(ps) || *ps->p != ',') {
            fail_unexpected(ps, is_object ? "',' or '}'" : "',' or ']'");
            return NULL;
        }
        advance(ps);
        skip_ws(ps);
        if (!at_end(ps) && *ps->p == close) {
            fail(ps, "trailing comma before '%c'", close);
            return NULL;
        }
    }
}

static struct json_value *read_value(struct parser *ps)
{
    if (at_end(ps)) {
        fail_unexpected(ps, "a value");
        return NULL;
    }
    struct json_value *v;
    switch (*ps->p) {
    case '{':
        return read_container(ps, 1);
    case '[':
        return read_container(ps, 0);
    case '"':
        v = new_value(ps, JSON_STRING);
        if (v == NULL || (v->text = read_string(ps, &v->len)) == NULL)
            return NULL;
        return v;
    case 't':
        v = new_value(ps, JSON_TRUE);
        return v != NULL && read_literal(ps, "true") == 0 ? v : NULL;
    case 'f':
        v = new_value(ps, JSON_FALSE);
        return v != NULL && read_literal(ps, "false") == 0 ? v : NULL;
    case 'n':
        v = new_value(ps, JSON_NULL);
        return v != NULL && read_literal(ps, "null") == 0 ? v : NULL;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
            v = new_value(ps, JSON_NUMBER);
            return v != NULL && read_number(ps, v) == 0 ? v : NULL;
        }
        fail_unexpected(ps, "a value");
        return NULL;
    }
}

int json_parse(struct json_doc *out, const char *buf, size_t len,
               char *err, size_t errlen)
{
    struct parser ps = {
        .p = (const unsigned char *)buf,
        .end = (const unsigned char *)buf + len,
        .line = 1,
        .col = 1,
        .doc = out,
        .err = err,
        .errlen = errlen,
    };
    out->root = NULL;
    out->chunks = NULL;
    if (errlen > 0)
        err[0] = '\0';
    skip_ws(&ps);
    if (at_end(&ps)) {
        fail(&ps, "empty document");
    } else {
        struct json_value *root = read_value(&ps);
        if (root != NULL) {
            skip_ws(&ps);
            if (!at_end(&ps))
                fail(&ps, "unexpected data after the top-level value");
            out->root = root;
        }
    }
    if (ps.failed) {
        json_doc_free(out);
        return -1;
    }
    return 0;
}

const struct json_value *json_get(const struct json_value *obj, const char *key,
                                  const struct json_value **dup)
{
    const struct json_value *found = NULL;
    if (dup != NULL)
        *dup = NULL;
    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    for (const struct json_value *m = obj->first; m != NULL; m = m->next) {
        if (strcmp(m->key, key) != 0)
            continue;
        if (found == NULL) {
            found = m;
        } else {
            if (dup != NULL)
                *dup = m;
            break;
        }
    }
    return found;
}

const char *json_type_name(enum json_type type)
{
    switch (type) {
    case JSON_NULL: return "null";
    case JSON_FALSE:
    case JSON_TRUE: return "boolean";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "?";
}
