"""Seeds for image_config_fuzz: image configs from payloads/init-oci/
IMAGE-CONFIG.md, its example (read from the document itself) and one
variant a rule: the defaults, Entrypoint + Cmd, Env merging, User,
Hostname, the limits, and each documented refusal. Each seed is (bytes, "accept" |
"refuse"[, "check-only"]).
"""

import json
import os
import re

MAX_LEN = 8192
DICT = [b'"config"', b'"Entrypoint"', b'"Cmd"', b'"Env"', b'"WorkingDir"', b'"User"',
        b'"PATH=', b'"HOME=', b"null", b"[]", b"{}", b'""', b'"/"', b'"0:0"', b'"4294967294"',
        b'"4294967295"', b":", b",", b"=", b'"Hostname"', b'"web-1.example.com"', b"."]

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DOC = os.path.join(REPO, "payloads", "init-oci", "IMAGE-CONFIG.md")


def documented_example():
    with open(DOC, encoding="utf-8") as f:
        m = re.search(r"```json\n(.*?)```", f.read(), re.S)
    return m.group(1) if m else None


def cfg(conf, **top):
    d = dict(top)
    d["config"] = conf
    return json.dumps(d)


def seeds():
    ex = documented_example()
    base = json.loads(ex)["config"] if ex else {"Cmd": ["/bin/sh"]}
    docker = {"architecture": "arm64", "os": "linux", "created": "2024-05-01T00:00:00Z",
              "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "a" * 64]},
              "history": [{"created_by": "CMD [\"sh\"]", "empty_layer": True}]}
    accept = {
        "docker-inspect": cfg({"Env": ["PATH=/usr/local/sbin:/usr/bin"], "Cmd": ["sh"],
                               "Entrypoint": None, "WorkingDir": "", "User": "",
                               "Labels": {"org.opencontainers.image.title": "x"},
                               "ExposedPorts": {"80/tcp": {}}, "Volumes": None,
                               "OnBuild": None}, **docker),
        "cmd-only": cfg({"Cmd": ["/bin/echo", "hi"]}),
        "entrypoint-only": cfg({"Entrypoint": ["/app"]}),
        "lookup-in-path": cfg({"Cmd": ["python3", "-c", "print(1)"], "Env": ["PATH=:/bin"]}),
        "env-repeat": cfg({"Cmd": ["x"], "Env": ["A=1", "B=2", "A=3", "PATH=/p", "A=", "HOME=/h"]}),
        "env-no-path-home-uid": cfg({"Cmd": ["x"], "Env": ["LANG=C.UTF-8"], "User": "1000"}),
        "env-no-path-home-root": cfg({"Cmd": ["x"], "Env": ["X==y"], "User": "0:1000"}),
        "env-empty-path": cfg({"Cmd": ["x"], "Env": ["PATH="]}),
        "nulls": cfg({"Cmd": ["x"], "Entrypoint": None, "Env": None, "WorkingDir": None,
                      "User": None}),
        "user-max": cfg({"Cmd": ["x"], "User": "4294967294:4294967294"}),
        "user-zeros": cfg({"Cmd": ["x"], "User": "0000000007:0"}),
        "workdir-deep": cfg({"Cmd": ["x"], "WorkingDir": "/srv/a b/\u00e9"}),
        "unicode-args": json.dumps({"config": {"Cmd": ["/bin/\u00e9", "\U0001f600", "\\u00e9"]}},
                                   ensure_ascii=True),
        "empty-second-arg": cfg({"Entrypoint": ["/bin/sh"], "Cmd": [""]}),
        "other-keys-dup": '{"config":{"Cmd":["x"],"Labels":{"a":1,"a":2}},"os":1,"os":2}',
        "hostname": cfg({"Cmd": ["x"], "Hostname": "web-1.example.com", "Domainname": ""}),
        "hostname-commit-id": cfg({"Cmd": ["x"], "Hostname": "3f4e5d6c7b8a"}),
        "hostname-empty": cfg({"Cmd": ["x"], "Hostname": ""}),
        "hostname-null": cfg({"Cmd": ["x"], "Hostname": None}),
        "hostname-64": cfg({"Cmd": ["x"], "Hostname": "a" * 30 + "." + "b" * 33}),
    }
    if ex:
        accept["documented-example"] = ex
    refuse = {
        "not-json": '{"config": {"Cmd": ["x"],}}',
        "top-array": "[]",
        "top-string": '"config"',
        "config-string": '{"config": "x"}',
        "config-missing": "{}",
        "config-null": '{"config": null}',
        "nothing-to-run": cfg({"Entrypoint": [], "Cmd": None}),
        "entrypoint-string": cfg({"Entrypoint": "/bin/sh"}),
        "cmd-number": cfg({"Cmd": ["x", 1]}),
        "cmd-nested": cfg({"Cmd": [["x"]]}),
        "empty-program": cfg({"Entrypoint": [""], "Cmd": ["x"]}),
        "env-no-equals": cfg({"Cmd": ["x"], "Env": ["A=1", "FOO"]}),
        "env-empty-name": cfg({"Cmd": ["x"], "Env": ["=x"]}),
        "env-object": cfg({"Cmd": ["x"], "Env": {"A": "1"}}),
        "user-name": cfg({"Cmd": ["x"], "User": "nobody"}),
        "user-colon": cfg({"Cmd": ["x"], "User": "1000:"}),
        "user-no-uid": cfg({"Cmd": ["x"], "User": ":1"}),
        "user-too-big": cfg({"Cmd": ["x"], "User": "4294967295"}),
        "user-gid-too-big": cfg({"Cmd": ["x"], "User": "1:4294967295"}),
        "user-11-digits": cfg({"Cmd": ["x"], "User": "00000000001"}),
        "user-three": cfg({"Cmd": ["x"], "User": "1:2:3"}),
        "user-negative": cfg({"Cmd": ["x"], "User": "-1"}),
        "user-number": cfg({"Cmd": ["x"], "User": 1000}),
        "workdir-relative": cfg({"Cmd": ["x"], "WorkingDir": "srv"}),
        "workdir-number": cfg({"Cmd": ["x"], "WorkingDir": 1}),
        "workdir-too-long": cfg({"Cmd": ["x"], "WorkingDir": "/" + "a" * 4095}),
        "dup-cmd": '{"config": {"Cmd": ["a"], "Cmd": ["b"]}}',
        "dup-config": '{"config": {"Cmd": ["a"]}, "config": {"Cmd": ["b"]}}',
        "dup-user": '{"config": {"Cmd": ["a"], "User": "1", "User": "2"}}',
        "nul-in-arg": '{"config": {"Cmd": ["a\\u0000b"]}}',
        "hostname-underscore": cfg({"Cmd": ["x"], "Hostname": "my_host"}),
        "hostname-newline": cfg({"Cmd": ["x"], "Hostname": "a\nb"}),
        "hostname-number": cfg({"Cmd": ["x"], "Hostname": 7}),
        "hostname-65": cfg({"Cmd": ["x"], "Hostname": "a" * 30 + "." + "b" * 34}),
        "hostname-dash": cfg({"Cmd": ["x"], "Hostname": "-web"}),
        "hostname-dot": cfg({"Cmd": ["x"], "Hostname": "web."}),
        "dup-hostname": '{"config": {"Cmd": ["a"], "Hostname": "a", "Hostname": "b"}}',
    }
    if ex:
        refuse["documented-example-truncated"] = ex[: len(ex) // 2]
    # The limits' edges: only checked, not mutated (large, and Env merging
    # is quadratic, so they would slow the run down for little).
    big = "x" * (128 * 1024 - 1)
    limits = {
        "ok-args-at-limit": (cfg({"Entrypoint": ["a"] * 2048, "Cmd": ["b"] * 2048}), "accept"),
        "ok-env-at-limit": (cfg({"Cmd": ["x"], "Env": ["A%d=" % i for i in range(1024)]}), "accept"),
        "ok-string-at-limit": (cfg({"Cmd": [big], "Env": ["A=" + big[2:]]}), "accept"),
        "ok-workdir-at-limit": (cfg({"Cmd": ["x"], "WorkingDir": "/" + "a" * 4094}), "accept"),
        "bad-args-over-limit": (cfg({"Entrypoint": ["a"] * 2048, "Cmd": ["b"] * 2049}), "refuse"),
        "bad-env-over-limit": (cfg({"Cmd": ["x"], "Env": ["A%d=" % i for i in range(1025)]}), "refuse"),
        "bad-arg-over-limit": (cfg({"Cmd": ["x", big + "x"]}), "refuse"),
        "bad-env-string-over-limit": (cfg({"Cmd": ["x"], "Env": ["A=" + big]}), "refuse"),
    }
    out = {name: (text.encode(), verdict, "check-only") for name, (text, verdict) in limits.items()}
    for name, text in accept.items():
        out["ok-" + name] = (text.encode(), "accept")
    for name, text in refuse.items():
        out["bad-" + name] = (text.encode(), "refuse")
    return out
