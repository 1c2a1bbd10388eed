#!/usr/bin/env python3
"""Scores IOC extractors on the gold set and times them.

Tools: antibody (through a command that prints JSON, see --antibody-cmd),
Python's iocextract (PyPI 1.16.1) and ioc-finder (PyPI 9.4.1), each run on
every document of crates/antibody-intel/tests/gold/ and on one large text
(the set repeated to about --big-mb MB), all in the same run.

Scoring follows tests/gold.rs exactly, per kind over the whole set:
  emitted = values a tool returns (peers never flag, so everything they
            return counts as emitted hostile; antibody's flagged values are
            left out as the conventions say);
  TP = emitted ∩ [indicators], FP = emitted − [indicators], FN = the rest.
Rules (YARA/Sigma/Snort) are compared by identity: YARA rule name, Sigma
title, Snort sid, parsed from the returned rule text.
Values are put in the same canonical form as tests/gold.rs (lowercase hex,
canonical IP/CIDR, lowercase domain and e-mail domain, uppercase CVE and
ATT&CK ids, registry hives spelt out, URL scheme and host lowercase).
Refanging is each tool's own job: nothing is refanged here.

Type mapping (a kind a peer has no type for gets nothing: recall 0):
  iocextract   extract_ipv4s -> ipv4, extract_ipv6s -> ipv6,
               extract_urls -> url, extract_emails -> email,
               extract_md5/sha1/sha256/sha512_hashes -> md5/sha1/sha256/sha512,
               extract_yara_rules -> yara_rule (by rule name).
               (all with refang=True where offered; no domain, cidr, cve,
               attack, file, registry, ja3/ja4, certificate, Sigma or Snort
               support)
  ioc-finder   ipv4s -> ipv4, ipv6s -> ipv6, ipv4_cidrs + ipv6_cidrs -> cidr,
               domains -> domain, urls -> url, email_addresses -> email,
               md5s/sha1s/sha256s/sha512s -> md5/sha1/sha256/sha512,
               ssdeeps -> ssdeep, cves -> cve,
               attack_techniques + attack_tactics + attack_mitigations -> attack,
               file_paths -> file_path, registry_key_paths -> registry.
               Options matching the conventions: domains of URLs kept, but no
               domain from e-mail addresses, nothing parsed out of URL paths,
               no address out of a CIDR.
               (no file_name, ja3, ja4, certificate or rule support)

Output: JSON on stdout (or --out), with per tool, per kind: expected, tp,
fp, fn, precision, recall, f1; and timing: seconds over the set, seconds
and MB/s over the large text (MB = 10^6 bytes).
"""

import argparse
import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import tomllib

KINDS = [
    "ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256",
    "sha512", "ssdeep", "cve", "attack", "file_name", "file_path", "registry",
    "ja3", "ja4", "x509_fingerprint", "yara_rule", "sigma_rule", "snort_rule",
]
RULE_KINDS = {"yara_rule", "sigma_rule", "snort_rule"}
HEX_KINDS = {"md5", "sha1", "sha256", "sha512", "ja3", "ja4", "x509_fingerprint"}
HIVES = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
         "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}

YARA_ID = re.compile(r"(?m)^\s*(?:(?:private|global)\s+)*rule\s+([A-Za-z_][A-Za-z0-9_]*)")
SIGMA_ID = re.compile(r"(?m)^\s*title:[ \t]*(.*?)[ \t]*$")
SNORT_ID = re.compile(r"\bsid\s*:\s*(\d+)\s*;")


def canonical(kind, value):
    """Same canonical form as tests/gold.rs."""
    v = value.strip()
    try:
        if kind == "ipv4":
            return str(ipaddress.IPv4Address(v))
        if kind == "ipv6":
            return str(ipaddress.IPv6Address(v))
        if kind == "cidr":
            return str(ipaddress.ip_network(v, strict=False))
    except ValueError:
        return v
    if kind == "domain":
        return v.rstrip(".").lower()
    if kind in HEX_KINDS:
        return v.lower()
    if kind in ("cve", "attack"):
        return v.upper()
    if kind == "registry":
        hive, sep, rest = v.partition("\\")
        return HIVES.get(hive.upper(), hive) + sep + rest
    if kind == "email" and "@" in v:
        local, _, dom = v.rpartition("@")
        return local + "@" + dom.lower()
    if kind == "url":
        m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", v, re.S)
        if m:
            return m.group(1).lower() + "://" + m.group(2).lower() + m.group(3)
    return v


def rule_identity(kind, text):
    rx = {"yara_rule": YARA_ID, "sigma_rule": SIGMA_ID, "snort_rule": SNORT_ID}[kind]
    m = rx.search(text)
    if not m:
        return text
    ident = m.group(1).strip().strip("'\"").strip()
    return ident or text


def reduce(pairs):
    """(kind, value) pairs -> {kind: set of comparable values}."""
    out = {}
    for kind, value in pairs:
        if kind not in KINDS:
            continue
        v = rule_identity(kind, value) if kind in RULE_KINDS else canonical(kind, value)
        out.setdefault(kind, set()).add(v)
    return out


def load_gold(gold_dir):
    docs = []
    for name in sorted(os.listdir(gold_dir)):
        if not name.endswith((".txt", ".md")):
            continue
        base = name.rsplit(".", 1)[0]
        with open(os.path.join(gold_dir, name), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(gold_dir, base + ".toml"), "rb") as f:
            spec = tomllib.load(f)
        expected = {}
        for k, vs in spec.get("indicators", {}).items():
            expected.setdefault(k, set()).update(vs)
        for k, vs in spec.get("rules", {}).items():
            expected.setdefault(k, set()).update(vs)
        docs.append({"name": name, "path": os.path.join(gold_dir, name), "text": text,
                     "expected": expected})
    return docs


# ---- peers -------------------------------------------------------------------

def run_iocextract(text):
    import iocextract
    pairs = []
    pairs += [("ipv4", v) for v in iocextract.extract_ipv4s(text, refang=True)]
    pairs += [("ipv6", v) for v in iocextract.extract_ipv6s(text)]
    pairs += [("url", v) for v in iocextract.extract_urls(text, refang=True)]
    pairs += [("email", v) for v in iocextract.extract_emails(text, refang=True)]
    pairs += [("md5", v) for v in iocextract.extract_md5_hashes(text)]
    pairs += [("sha1", v) for v in iocextract.extract_sha1_hashes(text)]
    pairs += [("sha256", v) for v in iocextract.extract_sha256_hashes(text)]
    pairs += [("sha512", v) for v in iocextract.extract_sha512_hashes(text)]
    pairs += [("yara_rule", v) for v in iocextract.extract_yara_rules(text)]
    return pairs


IOC_FINDER_MAP = {
    "ipv4s": "ipv4", "ipv6s": "ipv6", "ipv4_cidrs": "cidr", "ipv6_cidrs": "cidr",
    "domains": "domain", "urls": "url", "email_addresses": "email", "md5s": "md5",
    "sha1s": "sha1", "sha256s": "sha256", "sha512s": "sha512", "ssdeeps": "ssdeep",
    "cves": "cve", "attack_techniques": "attack", "attack_tactics": "attack",
    "attack_mitigations": "attack", "file_paths": "file_path",
    "registry_key_paths": "registry",
}


def _flatten(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from _flatten(x)
    elif isinstance(v, (list, tuple, set)):
        for x in v:
            yield from _flatten(x)
    elif isinstance(v, str):
        yield v


def run_ioc_finder(text):
    import ioc_finder
    found = ioc_finder.find_iocs(
        text,
        parse_domain_from_url=True,
        parse_from_url_path=False,
        parse_domain_from_email_address=False,
        parse_address_from_cidr=False,
        included_ioc_types=list(IOC_FINDER_MAP),
    )
    pairs = []
    for key, kind in IOC_FINDER_MAP.items():
        pairs += [(kind, v) for v in _flatten(found.get(key, []))]
    return pairs


# ---- antibody ----------------------------------------------------------------

def run_antibody(cmd, paths):
    """Runs the antibody command on files; returns ({path: [(kind, value)]},
    {path: seconds}). The command prints one JSON object per file:
    {"file", "bytes", "seconds", "iocs": [{"kind", "value", "flag"}]};
    flagged values are dropped (they are not emitted hostile)."""
    argv = shlex.split(cmd) + list(paths)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"antibody command failed ({proc.returncode}): {' '.join(argv[:3])} ...\n{proc.stderr[-2000:]}")
    per_file, secs = {}, {}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        obj = json.loads(line)
        f = obj["file"]
        per_file[f] = [(i["kind"], i["value"]) for i in obj.get("iocs", []) if not i.get("flag")]
        secs[f] = obj.get("seconds", wall / max(1, len(paths)))
    return per_file, secs


# ---- scoring -----------------------------------------------------------------

def score(docs, outputs):
    """outputs: {doc name: [(kind, value)]} -> per-kind counts."""
    table = {k: {"expected": 0, "tp": 0, "fp": 0, "fn": 0} for k in KINDS}
    for d in docs:
        got = reduce(outputs.get(d["name"], []))
        for k in KINDS:
            exp = d["expected"].get(k, set())
            emi = got.get(k, set())
            t = table[k]
            t["expected"] += len(exp)
            t["tp"] += len(exp & emi)
            t["fp"] += len(emi - exp)
            t["fn"] += len(exp - emi)
    for t in table.values():
        em = t["tp"] + t["fp"]
        t["precision"] = round(t["tp"] / em, 4) if em else None
        t["recall"] = round(t["tp"] / t["expected"], 4) if t["expected"] else None
        p, r = t["precision"] or 0.0, t["recall"] or 0.0
        t["f1"] = round(2 * p * r / (p + r), 4) if p + r else 0.0
    return table


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", default=os.path.join(here, "..", "crates", "antibody-intel", "tests", "gold"))
    ap.add_argument("--antibody-cmd", help="command printing antibody's JSON per file (files appended)")
    ap.add_argument("--big-mb", type=float, default=20.0, help="size of the large text, MB")
    ap.add_argument("--chunk-kb", type=int, default=8,
                    help="peers get the large text in pieces of about this size, cut between documents")
    ap.add_argument("--max-seconds", type=float, default=60.0,
                    help="stop a peer on the large text after this long; MB/s is over the bytes done")
    ap.add_argument("--out", help="write JSON here instead of stdout")
    args = ap.parse_args()

    docs = load_gold(args.gold)
    set_bytes = sum(len(d["text"].encode()) for d in docs)
    joined = "\n\n".join(d["text"] for d in docs) + "\n\n"
    reps = max(1, int(args.big_mb * 1e6 / len(joined.encode())) + 1)
    big = joined * reps
    big_bytes = len(big.encode())

    # Both peers slow down more than linearly on one huge string, so they
    # get the large text in document-aligned pieces (what a caller would
    # do); antibody reads the whole file as one stream.
    chunks, cur, cur_len = [], [], 0
    for _ in range(reps):
        for d in docs:
            cur.append(d["text"])
            cur_len += len(d["text"])
            if cur_len >= args.chunk_kb * 1024:
                chunks.append("\n\n".join(cur))
                cur, cur_len = [], 0
    if cur:
        chunks.append("\n\n".join(cur))

    tools = {"iocextract": run_iocextract, "ioc-finder": run_ioc_finder}
    result = {"documents": len(docs), "set_bytes": set_bytes, "big_bytes": big_bytes, "tools": {}}

    for name, fn in tools.items():
        outputs, t0 = {}, time.perf_counter()
        for d in docs:
            outputs[d["name"]] = fn(d["text"])
        set_s = time.perf_counter() - t0
        done, t0 = 0, time.perf_counter()
        for piece in chunks:
            fn(piece)
            done += len(piece.encode())
            if time.perf_counter() - t0 > args.max_seconds:
                break
        big_s = time.perf_counter() - t0
        result["tools"][name] = {"kinds": score(docs, outputs), "set_seconds": round(set_s, 4),
                                 "big_seconds": round(big_s, 3), "big_bytes_done": done,
                                 "mb_per_s": round(done / 1e6 / big_s, 4)}
        print(f"{name}: set {set_s:.2f} s, large text {done / 1e6:.1f} MB in {big_s:.1f} s", file=sys.stderr)

    if args.antibody_cmd:
        with tempfile.TemporaryDirectory(prefix="bench-intel-") as tmp:
            big_path = os.path.join(tmp, "big.txt")
            with open(big_path, "w", encoding="utf-8") as f:
                f.write(big)
            t0 = time.perf_counter()
            per_file, secs = run_antibody(args.antibody_cmd, [d["path"] for d in docs])
            set_wall = time.perf_counter() - t0
            _, big_secs = run_antibody(args.antibody_cmd, [big_path])
        outputs = {os.path.basename(p): v for p, v in per_file.items()}
        set_s = sum(secs.values()) if secs else set_wall
        big_s = max(next(iter(big_secs.values()), 0.0), 1e-9)
        result["tools"]["antibody"] = {"kinds": score(docs, outputs), "set_seconds": round(set_s, 4),
                                       "set_wall_seconds": round(set_wall, 4),
                                       "big_seconds": round(big_s, 3), "big_bytes_done": big_bytes,
                                       "mb_per_s": round(big_bytes / 1e6 / big_s, 3)}
        print(f"antibody: set {set_s:.2f} s, large text {big_s:.2f} s", file=sys.stderr)

    data = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(data + "\n")
    else:
        print(data)


if __name__ == "__main__":
    main()
