/* libFuzzer harness for init-oci's image config reader
 * (payloads/init-oci/image_config.c, over json.c).
 *
 * Input: the config file's bytes, in a buffer of exactly their size, as
 * image_config_load() hands them to image_config_parse(). An accepted
 * config is checked against IMAGE-CONFIG.md, read here on its own from the
 * same document (through json_parse/json_get, fuzzed by json_fuzz): argv is
 * Entrypoint then Cmd, non-empty with a non-empty program; env is Env with
 * a repeated name's later value in the earlier one's place, then PATH and
 * HOME (/root for uid 0, else /) if missing, and path is PATH's value;
 * WorkingDir absolute, "/" when missing, null or empty; User "", "UID" or
 * "UID:GID" in decimal, each 0..4294967294; Hostname "" when missing, null
 * or empty, else an RFC 1123 host name of at most 64 bytes (labels of
 * letters, digits and '-', not first or last, 1-63 bytes). A document
 * json_parse refuses
 * is refused with that message; any refusal leaves the struct zeroed and
 * one line naming the file, and with a shorter buffer (down to none) the
 * message is that one cut short. */
#include "image_config.h"

#include <limits.h>

#include "fuzz_common.h"

#define NAME "/image/config.json"
#define ERR_SIZE 1024

static const struct json_value *member(const struct json_value *obj, const char *key)
{
    const struct json_value *v = json_get(obj, key, NULL);
    return v != NULL && v->type == JSON_NULL ? NULL : v;
}

static size_t name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    REQUIRE(eq != NULL && eq != entry);
    return (size_t)(eq - entry);
}

static int same_name(const char *a, const char *b)
{
    size_t n = name_len(a);
    return n == name_len(b) && memcmp(a, b, n) == 0;
}

/* IMAGE-CONFIG.md's User: "" or decimal "UID" / "UID:GID", each at most
 * 4294967294. Returns 0 and the ids, or -1. */
static int user_ids(const char *s, unsigned long long *uid, unsigned long long *gid)
{
    unsigned long long id[2] = {0, 0};
    int k = 0;
    *uid = *gid = 0;
    if (*s == '\0')
        return 0;
    for (;;) {
        size_t n = 0;
        for (; *s >= '0' && *s <= '9'; s++, n++) {
            if (n == 10)
                return -1;
            id[k] = id[k] * 10 + (unsigned)(*s - '0');
        }
        if (n == 0 || id[k] > 4294967294ull)
            return -1;
        if (*s == '\0')
            break;
        if (*s != ':' || k == 1)
            return -1;
        s++;
        k++;
    }
    *uid = id[0];
    *gid = id[1];
    return 0;
}

static int host_name_ok(const char *s)
{
    size_t len = strlen(s), start = 0;
    if (len == 0 || len > 64)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-'))
                return 0;
            continue;
        }
        if (i == start || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
            return 0;
        start = i + 1;
    }
    return 1;
}

static void check_accepted(const struct image_config *cfg, const uint8_t *data, size_t size)
{
    struct json_doc doc;
    char jerr[200];
    REQUIRE(json_parse(&doc, (const char *)data, size, jerr, sizeof jerr) == 0);
    REQUIRE(doc.root->type == JSON_OBJECT);
    const struct json_value *conf = member(doc.root, "config");
    REQUIRE(conf == NULL || conf->type == JSON_OBJECT);

    /* argv: Entrypoint then Cmd. */
    size_t argc = 0;
    const char *const keys[] = {"Entrypoint", "Cmd"};
    for (int k = 0; k < 2; k++) {
        const struct json_value *a = member(conf, keys[k]);
        REQUIRE(a == NULL || a->type == JSON_ARRAY);
        for (const struct json_value *e = a ? a->first : NULL; e; e = e->next) {
            REQUIRE(e->type == JSON_STRING && e->len <= IMAGE_CONFIG_MAX_STRING);
            REQUIRE(argc < cfg->argc && strcmp(cfg->argv[argc], e->text) == 0);
            argc++;
        }
    }
    REQUIRE(argc == cfg->argc && argc >= 1 && argc <= IMAGE_CONFIG_MAX_ARGS);
    REQUIRE(cfg->argv[argc] == NULL && cfg->argv[0][0] != '\0');

    /* User. */
    const struct json_value *u = member(conf, "User");
    REQUIRE(u == NULL || u->type == JSON_STRING);
    unsigned long long uid, gid;
    REQUIRE(user_ids(u ? u->text : "", &uid, &gid) == 0);
    REQUIRE(cfg->uid == uid && cfg->gid == gid);

    /* env: merged in order, then the defaults. */
    const struct json_value *env = member(conf, "Env");
    REQUIRE(env == NULL || env->type == JSON_ARRAY);
    size_t n = env ? env->count : 0;
    REQUIRE(n <= IMAGE_CONFIG_MAX_ENV);
    const char **want = calloc(n + 3, sizeof *want);
    REQUIRE(want != NULL);
    size_t wn = 0;
    for (const struct json_value *e = env ? env->first : NULL; e; e = e->next) {
        REQUIRE(e->type == JSON_STRING && e->len <= IMAGE_CONFIG_MAX_STRING);
        size_t i = 0;
        while (i < wn && !same_name(want[i], e->text))
            i++;
        want[i] = e->text;
        if (i == wn)
            wn++;
    }
    const char *path = NULL, *home = NULL;
    for (size_t i = 0; i < wn; i++) {
        if (strncmp(want[i], "PATH=", 5) == 0)
            path = want[i] + 5;
        if (strncmp(want[i], "HOME=", 5) == 0)
            home = want[i];
    }
    if (path == NULL) {
        want[wn++] = "PATH=" IMAGE_CONFIG_DEFAULT_PATH;
        path = IMAGE_CONFIG_DEFAULT_PATH;
    }
    if (home == NULL)
        want[wn++] = uid == 0 ? "HOME=/root" : "HOME=/";
    REQUIRE(cfg->envc == wn && cfg->env[wn] == NULL);
    for (size_t i = 0; i < wn; i++)
        REQUIRE(strcmp(cfg->env[i], want[i]) == 0);
    REQUIRE(cfg->path != NULL && strcmp(cfg->path, path) == 0);
    size_t p = 0; /* path points into env's PATH entry */
    while (p < wn && strncmp(cfg->env[p], "PATH=", 5) != 0)
        p++;
    REQUIRE(p < wn && cfg->path == cfg->env[p] + 5);
    free(want);

    /* WorkingDir. */
    const struct json_value *wd = member(conf, "WorkingDir");
    REQUIRE(wd == NULL || wd->type == JSON_STRING);
    const char *want_wd = wd == NULL || wd->text[0] == '\0' ? "/" : wd->text;
    REQUIRE(strcmp(cfg->workdir, want_wd) == 0);
    REQUIRE(cfg->workdir[0] == '/' && strlen(cfg->workdir) < PATH_MAX);

    /* Hostname. */
    const struct json_value *h = member(conf, "Hostname");
    REQUIRE(h == NULL || h->type == JSON_STRING);
    const char *want_h = h == NULL ? "" : h->text;
    REQUIRE(cfg->hostname != NULL && strcmp(cfg->hostname, want_h) == 0);
    REQUIRE(want_h[0] == '\0' || host_name_ok(want_h));
    json_doc_free(&doc);
}

static void check_zeroed(const struct image_config *cfg)
{
    static const struct image_config zero;
    REQUIRE(memcmp(cfg, &zero, sizeof zero) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct image_config cfg;
    char *err = malloc(ERR_SIZE);
    REQUIRE(err != NULL);
    memset(err, 'x', ERR_SIZE);
    int rc = image_config_parse(&cfg, (const char *)data, size, NAME, err, ERR_SIZE);
    fuzz_expect(rc == 0, rc ? err : NULL);
    if (rc == 0) {
        check_accepted(&cfg, data, size);
        image_config_free(&cfg);
        check_zeroed(&cfg);
        free(err);
        return 0;
    }
    REQUIRE(rc == -1);
    check_zeroed(&cfg);
    size_t len = strnlen(err, ERR_SIZE);
    REQUIRE(len < ERR_SIZE);
    REQUIRE(strncmp(err, NAME ": ", sizeof NAME + 1) == 0 && len > sizeof NAME + 1);

    /* A document that is not JSON: json_parse's own message. */
    struct json_doc doc;
    char jerr[200];
    if (json_parse(&doc, (const char *)data, size, jerr, sizeof jerr) == 0) {
        json_doc_free(&doc);
    } else {
        char want[ERR_SIZE];
        snprintf(want, sizeof want, "%s: %s", NAME, jerr);
        REQUIRE(strcmp(err, want) == 0);
    }

    /* The same refusal with a short buffer, of exactly its size. */
    size_t small = size % 48;
    char *err2 = malloc(small); /* with none, a write is an overflow */
    REQUIRE(err2 != NULL || small == 0);
    REQUIRE(image_config_parse(&cfg, (const char *)data, size, NAME, err2, small) == -1);
    check_zeroed(&cfg);
    if (small > 0) {
        size_t l2 = strnlen(err2, small);
        REQUIRE(l2 < small && l2 == (len < small - 1 ? len : small - 1));
        REQUIRE(memcmp(err2, err, l2) == 0);
    }
    free(err2);
    free(err);
    return 0;
}
