/* A small, strict JSON reader (RFC 8259) for init-oci's image config.
 *
 * The whole document is parsed into a read-only tree held in one arena;
 * json_doc_free() releases everything at once. Strict means: no comments,
 * no trailing commas, no leading zeros, no raw control characters or
 * invalid UTF-8 inside strings, nothing after the top-level value. Strings
 * are decoded to UTF-8 and NUL-terminated; "\u0000" is refused because the
 * strings end up in C argv/env arrays where a NUL would silently cut them.
 */
#ifndef INIT_OCI_JSON_H
#define INIT_OCI_JSON_H

#include <stddef.h>

/* Nesting deeper than this is refused: it bounds the parser's recursion. */
#define JSON_MAX_DEPTH 32

enum json_type {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
};

struct json_value {
    enum json_type type;
    unsigned line, col;       /* where the value starts, 1-based */
    const char *key;          /* member name when inside an object */
    const char *text;         /* JSON_STRING: decoded; JSON_NUMBER: literal */
    size_t len;               /* length of text */
    size_t count;             /* JSON_ARRAY / JSON_OBJECT: number of children */
    struct json_value *first; /* first child */
    struct json_value *next;  /* next sibling */
};

struct json_doc {
    struct json_value *root;
    struct json_arena_chunk *chunks;
};

/* Parses buf[0..len) into out. Returns 0, or -1 with a message such as
 * "line 3 col 7: expected ',' or '}'" in err (always NUL-terminated).
 * On failure out holds nothing that needs freeing. */
int json_parse(struct json_doc *out, const char *buf, size_t len,
               char *err, size_t errlen);

void json_doc_free(struct json_doc *doc);

/* The member named key of object obj, or NULL. When the key occurs more
 * than once, *dup (if dup is not NULL) receives the second occurrence, so
 * callers can refuse ambiguous documents; otherwise *dup is set to NULL. */
const struct json_value *json_get(const struct json_value *obj, const char *key,
                                  const struct json_value **dup);

/* "string", "array", ... for error messages. */
const char *json_type_name(enum json_type type);

#endif
