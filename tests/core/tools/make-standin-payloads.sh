#!/bin/sh
# Writes stand-in payloads (a fake arm64 Image with a valid header, two fake
# executables) and a manifest.json in the payload contract's format into DIR.
# For developing and testing the core before the real payloads exist; never
# commit the output.
#   usage: make-standin-payloads.sh DIR [KERNEL_MIB]
set -eu
dir=${1:?usage: make-standin-payloads.sh DIR [KERNEL_MIB]}
kernel_mib=${2:-12}
mkdir -p "$dir"
cd "$dir"

# Text that compresses roughly like code does (xz ratio near 3-4).
filler() { # bytes
  i=0
  while :; do
    head -c 4096 /dev/urandom | od -An -tx2 -w32 -v
    i=$((i + 1))
  done | head -c "$1"
}

# arm64 Image header: code0, code1, text_offset, image_size, flags, res2-4,
# magic "ARM\x64", res5.  Little-endian throughout.
le64() { # value -> 8 bytes LE via printf octal escapes
  v=$1; out=''
  for _ in 1 2 3 4 5 6 7 8; do out="$out$(printf '\\%03o' $((v & 255)))"; v=$((v >> 8)); done
  printf "$out"
}
size=$((kernel_mib * 1024 * 1024))
{
  printf 'MZ\000\221'; printf '\000\000\000\024'   # code0 ("MZ" + add), code1
  le64 0                                         # text_offset
  le64 $((size + 65536))                         # image_size (effective)
  le64 10                                        # flags: LE, 4K pages, anywhere
  le64 0; le64 0; le64 0                         # res2..res4
  printf 'ARM\144'                               # magic
  printf '\000\000\000\000'                      # res5
  printf 'Linux version 6.12.0-standin (standin@localhost) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT 1970-01-01\n\000'
  filler $((size - 64 - 115))
} > kernel
{ printf '\177ELF\002\001\001\000'; filler $((1536 * 1024 + 77)); } > init-oci
{ printf '\177ELF\002\001\001\000'; filler $((412 * 1024 + 5)); } > supermachine-agent
chmod 0644 kernel; chmod 0755 init-oci supermachine-agent

for f in kernel init-oci supermachine-agent; do
  xz --format=xz --check=crc64 --lzma2=preset=9,dict=1MiB --block-size=1MiB \
     --threads=2 -k -f -c "$f" > "$f.xz"
done

sha() { sha256sum "$1" | cut -d' ' -f1; }
sz() { wc -c < "$1" | tr -d ' '; }
entry() { # name file mode extra
  printf '    {"name": "%s", "file": "%s", "xz": "%s.xz", "mode": "%s", "arch": "aarch64",\n' "$1" "$2" "$2" "$3"
  printf '     "size": %s, "sha256": "%s", "xz_size": %s, "xz_sha256": "%s",\n' \
    "$(sz "$2")" "$(sha "$2")" "$(sz "$2.xz")" "$(sha "$2.xz")"
  printf '     "source": {"package": "standin", "version": "0"},\n'
  printf '     "toolchain": "none", "recipe": "tests/core/tools/make-standin-payloads.sh"%s}' "$4"
}
{
  printf '{\n  "format": 1,\n  "assets": [\n'
  entry kernel kernel 0644 ', "release": "6.12.0-standin"'; printf ',\n'
  entry init_oci init-oci 0755 ''; printf ',\n'
  entry supermachine_agent supermachine-agent 0755 ''; printf '\n'
  printf '  ]\n}\n'
} > manifest.json
