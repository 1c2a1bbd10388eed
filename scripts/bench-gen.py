#!/usr/bin/env python3
"""Generates the file tree that scripts/bench sweeps with antibody, yr and yara.

A deterministic (same seed, same bytes), harmless mix of what a file server
or a home directory holds:

- text: prose, source code, logs, CSV and JSON (lognormal sizes, median
  about 8 KB);
- binary-like blobs: random bytes, low-entropy structured records, and
  files with an MZ/PE or ELF header followed by zeros or random data (a
  bare header only: no sections, no entry point, no code);
- a few large files (1-50 MB): logs, disk-image-like and random data;
- zip and tar.gz archives holding a few members each (about 3% of files);
- planted files (about 0.5%): inert files carrying the *published* traits
  of WellMess, WellMail and SoreFang with a proper fake file header, so the
  YARA rules of the built-in pack `apt29-2020` fire on them (the same kind
  of file as examples/generate.py writes); some of them sit inside
  compressed archives (only a tool that opens archives sees those), and a
  few decoys carry single traits that must match nothing.

Nothing here runs and nothing comes from a real sample. The published
traits are written below with a `~` inside (removed when a file is
written), so that this script does not itself match the pack.

Usage:
  python3 scripts/bench-gen.py [--out DIR] [--size 2G] [--files 50000]
                               [--seed 1] [--force]

Standard library only. Next to the tree it writes DIR.manifest.json: the
parameters and the expected matches (per YARA rule, for plain files and
for archive members), which scripts/bench reads.
"""

import argparse
import io
import json
import math
import os
import random
import shutil
import struct
import sys
import tarfile
import time
import zipfile
from pathlib import Path

GENERATOR_VERSION = 2
FIXED_MTIME = 1594857600  # 2020-07-16 00:00:00 UTC, for every file
KB, MB = 1024, 1024 * 1024

# ---------------------------------------------------------------------------
# Published traits (guarded with `~`), as in examples/generate.py.


def trait(s: str) -> bytes:
    return s.replace("~", "").encode("ascii")


def wide(s: str) -> bytes:
    return s.replace("~", "").encode("utf-16-le")


GO_RUNTIME = [b"runtime.main", b"runtime.goexit", b"runtime.gcBgMarkWorker",
              b"runtime.mallocgc", b"main.main", b"main.init"]
WELLMESS_GO = [trait("botlib.well~Mess"), trait("botlib.Com~mand"), trait("botlib.Down~load"),
               trait("botlib.AES_~Encrypt"), trait("botlib.Se~ndD"), trait("botlib.z32~decode"),
               trait("C:/Server/BotUI/App_~Data/Temp/") + b"bench/main.go"]
WELLMAIL = [trait("C:/Server/Mail/App_~Data/Temp/agent.sh/src/main.go"), trait("main.zip~it"),
            trait("HgQdbx~4qRNv"), trait("042a51567eea19d5~aca71050b4535d33d2ed43ba")]
SOREFANG = [trait("Cookie:_~ga="), trait("------974767299852~498929531610575"),
            trait("2b6233eb3e872ff7~8988f4a8f3f6a3ba"),
            trait("----------All us~res directory----------"),
            trait("----------Desktop di~rectory----------"), trait("Free on ~disk: "),
            trait("Total ~disk: "), trait("I can not het inform~ation about this disk"),
            struct.pack("<II", 0xB7E15163, 0x9E3779B9)]
NOTE = b"antibody benchmark file: synthetic, inert data, no code (scripts/bench-gen.py)\0"

# ---------------------------------------------------------------------------
# Fake headers (a valid file type, nothing loadable).


def pe_header(pe32_plus: bool = True) -> bytearray:
    h = bytearray(0x200)
    h[0:2] = b"MZ"
    struct.pack_into("<I", h, 0x3C, 0x80)
    h[0x40:0x40 + len(NOTE)] = NOTE
    h[0x80:0x84] = b"PE\0\0"
    machine, opt_size, magic = (0x8664, 0xF0, 0x20B) if pe32_plus else (0x14C, 0xE0, 0x10B)
    struct.pack_into("<HHIIIHH", h, 0x84, machine, 0, 0, 0, 0, opt_size, 0x0002)
    struct.pack_into("<H", h, 0x98, magic)
    return h


def elf_header() -> bytearray:
    h = bytearray(0x200)
    h[0:8] = b"\x7fELF\x02\x01\x01\x00"
    struct.pack_into("<HHIQQQIHHHHHH", h, 16, 2, 0x3E, 1, 0, 0, 0, 0, 64, 0, 0, 64, 0, 0)
    h[0x40:0x40 + len(NOTE)] = NOTE
    return h


def dotnet_blob(strings: list, user_strings: list) -> bytes:
    version = b"v4.0.30319\0\0"
    root = b"BSJB" + struct.pack("<HHII", 1, 1, 0, len(version)) + version
    streams = b"#~\0\0#Strings\0\0\0\0#US\0#GUID\0\0\0#Blob\0\0\0"
    heap = b"\0" + b"\0".join(strings) + b"\0"
    us = b"\0" + b"".join(bytes([len(u) + 1]) + u + b"\0" for u in user_strings)
    return b"\0".join([b"mscoree.dll", b"_CorExeMain", root + streams + heap + us])


# ---------------------------------------------------------------------------
# Text pools: generated once, files are slices of them.

WORDS = (
    "the of and to in is for on that with as by this from at be are or an it was "
    "server client request response file folder user group policy update report "
    "system service network address port value table index record session token "
    "config build release version install package module function method class "
    "error warning notice debug trace event queue buffer cache memory disk volume "
    "backup restore archive export import schedule task worker thread process job "
    "vaccine research trial sample dataset analysis result figure protocol cohort "
    "meeting budget invoice contract supplier customer order payment shipping "
    "quarterly annual review draft final approved pending rejected signed "
    "manager engineer analyst director team project milestone deadline status"
).split()
IDENTS = ("count total buf len idx node item key val ctx req resp cfg path name data "
          "result err opts state handle conn stream reader writer parser token").split()
TYPES = ["int", "size_t", "char *", "uint32_t", "bool", "double", "struct node *"]
HOSTS = ["web01", "web02", "db01", "mail", "fs01", "build", "gw01", "ldap"]
PROGS = ["sshd", "cron", "systemd", "kernel", "postfix/smtpd", "nginx", "dockerd", "sudo"]
PATHS = ["/", "/index.html", "/login", "/api/v1/items", "/static/app.js", "/images/logo.png",
         "/search?q=report", "/favicon.ico", "/api/v1/users/42", "/robots.txt"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (X11; Linux x86_64)",
          "curl/7.88.1", "Mozilla/5.0 (Macintosh; Intel Mac OS X 13_5)"]


def doc_ip(r: random.Random) -> str:
    # Documentation ranges only (RFC 5737).
    return f"{r.choice(['192.0.2', '198.51.100', '203.0.113'])}.{r.randint(1, 254)}"


def sentence(r: random.Random) -> str:
    return " ".join(r.choices(WORDS, k=r.randint(6, 18))).capitalize() + "."


def gen_prose(r: random.Random) -> str:
    if r.random() < 0.15:
        return "\n## " + " ".join(r.choice(WORDS) for _ in range(r.randint(2, 5))).title() + "\n"
    return " ".join(sentence(r) for _ in range(r.randint(1, 5)))


def gen_source(r: random.Random) -> str:
    i = r.choice(IDENTS)
    j = r.choice(IDENTS)
    k = r.randint(0, 4096)
    t = r.choice(TYPES)
    pad = "    " * r.randint(0, 3)
    forms = [
        f"{pad}{t} {i} = {j} + {k};",
        f"{pad}if ({i} < {j}) {{",
        f"{pad}}}",
        f"{pad}for (int n = 0; n < {k}; n++) {{ {i}[n] = {j}[n] ^ 0x{k & 255:02x}; }}",
        f"{pad}return {i};",
        f"{pad}// {sentence(r)}",
        f"{pad}def {i}_{j}(self, {j}, {i}={k}):",
        f"{pad}let {i}: Vec<u8> = {j}.iter().map(|x| x + {k}).collect();",
        f"{pad}log.debug(\"{i}=%d {j}=%s\", {i}, {j})",
        f"static {t} {i}_{j}({t} {i}, {t} {j});",
        "",
    ]
    return r.choice(forms)


def gen_log(r: random.Random) -> str:
    day = r.randint(1, 28)
    hh, mm, ss = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
    if r.random() < 0.5:
        return (f'{doc_ip(r)} - - [{day:02d}/Jun/2020:{hh:02d}:{mm:02d}:{ss:02d} +0000] '
                f'"{r.choice(["GET", "GET", "GET", "POST"])} {r.choice(PATHS)} HTTP/1.1" '
                f'{r.choice([200, 200, 200, 304, 404, 302, 500])} {r.randint(0, 90000)} "-" '
                f'"{r.choice(AGENTS)}"')
    return (f"Jun {day:2d} {hh:02d}:{mm:02d}:{ss:02d} {r.choice(HOSTS)} {r.choice(PROGS)}"
            f"[{r.randint(100, 65000)}]: {sentence(r)}")


def gen_csv(r: random.Random) -> str:
    return ",".join([str(r.randint(1, 10**6)), r.choice(WORDS), r.choice(WORDS),
                     f"{r.random() * 1000:.3f}", f"2020-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
                     r.choice(["ok", "fail", "pending"])])


def gen_json(r: random.Random) -> str:
    return json.dumps({"id": r.randint(1, 10**9), "user": r.choice(WORDS) + str(r.randint(1, 999)),
                       "event": r.choice(WORDS), "src": doc_ip(r), "bytes": r.randint(0, 10**6),
                       "ok": r.random() < 0.9, "note": sentence(r)})


TEXT_KINDS = {
    # kind: (line generator, file extensions)
    "prose": (gen_prose, [".txt", ".md", ".rst", ".html"]),
    "source": (gen_source, [".c", ".h", ".py", ".rs", ".go", ".js", ".java"]),
    "log": (gen_log, [".log", ".log.1", ".out"]),
    "csv": (gen_csv, [".csv", ".tsv"]),
    "json": (gen_json, [".json", ".jsonl", ".ndjson"]),
}
POOL_SIZE = 1 * MB


def make_pool(r: random.Random, gen) -> bytes:
    parts, n = [], 0
    while n < POOL_SIZE:
        line = gen(r) + "\n"
        parts.append(line)
        n += len(line)
    return "".join(parts).encode()


def structured_pool(r: random.Random) -> bytes:
    """Low-entropy binary: fixed-size records with counters, small fields,
    zero padding and a repeated tag, like a database page or a log index."""
    out = bytearray()
    t = 1_500_000_000
    rec = 0
    while len(out) < POOL_SIZE:
        t += r.randint(0, 30)
        rec += 1
        out += struct.pack("<IIHHI8s12x", rec, t, r.randint(0, 7), r.randint(0, 300),
                           r.randint(0, 1 << 16), r.choice([b"RECORD\0\0", b"ENTRY\0\0\0", b"PAGE\0\0\0\0"]))
    return bytes(out)


class Pools:
    def __init__(self, seed: int):
        r = random.Random(f"pools:{seed}")
        self.text = {k: make_pool(r, g) for k, (g, _) in TEXT_KINDS.items()}
        self.structured = structured_pool(r)

    @staticmethod
    def slice(pool: bytes, r: random.Random, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            start = r.randrange(0, len(pool) - 1)
            nl = pool.find(b"\n", start)  # start on a line (text pools)
            start = nl + 1 if 0 <= nl < start + 4096 else start
            out += pool[start:start + (size - len(out))]
        return bytes(out)


# ---------------------------------------------------------------------------
# Content per kind.


def fill(pools: Pools, r: random.Random, kind: str, size: int) -> bytes:
    if kind in TEXT_KINDS:
        return Pools.slice(pools.text[kind], r, size)
    if kind == "random":
        return r.randbytes(size)
    if kind == "structured":
        return Pools.slice(pools.structured, r, size)
    if kind in ("pe-zero", "pe-random", "elf-zero", "elf-random"):
        h = pe_header(r.random() < 0.7) if kind.startswith("pe") else elf_header()
        h = bytes(h[:size])
        rest = max(0, size - len(h))
        return h + (bytes(rest) if kind.endswith("zero") else r.randbytes(rest))
    if kind == "diskimage":  # large: runs of zeros, structured and random
        out = bytearray()
        while len(out) < size:
            n = min(size - len(out), r.randint(64 * KB, 2 * MB))
            c = r.random()
            out += bytes(n) if c < 0.4 else (Pools.slice(pools.structured, r, n) if c < 0.7 else r.randbytes(n))
        return bytes(out)
    raise ValueError(kind)


BIN_EXT = {"random": [".bin", ".dat", ".enc", ".jpg", ".png", ".gz"],
           "structured": [".db", ".idx", ".dat", ".pak", ".sqlite"],
           "pe-zero": [".exe", ".dll"], "pe-random": [".exe", ".dll", ".sys"],
           "elf-zero": ["", ".so"], "elf-random": ["", ".so", ".bin"],
           "diskimage": [".img", ".vhd", ".raw"]}


def ext_of(kind: str, r: random.Random) -> str:
    if kind in TEXT_KINDS:
        return r.choice(TEXT_KINDS[kind][1])
    return r.choice(BIN_EXT[kind])


# ---------------------------------------------------------------------------
# Planted files: (kind, rule that must fire, or None for decoys, extension).

PLANTS = [
    ("wellmess-go-pe", "APT29_WellMess_Go_PE", ".exe"),
    ("wellmess-go-elf", "APT29_WellMess_Go_ELF", ""),
    ("wellmail-elf", "APT29_WellMail_Go_ELF", ""),
    ("wellmess-dotnet", "APT29_WellMess_DotNet", ".exe"),
    ("sorefang-pe", "APT29_SoreFang_PE", ".exe"),
    ("c2-capture", "APT29_WellMess_C2_Markers_Text", ".log"),
    ("decoy-go-pe", None, ".exe"),
    ("decoy-symbols", None, ".txt"),
]


def scatter(r: random.Random, header: bytes, parts: list, size: int, fill_random: bool) -> bytes:
    """Header, then filler with the parts spread through it."""
    body_len = max(size - len(header), sum(len(p) + 64 for p in parts))
    body = bytearray(r.randbytes(body_len) if fill_random else bytes(body_len))
    slots = sorted(r.sample(range(0, body_len - 64 - max(len(p) for p in parts)), len(parts)))
    pos = 0
    for slot, p in zip(slots, parts):
        at = max(slot, pos)
        if at + len(p) + 2 > body_len:
            break
        body[at:at + len(p) + 2] = b"\0" + p + b"\0"
        pos = at + len(p) + 2
    else:
        return bytes(header) + bytes(body)
    raise RuntimeError("planted parts did not fit")


def planted(pools: Pools, r: random.Random, kind: str, member: bool = False) -> bytes:
    size = int(min(4 * MB, max(8 * KB, r.lognormvariate(math.log(64 * KB), 1.0))))
    # Zeros or random bytes between the strings. Archive members get zeros:
    # random filler would make deflate emit stored blocks and leave the
    # strings readable in the archive file itself.
    noisy = r.random() < 0.5 and not member
    if kind == "wellmess-go-pe":
        return scatter(r, pe_header(), GO_RUNTIME + WELLMESS_GO, size, noisy)
    if kind == "wellmess-go-elf":
        return scatter(r, elf_header(), GO_RUNTIME + WELLMESS_GO, size, noisy)
    if kind == "wellmail-elf":
        return scatter(r, elf_header(), GO_RUNTIME + WELLMAIL, size, noisy)
    if kind == "wellmess-dotnet":
        blob = dotnet_blob(
            [b"Program", b"Main", trait("Well~Mess"), trait("AES_~Encrypt"),
             trait("FromNormal~ToBase64"), trait("FromBase64~ToNormal")],
            [wide("<;he~ad;><;ti~tle;>"), wide("<;ti~tle;><;ser~vice;>"),
             wide("Health~Interval"), wide("Hello from ~Proxy"), wide("Start ~bot:")])
        return scatter(r, pe_header(False), [blob], size, noisy)
    if kind == "sorefang-pe":
        return scatter(r, pe_header(False), SOREFANG, size, noisy)
    if kind == "c2-capture":
        before = Pools.slice(pools.text["log"], r, size // 2)
        body = (trait("<;he~ad;>") + b"YmVuY2htYXJr" + trait("<;ti~tle;>") + b"c3ludGhldGlj"
                + trait("<;ser~vice;>") + b"aGFybWxlc3M")
        line = b"198.51.100.23 POST / body=" + body + b"\n"
        return before + line + Pools.slice(pools.text["log"], r, max(0, size - len(before) - len(line)))
    if kind == "decoy-go-pe":
        return scatter(r, pe_header(), GO_RUNTIME + [b"fmt.Println", trait("botlib.in~it")], size, noisy)
    if kind == "decoy-symbols":
        names = ["botlib.Com~mand", "botlib.Down~load", "botlib.z32~decode", "runtime.main"]
        note = ("Go function names noted while reading a report:\n"
                + "".join("  " + trait(n).decode() + "\n" for n in names)).encode()
        return note + Pools.slice(pools.text["prose"], r, max(0, size // 8 - len(note)))
    raise ValueError(kind)


# ---------------------------------------------------------------------------
# Archives.


def zip_bytes(members: list, r: random.Random) -> bytes:
    buf = io.BytesIO()
    stored = r.random() < 0.25
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, force_deflate in members:
            info = zipfile.ZipInfo(name, date_time=(2020, 7, 16, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if (force_deflate or not stored) else zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=6)
    return buf.getvalue()


def tgz_bytes(members: list) -> bytes:
    buf = io.BytesIO()
    # mtime=0 in the gzip header keeps the output the same on every run.
    import gzip
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as t:
            for name, data, _ in members:
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mtime = FIXED_MTIME
                ti.mode = 0o644
                ti.uname = ti.gname = "bench"
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


# ---------------------------------------------------------------------------
# The plan: every file's path, kind and size, drawn first.


def parse_size(s: str) -> int:
    s = s.strip().upper().removesuffix("B").removesuffix("I")
    mult = {"K": KB, "M": MB, "G": 1024 * MB}.get(s[-1:], 1)
    return int(float(s[:-1] if s[-1:] in "KMG" else s) * mult)


def lognormal(r: random.Random, median: float, sigma: float, lo: int, hi: int) -> int:
    return int(min(hi, max(lo, r.lognormvariate(math.log(median), sigma))))


def plan(total: int, nfiles: int, seed: int) -> list:
    r = random.Random(f"plan:{seed}")
    n_archive = max(2, round(nfiles * 0.03))
    n_plant = max(len(PLANTS), round(nfiles * 0.005))
    # Large files take about 40% of the bytes, 1-50 MB each (25 MB on average).
    n_large = max(1, round(total * 0.40 / (25 * MB)))
    plants = [PLANTS[i % len(PLANTS)] for i in range(n_plant)]
    r.shuffle(plants)
    # About a third of the rule-firing plants go inside archives (as members,
    # so they do not count as files of the tree).
    in_archive = {i for i in r.sample(range(n_plant), n_plant // 3) if plants[i][1] is not None}
    n_small = nfiles - n_archive - (n_plant - len(in_archive)) - n_large
    if n_small < 10:
        sys.exit("bench-gen: too few files for this mix")
    files = []  # dicts: kind, size (approximate for archives and plants)
    text_kinds = ["prose", "source", "source", "log", "csv", "json"]
    bin_kinds = ["random", "random", "structured", "structured", "pe-zero", "pe-random", "elf-zero", "elf-random"]
    for _ in range(n_small):
        if r.random() < 0.62:
            files.append({"kind": r.choice(text_kinds), "size": lognormal(r, 8 * KB, 1.2, 16, 2 * MB)})
        else:
            files.append({"kind": r.choice(bin_kinds), "size": lognormal(r, 16 * KB, 1.4, 64, 4 * MB)})
    small_bytes = sum(f["size"] for f in files)
    budget_small = total * 0.55
    if small_bytes > budget_small:  # a small tree with many files: shrink them
        k = budget_small / small_bytes
        for f in files:
            f["size"] = max(16, int(f["size"] * k))
        small_bytes = sum(f["size"] for f in files)
    # Archives and plants: a few percent of the bytes.
    for i, (kind, rule, ext) in enumerate(plants):
        if i in in_archive:
            continue
        files.append({"kind": "plant:" + kind, "rule": rule, "ext": ext, "size": 0})
    archive_plants = [plants[i] for i in sorted(in_archive)]
    for i in range(n_archive):
        members = []
        for _ in range(r.randint(2, 6)):
            if r.random() < 0.6:
                members.append({"kind": r.choice(text_kinds), "size": lognormal(r, 16 * KB, 1.2, 16, 2 * MB)})
            else:
                members.append({"kind": r.choice(bin_kinds[:4]), "size": lognormal(r, 16 * KB, 1.2, 64, 2 * MB)})
        files.append({"kind": r.choice(["zip", "zip", "tgz"]), "members": members, "size": 0})
    # Spread the in-archive plants over the first archives.
    archives = [f for f in files if f["kind"] in ("zip", "tgz")]
    for j, (kind, rule, ext) in enumerate(archive_plants):
        archives[j % len(archives)]["members"].append({"kind": "plant:" + kind, "rule": rule, "ext": ext, "size": 0})
    # Large files fill the rest of the budget.
    rest = max(n_large * MB, total - small_bytes - n_archive * 60 * KB - n_plant * 100 * KB)
    sizes = [r.uniform(1, 50) for _ in range(n_large)]
    k = rest / (sum(sizes) * MB)
    for s in sizes:
        files.append({"kind": r.choice(["log", "diskimage", "diskimage", "random", "structured"]),
                      "size": int(min(50 * MB, max(1 * MB, s * k * MB))), "large": True})
    r.shuffle(files)
    # Paths: top/sub/name, about 120 files per folder.
    tops = ["home", "srv", "projects", "shared", "backup", "var", "opt", "users"]
    per_dir = 120
    dirs = []
    for i in range(math.ceil(len(files) / per_dir)):
        top = tops[i % len(tops)]
        dirs.append(f"{top}/{r.choice(WORDS)}-{i:04d}/{r.choice(WORDS)}")
    used = set()
    for i, f in enumerate(files):
        d = dirs[i // per_dir]
        kind = f["kind"]
        if kind.startswith("plant:"):
            ext = f["ext"]
        elif kind == "zip":
            ext = ".zip"
        elif kind == "tgz":
            ext = ".tar.gz"
        else:
            ext = ext_of(kind, r)
        while True:
            name = f"{r.choice(WORDS)}_{r.choice(IDENTS)}{r.randint(0, 9999)}{ext}"
            if (d, name) not in used:
                used.add((d, name))
                break
        f["path"] = f"{d}/{name}"
        for m_i, m in enumerate(f.get("members", [])):
            mk = m["kind"]
            mext = m["ext"] if mk.startswith("plant:") else ext_of(mk, r)
            m["path"] = f"{r.choice(WORDS)}/{m_i:02d}_{r.choice(IDENTS)}{mext}"
    return files


def content(pools: Pools, seed: int, idx: str, spec: dict) -> bytes:
    r = random.Random(f"file:{seed}:{idx}")
    kind = spec["kind"]
    if kind.startswith("plant:"):
        return planted(pools, r, kind[6:], member="/" in idx)
    if kind in ("zip", "tgz"):
        members = [(m["path"], content(pools, seed, f"{idx}/{j}", m), m["kind"].startswith("plant:"))
                   for j, m in enumerate(spec["members"])]
        return zip_bytes(members, r) if kind == "zip" else tgz_bytes(members)
    return fill(pools, r, kind, spec["size"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="/tmp/antibody-bench/tree", help="tree folder (default %(default)s)")
    ap.add_argument("--size", default="2G", help="about this many bytes in all (K/M/G; default %(default)s)")
    ap.add_argument("--files", type=int, default=50_000, help="number of files (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    ap.add_argument("--force", action="store_true", help="replace an existing tree")
    a = ap.parse_args()
    out = Path(a.out)
    manifest_path = Path(str(out).rstrip("/") + ".manifest.json")
    if out.exists():
        if not a.force:
            sys.exit(f"bench-gen: {out} exists (use --force to replace it)")
        shutil.rmtree(out)
    manifest_path.unlink(missing_ok=True)
    total = parse_size(a.size)
    t0 = time.time()
    files = plan(total, a.files, a.seed)
    pools = Pools(a.seed)
    nbytes = 0
    expected_plain, expected_archive, decoys = {}, {}, 0
    counts = {}
    out.mkdir(parents=True)
    for i, spec in enumerate(files):
        p = out / spec["path"]
        p.parent.mkdir(parents=True, exist_ok=True)
        data = content(pools, a.seed, str(i), spec)
        p.write_bytes(data)
        os.utime(p, (FIXED_MTIME, FIXED_MTIME))
        nbytes += len(data)
        kind = spec["kind"]
        cat = "plant" if kind.startswith("plant:") else ("large" if spec.get("large") else kind)
        counts[cat] = counts.get(cat, 0) + 1
        if kind.startswith("plant:"):
            if spec["rule"]:
                expected_plain[spec["rule"]] = expected_plain.get(spec["rule"], 0) + 1
            else:
                decoys += 1
        for m in spec.get("members", []):
            if m["kind"].startswith("plant:") and m["rule"]:
                expected_archive[m["rule"]] = expected_archive.get(m["rule"], 0) + 1
        if (i + 1) % 5000 == 0:
            print(f"  {i + 1} files, {nbytes / MB:.0f} MiB", file=sys.stderr)
    manifest = {
        "generator_version": GENERATOR_VERSION, "seed": a.seed, "size_requested": a.size,
        "files_requested": a.files, "files": len(files), "bytes": nbytes, "categories": counts,
        "expected_yara_plain_files": expected_plain,
        "expected_yara_in_archives": expected_archive,
        "decoys_expected_no_match": decoys,
        "seconds": round(time.time() - t0, 1),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    n_plain = sum(expected_plain.values())
    n_arch = sum(expected_archive.values())
    print(f"bench-gen: {len(files)} files, {nbytes / MB:.1f} MiB in {out} ({manifest['seconds']} s)")
    print(f"bench-gen: categories {json.dumps(counts, sort_keys=True)}")
    print(f"bench-gen: planted files expected to match a pack YARA rule: {n_plain} plain "
          f"(any YARA tool sees them) + {n_arch} inside compressed archives (only a tool that "
          f"opens archives sees them); {decoys} decoys must match nothing")
    print(f"bench-gen: manifest {manifest_path}")


if __name__ == "__main__":
    main()
