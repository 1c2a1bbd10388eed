#!/usr/bin/env python3
"""Generates the corpora that scripts/bench-logs hunts with antibody.

Two subcommands, both deterministic (same arguments, same bytes):

evtx    Copies the real EVTX samples of SigmaHQ's regression data
        (--src, every *.evtx below it) --copies times into OUT/copy-NNN/,
        keeping their relative paths. Real copies, not links, so that the
        corpus is as large in the page cache as on disk.

access  Writes an Apache "combined" access log of about --size bytes:
        normal pages, static assets, 404s, crawlers and logins, a few
        decoys that share words with the CVE probes (a user's own VPN
        portal, a search for "newbm.pl", an Autodiscover GET, a harmless
        /service/proxy call), and a sprinkling of the probe and exploit
        requests that the web rules of packs/apt29-2020/sigma/ look for
        (CVE-2019-19781, CVE-2019-11510, CVE-2018-13379, CVE-2019-9670 /
        CVE-2019-9621), as in examples/logs/access.log. Every client
        address is in 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24
        (documentation ranges) or 10.0.0.0/8; host names are example.org.

Next to the output it writes OUT.manifest.json with the parameters and,
for the access log, the number of lines of each kind and the line
numbers of the probes (the lines a pack rule must flag), which
scripts/bench-logs compares with antibody's and grep's counts.

Usage:
  python3 scripts/bench-logs-gen.py evtx --src DIR --out DIR [--copies 50]
  python3 scripts/bench-logs-gen.py access --out FILE [--size 1G] [--seed 1]

Standard library only.
"""

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

GENERATOR_VERSION = 1
START = 1588291200  # 2020-05-01 00:00:00 UTC
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def parse_size(s: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    s = s.strip().upper()
    return int(float(s[:-1]) * units[s[-1]]) if s[-1] in units else int(s)


def write_manifest(out: Path, doc: dict) -> None:
    Path(str(out).rstrip("/") + ".manifest.json").write_text(json.dumps(doc, indent=1) + "\n")


# ---------------------------------------------------------------------------
# evtx


def gen_evtx(args) -> None:
    src, out = Path(args.src), Path(args.out)
    samples = sorted(p for p in src.rglob("*.evtx") if p.is_file())
    if not samples:
        sys.exit(f"bench-logs-gen: no .evtx file under {src}")
    if out.exists():
        shutil.rmtree(out)
    total = 0
    for i in range(args.copies):
        for p in samples:
            dst = out / f"copy-{i:03d}" / p.relative_to(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dst)
            total += p.stat().st_size
    write_manifest(out, {"generator_version": GENERATOR_VERSION, "kind": "evtx", "src": str(src),
                         "copies": args.copies, "samples": len(samples),
                         "files": len(samples) * args.copies, "bytes": total})
    print(f"bench-logs-gen: {len(samples) * args.copies} files, {total / 1e6:.0f} MB in {out}",
          file=sys.stderr)


# ---------------------------------------------------------------------------
# access


def ip(rng: random.Random, pool: str) -> str:
    nets = {"doc": ["192.0.2", "198.51.100", "203.0.113"], "lan": ["10.1.2", "10.1.7", "10.20.0"]}
    return f"{rng.choice(nets[pool])}.{rng.randint(1, 254)}"


BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:76.0) Gecko/20100101 Firefox/76.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 13_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; SM-G973F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Mobile Safari/537.36",
]
BOTS = [
    "Mozilla/5.0 (compatible; ExampleCrawler/2.1; +http://crawler.example.com/)",
    "Mozilla/5.0 (compatible; ExampleBot/1.0; +https://bot.example.net/about)",
    "Mozilla/5.0 (compatible; SearchSpider/3.2; +http://search.example.com/spider.html)",
]
TOOLS = ["curl/7.64.0", "python-requests/2.22.0", "Go-http-client/1.1", "Mozilla/5.0"]
WORDS = ("vaccine research trial results team news events careers contact privacy terms "
         "report annual lab data press release update winter summer clinical study phase").split()
PAGES = ["/", "/index.html", "/about", "/contact", "/news", "/careers", "/privacy", "/terms",
         "/research", "/research/trials", "/team", "/events", "/press"]
ASSETS = ["/static/css/main.css", "/static/css/print.css", "/static/js/app.js", "/static/js/vendor.js",
          "/static/js/analytics.js", "/images/logo.svg", "/images/hero.jpg", "/images/team.jpg",
          "/fonts/opensans.woff2", "/favicon.ico", "/apple-touch-icon.png"]
NOT_FOUND = ["/wp-login.php", "/.env", "/admin/config.php", "/phpmyadmin/index.php", "/.git/config",
             "/old/index.html", "/cgi-bin/test.cgi", "/backup.zip", "/xmlrpc.php", "/server-status"]

# Probe and exploit requests: (kind, method, uri, statuses). Each is flagged
# by at least one web rule of the pack (examples/logs/access.log has the same).
PROBES = [
    ("citrix-smbconf", "GET", "/vpn/../vpns/cfg/smb.conf", [200, 403, 404]),
    ("citrix-smbconf-encoded", "GET", "/vpn/%2e%2e/vpns/cfg/smb.conf", [403, 404]),
    ("citrix-newbm", "POST", "/vpn/../vpns/portal/scripts/newbm.pl", [200, 403]),
    ("citrix-xml", "GET", "/vpn/../vpns/portal/{hex}.xml", [200, 404]),
    ("pulse", "GET", "/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd"
                     "?/dana/html5acc/guacamole/", [200, 404]),
    ("fortios", "GET", "/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession",
     [200, 404]),
    ("zimbra-autodiscover", "POST", "/Autodiscover/Autodiscover.xml", [200, 503]),
    ("zimbra-ssrf", "GET", "/service/proxy?target=https://127.0.0.1:7071/service/admin/soap", [200, 403]),
]
# Decoys: words in common with the probes, matching no rule.
DECOYS = [
    ("vpn-portal", "GET", "/vpns/portal/portal.html", [200, 304]),
    ("vpn-search", "GET", "/search?q=vpns+portal+newbm.pl+help", [200]),
    ("autodiscover-get", "GET", "/autodiscover/autodiscover.xml", [401, 200]),
    ("fgt-lang-plain", "GET", "/remote/fgt_lang?lang=en", [200]),
    ("proxy-plain", "GET", "/service/proxy?target=https://www.example.org/feed.xml", [200]),
    ("guacamole-plain", "GET", "/dana/html5acc/guacamole/", [200, 302]),
]


def stamp(t: int) -> str:
    g = time.gmtime(t)
    return f"{g.tm_mday:02d}/{MONTHS[g.tm_mon - 1]}/{g.tm_year}:{g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d} +0000"


def gen_access(args) -> None:
    rng = random.Random(args.seed)
    target = parse_size(args.size)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: dict = {}
    probe_lines: list = []
    # A fixed population of visitors, so that addresses repeat as in a real log.
    visitors = [(ip(rng, rng.choice(["doc", "doc", "lan"])), rng.choice(BROWSERS), rng.choice(["-", "-", "-", "alice", "bob"]))
                for _ in range(4000)]
    crawlers = [(ip(rng, "doc"), rng.choice(BOTS)) for _ in range(40)]
    attackers = [ip(rng, "doc") for _ in range(30)]
    t = START
    n = 0
    size = 0
    buf = []
    with open(out, "w", newline="\n") as f:
        while size < target:
            t += rng.choice((0, 0, 0, 1, 1, 2))
            r = rng.random()
            ref = "-"
            if r < 0.00002:
                # The Zimbra chain of the pack's correlation rule: an
                # Autodiscover POST, then the admin SSRF answered with 200
                # from the same address a few minutes later.
                who, ua = rng.choice(attackers), rng.choice(TOOLS)
                first = (f'{who} - - [{stamp(t)}] "POST /Autodiscover/Autodiscover.xml HTTP/1.1" '
                         f'200 {rng.randint(300, 900)} "-" "{ua}"\n')
                buf.append(first)
                size += len(first)
                n += 1
                probe_lines.append(n)
                counts["zimbra-chain"] = counts.get("zimbra-chain", 0) + 1
                t += rng.randint(30, 600)
                kind, method, uri, statuses = "zimbra-chain-ssrf", *PROBES[-1][1:3], [200]
                user = "-"
                status = 200
                nbytes = rng.randint(100, 900)
                probe_lines.append(n + 1)
            elif r < 0.0002:
                kind, method, uri, statuses = rng.choice(PROBES)
                uri = uri.replace("{hex}", f"{rng.getrandbits(32):08x}")
                who, ua, user = rng.choice(attackers), rng.choice(TOOLS), "-"
                status = rng.choice(statuses)
                nbytes = rng.randint(100, 900)
                probe_lines.append(n + 1)
            elif r < 0.005:
                kind, method, uri, statuses = rng.choice(DECOYS)
                who, ua, user = rng.choice(visitors)
                status = rng.choice(statuses)
                nbytes = rng.randint(200, 9000)
            else:
                who, ua, user = rng.choice(visitors)
                status = 200
                method = "GET"
                if r < 0.50:
                    kind = "page"
                    uri = rng.choice(PAGES)
                    if rng.random() < 0.3:
                        uri = f"/news/2020/{rng.randint(1, 7):02d}/{rng.choice(WORDS)}-{rng.choice(WORDS)}-{rng.randint(1, 999)}"
                    elif rng.random() < 0.1:
                        uri = f"/search?q={rng.choice(WORDS)}+{rng.choice(WORDS)}&page={rng.randint(1, 9)}"
                    status = rng.choice((200, 200, 200, 200, 304))
                    nbytes = rng.randint(3000, 60000)
                    if rng.random() < 0.5:
                        ref = "https://www.example.org" + rng.choice(PAGES)
                elif r < 0.85:
                    kind = "asset"
                    uri = rng.choice(ASSETS)
                    if uri.endswith(".js") or uri.endswith(".css"):
                        uri += f"?v={rng.getrandbits(32):08x}"
                    status = rng.choice((200, 200, 304))
                    nbytes = rng.randint(500, 250000)
                    ref = "https://www.example.org" + rng.choice(PAGES)
                elif r < 0.92:
                    kind = "not-found"
                    uri = rng.choice(NOT_FOUND)
                    status = 404
                    nbytes = rng.randint(150, 300)
                    if rng.random() < 0.5:
                        who, ua = rng.choice(attackers), rng.choice(TOOLS)
                elif r < 0.97:
                    kind = "bot"
                    who, ua = rng.choice(crawlers)
                    user = "-"
                    uri = rng.choice(["/robots.txt", "/sitemap.xml"] + PAGES)
                    status = rng.choice((200, 200, 301, 404))
                    nbytes = rng.randint(150, 40000)
                else:
                    kind = "login"
                    method = "POST"
                    uri = rng.choice(["/login", "/api/v1/session", "/api/v1/subscribe"])
                    status = rng.choice((200, 302, 401))
                    nbytes = rng.randint(0, 800)
                    ref = "https://www.example.org/login"
            if status == 304:
                nbytes = 0
            line = f'{who} - {user} [{stamp(t)}] "{method} {uri} HTTP/1.1" {status} {nbytes} "{ref}" "{ua}"\n'
            counts[kind] = counts.get(kind, 0) + 1
            buf.append(line)
            size += len(line)
            n += 1
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    write_manifest(out, {"generator_version": GENERATOR_VERSION, "kind": "access", "seed": args.seed,
                         "size_requested": args.size, "bytes": size, "lines": n, "kinds": counts,
                         "probe_lines": probe_lines})
    print(f"bench-logs-gen: {n} lines, {size / 1e6:.0f} MB, {len(probe_lines)} probes in {out}",
          file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("evtx")
    e.add_argument("--src", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--copies", type=int, default=50)
    a = sub.add_parser("access")
    a.add_argument("--out", required=True)
    a.add_argument("--size", default="1G")
    a.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    gen_evtx(args) if args.cmd == "evtx" else gen_access(args)


if __name__ == "__main__":
    main()
