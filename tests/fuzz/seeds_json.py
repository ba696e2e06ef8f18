"""Seeds for json_fuzz: documents that payloads/init-oci/json.h's strict
RFC 8259 reader must accept, and ones it must refuse (one a case of
IMAGE-CONFIG.md's "JSON accepted" list, and the edges of each rule).
Each seed is (bytes, "accept" | "refuse").
"""

import json

MAX_LEN = 8192
DICT = [b"{", b"}", b"[", b"]", b",", b":", b'"', b'""', b"\\", b"\\u", b"\\ud83d\\ude00",
        b"\\ud800", b"\\udc00", b"\\u0000", b"\\n", b'\\"', b"true", b"false", b"null",
        b"-", b"0", b"1", b".5", b"e+", b"E-", b"\xc3\xa9", b"\xe2\x82\xac",
        b"\xf0\x9f\x98\x80", b"\xed\xa0\x80", b"\xc0\x80", b"\xef\xbb\xbf", b" ", b"\t",
        b"\r\n"]

DEPTH = 32  # JSON_MAX_DEPTH

ACCEPT = [
    b"{}", b"[]", b"0", b"-0", b"-0.0e0", b"7", b"1.5e+10", b"-12.34E-5", b"123456789012345678901234567890",
    b'"str"', b'""', b"true", b"false", b"null",
    b' \t\r\n{ "a" : [ 1 , 2 ] , "b" : { } } \n',
    b'"\\u00e9\\u20ac\\ud83d\\ude00\\uFFFF\\u0001"',
    '"\u00e9\u20ac\U0001f600\U0010ffff\u0080\u07ff\u0800\ud7ff\ue000"'.encode(),
    b'"\\"\\\\\\/\\b\\f\\n\\r\\t"',
    b'{"a":1,"a":2,"b":[true,false,null]}',
    b'{"":0,"\\u0041":"A"}',
    b"[" * DEPTH + b"]" * DEPTH,
    b'{"a":' * (DEPTH - 1) + b"[]" + b"}" * (DEPTH - 1),
    b"[" + b",".join(b"%d" % i for i in range(200)) + b"]",
    b"[" + b",".join(b'{"k%d":"v"}' % i for i in range(50)) + b"]",
    b'{\n  "multi": [\n    "line",\n    1\n  ]\n}',
]

REFUSE = [
    b"", b" \n\t", b"{,}", b"[1,]", b'{"a":1,}', b"[,1]", b"01", b"-01", b"+1", b".5", b"1.",
    b"1e", b"1e+", b"-", b"--1", b"0x10", b"Infinity", b"NaN", b"tru", b"nul", b"fals",
    b"True", b"'a'", b"// c\n{}", b"/* c */{}", b"\xef\xbb\xbf{}",
    b'"\\u0000"', b'"\\ud800"', b'"\\udc00"', b'"\\ud800\\u0041"', b'"\\ud800x"',
    b'"\\u12"', b'"\\uZZZZ"', b'"\\x"', b'"\\', b'"\\u', b'"\x01"', b'"a\nb"', b'"\x7f\x00"',
    b'"\xc0\x80"', b'"\xc1\xbf"', b'"\xe0\x80\x80"', b'"\xed\xa0\x80"', b'"\xf0\x80\x80\x80"',
    b'"\xf4\x90\x80\x80"', b'"\xf5\x80\x80\x80"', b'"\xff"', b'"\xe2\x82"', b'"\xe2\x82',
    b'"\x80"', b'"\xc3"', b'"abc', b'{"a" 1}', b'{"a":}', b"{1:2}", b"{a:1}", b"[1 2]",
    b"{} {}", b"{}x", b"[", b"{", b'{"a"', b'{"a":1', b"[1", b"]",
    b"[" * (DEPTH + 1) + b"]" * (DEPTH + 1),
    b'{"a":' * DEPTH + b"[]" + b"}" * DEPTH,
    b"[1]\x00", b"\x00",
]


def seeds():
    out = {}
    for i, d in enumerate(ACCEPT):
        out[f"ok-{i:02d}"] = (d, "accept")
    for i, d in enumerate(REFUSE):
        out[f"bad-{i:02d}"] = (d, "refuse")
    doc = {"architecture": "arm64", "os": "linux",
           "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["sh"], "Labels": {"a": "b"},
                      "ExposedPorts": {"80/tcp": {}}, "Volumes": None, "StopSignal": "SIGTERM"},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
           "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop)",
                        "empty_layer": True, "size": 1.5e3}]}
    out["ok-pretty"] = (json.dumps(doc, indent=2).encode(), "accept")
    out["ok-ascii"] = (json.dumps({"s": "\u00e9\U0001f600"}, ensure_ascii=True).encode(), "accept")
    return out
