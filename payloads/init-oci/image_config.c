/* Turns the parsed JSON of an image config into argv/env/workdir/uid/gid,
 * refusing anything that does not match IMAGE-CONFIG.md. */
#include "image_config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netconf.h"

/* Error helper for semantic errors: "NAME: line L col C: what". */
static int fail_value(char *err, size_t errlen, const char *name,
                      const struct json_value *v, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s: line %u col %u: ", name, v->line, v->col);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Looks up a member, refusing duplicates: with two "Cmd" keys different
 * readers would disagree on which one runs. */
static int get_member(const struct json_value *obj, const char *key,
                      const char *where, const char *name,
                      const struct json_value **out, char *err, size_t errlen)
{
    const struct json_value *dup;
    *out = json_get(obj, key, &dup);
    if (dup != NULL)
        return fail_value(err, errlen, name, dup, "duplicate key \"%s\" in %s",
                          key, where);
    return 0;
}

/* An optional array of strings: missing or null means empty. Checks the
 * element types and lengths; returns the element count in *count. */
static int check_string_array(const struct json_value *v, const char *field,
                              const char *name, size_t *count,
                              char *err, size_t errlen)
{
    *count = 0;
    if (v == NULL || v->type == JSON_NULL)
        return 0;
    if (v->type != JSON_ARRAY)
        return fail_value(err, errlen, name, v,
                          "%s: expected an array of strings or null, found %s",
                          field, json_type_name(v->type));
    size_t i = 0;
    for (const struct json_value *e = v->first; e != NULL; e = e->next, i++) {
        if (e->type != JSON_STRING)
            return fail_value(err, errlen, name, e,
                              "%s[%zu]: expected a string, found %s",
                              field, i, json_type_name(e->type));
        if (e->len > IMAGE_CONFIG_MAX_STRING)
            return fail_value(err, errlen, name, e,
                              "%s[%zu]: string of %zu bytes is longer than %d",
                              field, i, e->len, IMAGE_CONFIG_MAX_STRING);
    }
    *count = v->count;
    return 0;
}

/* An optional string: missing or null gives "". */
static int get_string(const struct json_value *v, const char *field,
                      const char *name, const char **out,
                      char *err, size_t errlen)
{
    *out = "";
    if (v == NULL || v->type == JSON_NULL)
        return 0;
    if (v->type != JSON_STRING)
        return fail_value(err, errlen, name, v,
                          "%s: expected a string or null, found %s",
                          field, json_type_name(v->type));
    *out = v->text;
    return 0;
}

static int parse_id(const char *s, size_t len, unsigned long *out)
{
    if (len == 0 || len > 10)
        return -1;
    unsigned long n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        n = n * 10 + (unsigned long)(s[i] - '0');
    }
    /* (uid_t)-1 means "unchanged" to setuid and friends: not an id. */
    if (n >= 0xFFFFFFFFul)
        return -1;
    *out = n;
    return 0;
}

int image_config_parse_user(const char *user, uid_t *uid, gid_t *gid,
                            char *err, size_t errlen)
{
    unsigned long u = 0, g = 0;
    *uid = 0;
    *gid = 0;
    if (user[0] == '\0')
        return 0;
    const char *colon = strchr(user, ':');
    size_t ulen = colon != NULL ? (size_t)(colon - user) : strlen(user);
    if (parse_id(user, ulen, &u) != 0 ||
        (colon != NULL && parse_id(colon + 1, strlen(colon + 1), &g) != 0)) {
        snprintf(err, errlen,
                 "User \"%s\": expected a numeric uid or uid:gid "
                 "(0..4294967294; user and group names are not supported)",
                 user);
        return -1;
    }
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

static size_t env_name_len(const char *entry)
{
    return (size_t)(strchr(entry, '=') - entry);
}

/* Adds or replaces an entry: a later "K=..." wins over an earlier one and
 * keeps the earlier one's place, as Docker's env merging does. */
static void env_set(struct image_config *cfg, char *entry)
{
    size_t n = env_name_len(entry);
    for (size_t i = 0; i < cfg->envc; i++) {
        if (env_name_len(cfg->env[i]) == n && memcmp(cfg->env[i], entry, n) == 0) {
            cfg->env[i] = entry;
            return;
        }
    }
    cfg->env[cfg->envc++] = entry;
}

static const char *env_get(const struct image_config *cfg, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < cfg->envc; i++)
        if (strncmp(cfg->env[i], name, n) == 0 && cfg->env[i][n] == '=')
            return cfg->env[i] + n + 1;
    return NULL;
}

static int build_argv(struct image_config *cfg, const struct json_value *conf,
                      const char *name, char *err, size_t errlen)
{
    const struct json_value *ep, *cmd;
    size_t nep, ncmd;
    if (get_member(conf, "Entrypoint", "config", name, &ep, err, errlen) ||
        get_member(conf, "Cmd", "config", name, &cmd, err, errlen) ||
        check_string_array(ep, "config.Entrypoint", name, &nep, err, errlen) ||
        check_string_array(cmd, "config.Cmd", name, &ncmd, err, errlen))
        return -1;
    if (nep + ncmd == 0) {
        snprintf(err, errlen, "%s: config.Entrypoint and config.Cmd are both "
                 "missing or empty: nothing to run", name);
        return -1;
    }
    if (nep + ncmd > IMAGE_CONFIG_MAX_ARGS) {
        snprintf(err, errlen, "%s: Entrypoint and Cmd have %zu strings together, "
                 "more than %d", name, nep + ncmd, IMAGE_CONFIG_MAX_ARGS);
        return -1;
    }
    cfg->argv = calloc(nep + ncmd + 1, sizeof *cfg->argv);
    if (cfg->argv == NULL) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    /* OCI semantics: the command line is Entrypoint followed by Cmd. */
    for (const struct json_value *e = nep ? ep->first : NULL; e; e = e->next)
        cfg->argv[cfg->argc++] = (char *)e->text;
    for (const struct json_value *e = ncmd ? cmd->first : NULL; e; e = e->next)
        cfg->argv[cfg->argc++] = (char *)e->text;
    if (cfg->argv[0][0] == '\0') {
        snprintf(err, errlen, "%s: the program to run (first string of "
                 "Entrypoint + Cmd) is empty", name);
        return -1;
    }
    return 0;
}

static int build_env(struct image_config *cfg, const struct json_value *conf,
                     const char *name, char *err, size_t errlen)
{
    const struct json_value *envv;
    size_t n;
    if (get_member(conf, "Env", "config", name, &envv, err, errlen) ||
        check_string_array(envv, "config.Env", name, &n, err, errlen))
        return -1;
    if (n > IMAGE_CONFIG_MAX_ENV) {
        snprintf(err, errlen, "%s: config.Env has %zu entries, more than %d",
                 name, n, IMAGE_CONFIG_MAX_ENV);
        return -1;
    }
    /* Room for the entries, PATH, HOME and the terminating NULL. */
    cfg->env = calloc(n + 3, sizeof *cfg->env);
    if (cfg->env == NULL) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    size_t i = 0;
    for (const struct json_value *e = n ? envv->first : NULL; e; e = e->next, i++) {
        const char *eq = strchr(e->text, '=');
        if (eq == NULL || eq == e->text)
            return fail_value(err, errlen, name, e,
                              "config.Env[%zu] \"%s\": expected NAME=VALUE",
                              i, e->text);
        env_set(cfg, (char *)e->text);
    }
    if (env_get(cfg, "PATH") == NULL)
        env_set(cfg, "PATH=" IMAGE_CONFIG_DEFAULT_PATH);
    /* Without /etc/passwd lookups, HOME follows Docker's fallbacks. */
    if (env_get(cfg, "HOME") == NULL)
        env_set(cfg, cfg->uid == 0 ? "HOME=/root" : "HOME=/");
    cfg->path = env_get(cfg, "PATH");
    return 0;
}

int image_config_parse(struct image_config *out, const char *buf, size_t len,
                       const char *name, char *err, size_t errlen)
{
    char jerr[200];
    memset(out, 0, sizeof *out);
    if (json_parse(&out->doc, buf, len, jerr, sizeof jerr) != 0) {
        snprintf(err, errlen, "%s: %s", name, jerr);
        return -1;
    }
    const struct json_value *root = out->doc.root, *conf;
    if (root->type != JSON_OBJECT) {
        fail_value(err, errlen, name, root,
                   "the top-level value must be an object, found %s",
                   json_type_name(root->type));
        goto fail;
    }
    if (get_member(root, "config", "the top-level object", name, &conf, err, errlen))
        goto fail;
    /* A missing or null "config" is an empty one; then there is nothing
     * to run, which build_argv reports. */
    if (conf != NULL && conf->type != JSON_NULL && conf->type != JSON_OBJECT) {
        fail_value(err, errlen, name, conf,
                   "config: expected an object, found %s", json_type_name(conf->type));
        goto fail;
    }

    const struct json_value *user_v, *wd_v;
    const char *user, *wd;
    if (get_member(conf, "User", "config", name, &user_v, err, errlen) ||
        get_string(user_v, "config.User", name, &user, err, errlen))
        goto fail;
    if (image_config_parse_user(user, &out->uid, &out->gid, jerr, sizeof jerr) != 0) {
        fail_value(err, errlen, name, user_v, "config.%s", jerr);
        goto fail;
    }
    if (build_argv(out, conf, name, err, errlen) != 0 ||
        build_env(out, conf, name, err, errlen) != 0)
        goto fail;

    if (get_member(conf, "WorkingDir", "config", name, &wd_v, err, errlen) ||
        get_string(wd_v, "config.WorkingDir", name, &wd, err, errlen))
        goto fail;
    if (wd[0] == '\0') {
        wd = "/";
    } else if (wd[0] != '/') {
        fail_value(err, errlen, name, wd_v,
                   "config.WorkingDir \"%s\": must be an absolute path", wd);
        goto fail;
    } else if (strlen(wd) >= PATH_MAX) {
        fail_value(err, errlen, name, wd_v,
                   "config.WorkingDir: longer than %d bytes", PATH_MAX - 1);
        goto fail;
    }
    out->workdir = wd;

    /* Not in the OCI spec, but in Docker's image config (docker commit
     * records the container's host name there, by default its id). */
    const struct json_value *host_v;
    const char *host;
    if (get_member(conf, "Hostname", "config", name, &host_v, err, errlen) ||
        get_string(host_v, "config.Hostname", name, &host, err, errlen))
        goto fail;
    const char *problem = host[0] != '\0' ? netconf_hostname_problem(host) : NULL;
    if (problem != NULL) {
        fail_value(err, errlen, name, host_v, "config.Hostname \"%s\": not a valid "
                   "host name (RFC 1123): %s", host, problem);
        goto fail;
    }
    out->hostname = host;
    return 0;
fail:
    image_config_free(out);
    return -1;
}

int image_config_load(struct image_config *out, const char *path,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "stat %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    /* Read one byte past the limit so a file that grew after fstat is
     * still caught. */
    char *buf = malloc(IMAGE_CONFIG_MAX_BYTES + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        close(fd);
        return -1;
    }
    size_t len = 0;
    while (len <= IMAGE_CONFIG_MAX_BYTES) {
        ssize_t r = read(fd, buf + len, IMAGE_CONFIG_MAX_BYTES + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "read %s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (len > IMAGE_CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "%s: too big (more than %d bytes)",
                 path, IMAGE_CONFIG_MAX_BYTES);
        free(buf);
        return -1;
    }
    int rc = image_config_parse(out, buf, len, path, err, errlen);
    free(buf); /* the parsed tree holds its own copies */
    return rc;
}

void image_config_free(struct image_config *cfg)
{
    free(cfg->argv);
    free(cfg->env);
    json_doc_free(&cfg->doc);
    memset(cfg, 0, sizeof *cfg);
}
