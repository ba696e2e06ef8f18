/* The image config reader: accepted documents, defaults, Entrypoint + Cmd
 * composition, User parsing, and the error for each refused document. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../payloads/init-oci/image_config.h"
#include "check.h"

static char err[1024];
static struct image_config cfg;

/* Parses s under the name "c.json"; returns the error or NULL. cfg holds
 * the result until the next call. */
static const char *parse_len(const char *s, size_t len)
{
    image_config_free(&cfg);
    return image_config_parse(&cfg, s, len, "c.json", err, sizeof err) == 0 ? NULL : err;
}

static const char *parse(const char *s) { return parse_len(s, strlen(s)); }

/* argv or env joined with '|', for compact comparisons. */
static const char *join(char **v)
{
    static char buf[4096];
    size_t n = 0;
    buf[0] = '\0';
    for (; v != NULL && *v != NULL; v++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? "|" : "", *v);
    return buf;
}

static void test_full_config(void)
{
    CHECK(parse("{\n"
                "  \"architecture\": \"arm64\", \"os\": \"linux\",\n"
                "  \"config\": {\n"
                "    \"Entrypoint\": [\"/bin/app\", \"--flag\"],\n"
                "    \"Cmd\": [\"serve\", \"caf\\u00e9\"],\n"
                "    \"Env\": [\"PATH=/opt/bin:/bin\", \"HOME=/home/app\", \"X=a=b\"],\n"
                "    \"WorkingDir\": \"/srv\",\n"
                "    \"User\": \"1000:100\",\n"
                "    \"ExposedPorts\": {\"80/tcp\": {}}, \"Labels\": null\n"
                "  },\n"
                "  \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []},\n"
                "  \"history\": [{\"empty_layer\": true, \"created\": \"2024-01-01\"}]\n"
                "}") == NULL);
    CHECK_STR(join(cfg.argv), "/bin/app|--flag|serve|caf\xC3\xA9");
    CHECK(cfg.argc == 4 && cfg.argv[4] == NULL);
    CHECK_STR(join(cfg.env), "PATH=/opt/bin:/bin|HOME=/home/app|X=a=b");
    CHECK(cfg.envc == 3 && cfg.env[3] == NULL);
    CHECK_STR(cfg.path, "/opt/bin:/bin");
    CHECK_STR(cfg.workdir, "/srv");
    CHECK(cfg.uid == 1000 && cfg.gid == 100);
}

static void test_defaults(void)
{
    CHECK(parse("{\"config\": {\"Cmd\": [\"sh\"]}}") == NULL);
    CHECK_STR(join(cfg.argv), "sh");
    CHECK_STR(join(cfg.env), "PATH=" IMAGE_CONFIG_DEFAULT_PATH "|HOME=/root");
    CHECK_STR(cfg.path, IMAGE_CONFIG_DEFAULT_PATH);
    CHECK_STR(cfg.workdir, "/");
    CHECK(cfg.uid == 0 && cfg.gid == 0);

    /* Docker writes null and "" for unset fields: same as missing. */
    CHECK(parse("{\"config\": {\"Entrypoint\": null, \"Cmd\": [\"sh\"], \"Env\": null,"
                " \"WorkingDir\": \"\", \"User\": \"\"}}") == NULL);
    CHECK_STR(cfg.workdir, "/");
    CHECK(cfg.uid == 0 && cfg.envc == 2);
    CHECK(parse("{\"config\": {\"Cmd\": [\"sh\"], \"WorkingDir\": null, \"User\": null}}") == NULL);

    /* A non-root user without HOME gets "/". */
    CHECK(parse("{\"config\": {\"Cmd\": [\"sh\"], \"User\": \"5\"}}") == NULL);
    CHECK_STR(join(cfg.env), "PATH=" IMAGE_CONFIG_DEFAULT_PATH "|HOME=/");
}

static void test_entrypoint_cmd_composition(void)
{
    CHECK(parse("{\"config\": {\"Entrypoint\": [\"a\", \"b\"], \"Cmd\": [\"c\"]}}") == NULL);
    CHECK_STR(join(cfg.argv), "a|b|c");
    CHECK(parse("{\"config\": {\"Entrypoint\": [\"a\"]}}") == NULL);
    CHECK_STR(join(cfg.argv), "a");
    CHECK(parse("{\"config\": {\"Entrypoint\": [\"a\"], \"Cmd\": []}}") == NULL);
    CHECK_STR(join(cfg.argv), "a");
    CHECK(parse("{\"config\": {\"Entrypoint\": [], \"Cmd\": [\"c\", \"\"]}}") == NULL);
    CHECK_STR(join(cfg.argv), "c|");
    CHECK(cfg.argc == 2);
}

static void test_env_merging(void)
{
    /* A later entry replaces an earlier one in place. */
    CHECK(parse("{\"config\": {\"Cmd\": [\"x\"], \"Env\": [\"A=1\", \"B=\", \"A=3\","
                " \"PATH=/p\", \"AB=4\"]}}") == NULL);
    CHECK_STR(join(cfg.env), "A=3|B=|PATH=/p|AB=4|HOME=/root");
    CHECK_STR(cfg.path, "/p");
}

static void test_user(void)
{
    uid_t u;
    gid_t g;
    char e[256];
    CHECK(image_config_parse_user("", &u, &g, e, sizeof e) == 0 && u == 0 && g == 0);
    CHECK(image_config_parse_user("1000", &u, &g, e, sizeof e) == 0 && u == 1000 && g == 0);
    CHECK(image_config_parse_user("1000:1001", &u, &g, e, sizeof e) == 0 && u == 1000 && g == 1001);
    CHECK(image_config_parse_user("0:0", &u, &g, e, sizeof e) == 0 && u == 0 && g == 0);
    CHECK(image_config_parse_user("4294967294:4294967294", &u, &g, e, sizeof e) == 0 &&
          u == 4294967294u && g == 4294967294u);
    const char *bad[] = {"root", "1000:staff", "4294967295", "99999999999", "-1", "+1",
                         "1000:", ":1000", " 1000", "1000 ", "1:2:3", "0x10", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = image_config_parse_user(bad[i], &u, &g, e, sizeof e);
        CHECK(rc == -1);
        if (rc == -1)
            CHECK_HAS(e, "names are not supported");
    }
    CHECK(parse("{\"config\": {\"Cmd\": [\"x\"],\n \"User\": \"nobody\"}}") != NULL);
    CHECK_STR(err, "c.json: line 2 col 10: config.User \"nobody\": expected a numeric uid "
                   "or uid:gid (0..4294967294; user and group names are not supported)");
}

static void test_refused_documents(void)
{
    CHECK_STR(parse("{\"config\": {\n  \"Entrypoint\": \"/bin/sh\"}}"),
              "c.json: line 2 col 17: config.Entrypoint: expected an array of strings "
              "or null, found string");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\", 1]}}"),
              "c.json: line 1 col 26: config.Cmd[1]: expected a string, found number");
    CHECK_STR(parse("{\"config\": {\"Cmd\": {}}}"),
              "c.json: line 1 col 20: config.Cmd: expected an array of strings or null, "
              "found object");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"Env\": [\"A=1\", null]}}"),
              "c.json: line 1 col 42: config.Env[1]: expected a string, found null");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"Env\": [\"A=1\", [\"B=2\"]]}}"),
              "c.json: line 1 col 42: config.Env[1]: expected a string, found array");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"Env\": \"A=1\"}}"),
              "c.json: line 1 col 34: config.Env: expected an array of strings or null, "
              "found string");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"Env\": [\"NOEQUALS\"]}}"),
              "c.json: line 1 col 35: config.Env[0] \"NOEQUALS\": expected NAME=VALUE");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"Env\": [\"=x\"]}}"),
              "c.json: line 1 col 35: config.Env[0] \"=x\": expected NAME=VALUE");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"WorkingDir\": \"srv\"}}"),
              "c.json: line 1 col 41: config.WorkingDir \"srv\": must be an absolute path");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"WorkingDir\": 1}}"),
              "c.json: line 1 col 41: config.WorkingDir: expected a string or null, "
              "found number");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"User\": 1000}}"),
              "c.json: line 1 col 35: config.User: expected a string or null, found number");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"a\"], \"Cmd\": [\"b\"]}}"),
              "c.json: line 1 col 34: duplicate key \"Cmd\" in config");
    CHECK_STR(parse("{\"config\": {}, \"config\": {}}"),
              "c.json: line 1 col 26: duplicate key \"config\" in the top-level object");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"\", \"x\"]}}"),
              "c.json: the program to run (first string of Entrypoint + Cmd) is empty");
    /* Nothing to run. */
    const char *nothing = "c.json: config.Entrypoint and config.Cmd are both missing "
                          "or empty: nothing to run";
    CHECK_STR(parse("{}"), nothing);
    CHECK_STR(parse("{\"config\": null}"), nothing);
    CHECK_STR(parse("{\"config\": {\"Entrypoint\": [], \"Cmd\": null}}"), nothing);
    CHECK_STR(parse("{\"Entrypoint\": [\"sh\"]}"), nothing); /* not under "config" */
    /* Case matters, as in the OCI spec. */
    CHECK_STR(parse("{\"config\": {\"cmd\": [\"sh\"]}}"), nothing);
    /* Wrong shapes. */
    CHECK_STR(parse("[]"), "c.json: line 1 col 1: the top-level value must be an object, "
                           "found array");
    CHECK_STR(parse("{\"config\": []}"),
              "c.json: line 1 col 12: config: expected an object, found array");
    /* Syntax errors carry the name too. */
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"sh\"]"),
              "c.json: line 1 col 26: unexpected end of input, expected ',' or '}'");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"\\q\"]}}"), "c.json: line 1 col 22: bad escape '\\q'");
    CHECK_STR(parse(""), "c.json: line 1 col 1: empty document");
}

static void test_limits(void)
{
    /* Too deep. */
    char deep[200] = "{\"config\": {\"Cmd\": [\"a\"], \"Labels\": ";
    size_t n = strlen(deep);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    CHECK_STR(parse(deep), "c.json: line 1 col 67: nesting deeper than 32 levels");

    /* Too many arguments, too many env entries, too long a string. */
    size_t cap = 64 * 1024 + IMAGE_CONFIG_MAX_STRING;
    char *s = malloc(cap);
    n = (size_t)snprintf(s, cap, "{\"config\": {\"Cmd\": [");
    for (int i = 0; i <= IMAGE_CONFIG_MAX_ARGS; i++)
        n += (size_t)snprintf(s + n, cap - n, "%s\"a\"", i ? "," : "");
    snprintf(s + n, cap - n, "]}}");
    CHECK_STR(parse(s), "c.json: Entrypoint and Cmd have 4097 strings together, more than 4096");

    n = (size_t)snprintf(s, cap, "{\"config\": {\"Cmd\": [\"a\"], \"Env\": [");
    for (int i = 0; i <= IMAGE_CONFIG_MAX_ENV; i++)
        n += (size_t)snprintf(s + n, cap - n, "%s\"A%d=1\"", i ? "," : "", i);
    snprintf(s + n, cap - n, "]}}");
    CHECK_STR(parse(s), "c.json: config.Env has 1025 entries, more than 1024");

    n = (size_t)snprintf(s, cap, "{\"config\": {\"Cmd\": [\"");
    memset(s + n, 'x', IMAGE_CONFIG_MAX_STRING);
    n += IMAGE_CONFIG_MAX_STRING;
    snprintf(s + n, cap - n, "\"]}}");
    CHECK(parse(s) == NULL); /* exactly at the limit */
    n = (size_t)snprintf(s, cap, "{\"config\": {\"Cmd\": [\"a\", \"");
    memset(s + n, 'x', IMAGE_CONFIG_MAX_STRING + 1);
    n += IMAGE_CONFIG_MAX_STRING + 1;
    snprintf(s + n, cap - n, "\"]}}");
    CHECK_STR(parse(s), "c.json: line 1 col 26: config.Cmd[1]: string of 131072 bytes is "
                        "longer than 131071");
    free(s);
}

static const char *write_file(const char *dir, const char *name, const char *data, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len);
    close(fd);
    return path;
}

static void test_load(void)
{
    char dir[] = "/tmp/init-oci-test.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const char good[] = "{\"config\": {\"Cmd\": [\"true\"]}}";
    const char *p = write_file(dir, "good.json", good, sizeof good - 1);
    image_config_free(&cfg);
    CHECK(image_config_load(&cfg, p, err, sizeof err) == 0);
    CHECK_STR(join(cfg.argv), "true");
    image_config_free(&cfg);

    /* Truncated file: the message names the path. */
    p = write_file(dir, "cut.json", good, 22);
    CHECK(image_config_load(&cfg, p, err, sizeof err) == -1);
    char want[600];
    snprintf(want, sizeof want, "%s: line 1 col 21: unterminated string "
             "(unexpected end of input)", p);
    CHECK_STR(err, want);

    /* Too big: one byte over the limit, even if it is valid JSON. */
    char *big = malloc(IMAGE_CONFIG_MAX_BYTES + 1);
    memset(big, ' ', IMAGE_CONFIG_MAX_BYTES + 1);
    memcpy(big, good, sizeof good - 1);
    p = write_file(dir, "big.json", big, IMAGE_CONFIG_MAX_BYTES + 1);
    CHECK(image_config_load(&cfg, p, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: too big (more than 1048576 bytes)", p);
    CHECK_STR(err, want);
    p = write_file(dir, "max.json", big, IMAGE_CONFIG_MAX_BYTES);
    CHECK(image_config_load(&cfg, p, err, sizeof err) == 0);
    image_config_free(&cfg);
    free(big);

    /* Missing file, a directory. */
    snprintf(want, sizeof want, "%s/none.json", dir);
    CHECK(image_config_load(&cfg, want, err, sizeof err) == -1);
    CHECK_HAS(err, "/none.json: No such file or directory");
    CHECK_HAS(err, "open /tmp/init-oci-test.");
    CHECK(image_config_load(&cfg, dir, err, sizeof err) == -1);
    CHECK_HAS(err, ": not a regular file");

    const char *names[] = {"good.json", "cut.json", "big.json", "max.json"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(want, sizeof want, "%s/%s", dir, names[i]);
        unlink(want);
    }
    rmdir(dir);
}

static void test_hostname(void)
{
    /* Docker's image config has it; the OCI spec does not. */
    CHECK(parse("{\"config\": {\"Cmd\": [\"x\"], \"Hostname\": \"web-1.example.com\"}}") == NULL);
    CHECK_STR(cfg.hostname, "web-1.example.com");
    CHECK(parse("{\"config\": {\"Cmd\": [\"x\"], \"Hostname\": \"\", \"Domainname\": \"\"}}") == NULL);
    CHECK_STR(cfg.hostname, "");
    CHECK(parse("{\"config\": {\"Cmd\": [\"x\"], \"Hostname\": null}}") == NULL);
    CHECK_STR(cfg.hostname, "");
    CHECK(parse("{\"config\": {\"Cmd\": [\"x\"]}}") == NULL);
    CHECK_STR(cfg.hostname, "");
    /* What docker commit records: the container's short id. */
    CHECK(parse("{\"config\": {\"Cmd\": [\"x\"], \"Hostname\": \"3f4e5d6c7b8a\"}}") == NULL);
    CHECK_STR(cfg.hostname, "3f4e5d6c7b8a");

    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"x\"],\n \"Hostname\": \"my_host\"}}"),
              "c.json: line 2 col 14: config.Hostname \"my_host\": not a valid host name "
              "(RFC 1123): may hold only letters, digits, '-' and '.'");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"x\"], \"Hostname\": \"a\\nb\"}}"),
              "c.json: line 1 col 39: config.Hostname \"a\nb\": not a valid host name "
              "(RFC 1123): may hold only letters, digits, '-' and '.'");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"x\"], \"Hostname\": 7}}"),
              "c.json: line 1 col 39: config.Hostname: expected a string or null, found number");
    CHECK_STR(parse("{\"config\": {\"Cmd\": [\"x\"], \"Hostname\": \"a\", \"Hostname\": \"b\"}}"),
              "c.json: line 1 col 56: duplicate key \"Hostname\" in config");
    char doc[200];
    char name[70];
    memset(name, 'a', 65);
    name[65] = '\0';
    snprintf(doc, sizeof doc, "{\"config\": {\"Cmd\": [\"x\"], \"Hostname\": \"%s\"}}", name);
    CHECK_HAS(parse(doc), "config.Hostname \"aaaa");
    CHECK_HAS(err, "\": not a valid host name (RFC 1123): longer than 64 bytes");
}

int main(void)
{
    test_full_config();
    test_hostname();
    test_defaults();
    test_entrypoint_cmd_composition();
    test_env_merging();
    test_user();
    test_refused_documents();
    test_limits();
    test_load();
    image_config_free(&cfg);
    return CHECK_DONE("init-oci image config");
}
