#!/usr/bin/env python3
"""Writes antibody's synthetic, harmless example evidence.

Every file written here is inert: executables are a bare file header (no
sections, no entry point, no code) followed by zero bytes and the *published
text traits* of the APT29 malware as data, so that the rules of the built-in
pack `apt29-2020` have something to find. Nothing here runs, and nothing
comes from a real sample. See README.md for what each file is and which rule
or indicator it should trigger.

Usage: python3 examples/generate.py   (standard library only; the output is
the same on every run, and is committed next to this script).

The published traits below are written with a `~` inside them (for example
"botlib.well~Mess") and the `~` is removed when a file is written. That way
this script does not itself contain the traits, and hunting examples/ finds
the generated evidence, not its generator.
"""

import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = 4096  # every fake executable is exactly this long
DATA_AT = 0x200  # where the trait strings start, after the headers
NOTE = b"antibody synthetic example: inert data, no code. See examples/README.md.\0"


def trait(s: str) -> bytes:
    """A published trait as ASCII, with the `~` guard removed."""
    return s.replace("~", "").encode("ascii")


def wide(s: str) -> bytes:
    """A published trait as UTF-16LE, as .NET stores user strings."""
    return s.replace("~", "").encode("utf-16-le")


def pe_header(pe32_plus: bool = True) -> bytearray:
    """DOS header pointing at a PE signature and a COFF header with no
    sections: a valid file type, nothing loadable."""
    h = bytearray(DATA_AT)
    h[0:2] = b"MZ"
    struct.pack_into("<I", h, 0x3C, 0x80)  # e_lfanew
    h[0x40 : 0x40 + len(NOTE)] = NOTE  # where a DOS stub would be
    h[0x80:0x84] = b"PE\0\0"
    machine, opt_size, magic = (0x8664, 0xF0, 0x20B) if pe32_plus else (0x14C, 0xE0, 0x10B)
    # Machine, NumberOfSections=0, TimeDateStamp, symbols, SizeOfOptionalHeader,
    # Characteristics (executable image).
    struct.pack_into("<HHIIIHH", h, 0x84, machine, 0, 0, 0, 0, opt_size, 0x0002)
    # Optional header: only its magic; entry point and all sizes stay zero.
    struct.pack_into("<H", h, 0x98, magic)
    return h


def elf_header() -> bytearray:
    """A 64-bit little-endian ELF header with no program or section
    headers and entry point 0: a valid file type, nothing loadable."""
    h = bytearray(DATA_AT)
    h[0:8] = b"\x7fELF\x02\x01\x01\x00"
    # e_type=EXEC, e_machine=x86-64, e_version, e_entry=0, e_phoff=0,
    # e_shoff=0, e_flags, e_ehsize=64, e_phentsize, e_phnum=0, e_shentsize,
    # e_shnum=0, e_shstrndx.
    struct.pack_into("<HHIQQQIHHHHHH", h, 16, 2, 0x3E, 1, 0, 0, 0, 0, 64, 0, 0, 64, 0, 0)
    h[0x40 : 0x40 + len(NOTE)] = NOTE
    return h


def image(header: bytearray, parts: list) -> bytes:
    """Header, then the parts separated by NUL bytes, zero-padded to SIZE."""
    body = b"\0".join(parts) + b"\0"
    data = bytes(header) + body
    assert len(data) <= SIZE, "example outgrew its size"
    return data + bytes(SIZE - len(data))


# Go runtime names as a Go program's function-name table carries them. Not
# traits of any malware: every Go program has them.
GO_RUNTIME = [
    b"runtime.main",
    b"runtime.goexit",
    b"runtime.gcBgMarkWorker",
    b"runtime.mallocgc",
    b"main.main",
    b"main.init",
]

# WellMess Go: function names and build path prefix (JPCERT/CC, NCSC).
WELLMESS_GO = [
    trait("botlib.well~Mess"),
    trait("botlib.Com~mand"),
    trait("botlib.Down~load"),
    trait("botlib.AES_~Encrypt"),
    trait("botlib.Se~nd"),
    trait("botlib.Se~ndD"),
    trait("botlib.z32~decode"),
    trait("botlib.in~it"),
    trait("C:/Server/BotUI/App_~Data/Temp/") + b"antibody-example/main.go",
]


def wellmess_go_pe() -> bytes:
    return image(pe_header(), GO_RUNTIME + WELLMESS_GO)


def wellmess_go_elf() -> bytes:
    return image(elf_header(), GO_RUNTIME + WELLMESS_GO)


def wellmail_elf() -> bytes:
    """WellMail: Go ELF with its build path, zip helper and unique strings."""
    return image(
        elf_header(),
        GO_RUNTIME
        + [
            trait("C:/Server/Mail/App_~Data/Temp/agent.sh/src/main.go"),
            trait("main.zip~it"),
            trait("HgQdbx~4qRNv"),
            trait("042a51567eea19d5~aca71050b4535d33d2ed43ba"),
        ],
    )


def dotnet_metadata(strings: list, user_strings: list) -> bytes:
    """A CLR metadata root (BSJB, version 1.1), its stream names, a #Strings
    heap and a #US heap of UTF-16 strings. Only the shape of .NET metadata:
    no tables, no methods."""
    version = b"v4.0.30319\0\0"
    root = b"BSJB" + struct.pack("<HHII", 1, 1, 0, len(version)) + version
    streams = b"#~\0\0#Strings\0\0\0\0#US\0#GUID\0\0\0#Blob\0\0\0"
    heap = b"\0" + b"\0".join(strings) + b"\0"
    us = b"\0" + b"".join(bytes([len(u) + 1]) + u + b"\0" for u in user_strings)
    return root + streams + heap + us


def dotnet_pe(strings: list, user_strings: list) -> bytes:
    clr = [b"mscoree.dll", b"_CorExeMain", dotnet_metadata(strings, user_strings)]
    return image(pe_header(pe32_plus=False), clr)


def wellmess_dotnet() -> bytes:
    """WellMess .NET: identifiers, C2 markers and UTF-16 status strings."""
    return dotnet_pe(
        [b"Program", b"Main", trait("Well~Mess"), trait("AES_~Encrypt"),
         trait("FromNormal~ToBase64"), trait("FromBase64~ToNormal")],
        [wide("<;he~ad;><;ti~tle;>"), wide("<;ti~tle;><;ser~vice;>"),
         wide("Health~Interval"), wide("Hello from ~Proxy"), wide("Start ~bot:")],
    )


def sorefang_pe() -> bytes:
    """SoreFang: boundary, key string, report headers and messages, the fake
    Google Analytics cookie and the RC5/RC6 constants as data."""
    return image(
        pe_header(pe32_plus=False),
        [
            trait("Cookie:_~ga="),
            trait("------974767299852~498929531610575"),
            trait("2b6233eb3e872ff7~8988f4a8f3f6a3ba"),
            trait("----------All us~res directory----------"),
            trait("----------Desktop di~rectory----------"),
            trait("Free on ~disk: "),
            trait("Total ~disk: "),
            trait("I can not het inform~ation about this disk"),
            struct.pack("<II", 0xB7E15163, 0x9E3779B9),
        ],
    )


def decoy_go_pe() -> bytes:
    """A Go program's runtime names and one botlib function that every Go
    package called botlib has: must match nothing."""
    return image(pe_header(), GO_RUNTIME + [b"fmt.Println", b"net/http.(*Client).Do", trait("botlib.in~it")])


def decoy_dotnet_pe() -> bytes:
    """A .NET program with one WellMess identifier, a common AES helper name
    and one UTF-16 string: single traits, too weak, must match nothing."""
    return dotnet_pe(
        [b"Program", b"Main", trait("AES_~Encrypt"), trait("FromBase64~ToNormal")],
        [wide("Health~Interval"), wide("Settings saved")],
    )


def decoy_symbol_list() -> bytes:
    """An analyst's plain-text list of WellMess function names: no file
    header, so the executable rules must not match."""
    names = ["botlib.Com~mand", "botlib.Down~load", "botlib.AES_~Encrypt", "botlib.z32~decode", "runtime.main"]
    lines = ["Go function names noted while reading a report (decoy for antibody's examples):"]
    lines += ["  " + trait(n).decode() for n in names]
    return ("\n".join(lines) + "\n").encode()


MWDG_SH = b"""#!/bin/sh
# antibody example: a harmless placeholder. Only its name matters: it matches
# the pack's file-name indicator for a first-stage C2 server binary. It does
# nothing.
exit 0
"""


def proxy_capture() -> bytes:
    body = (
        trait("<;he~ad;>") + b"YW50aWJvZHkgZXhhbXBsZQ"
        + trait("<;ti~tle;>") + b"c3ludGhldGlj"
        + trait("<;ser~vice;>") + b"aGFybWxlc3M"
    )
    return (
        b"Analyst notes: an HTTP request body kept by the web proxy.\n"
        b"Synthetic example for antibody: made up and harmless; the addresses are\n"
        b"documentation addresses (RFC 5737).\n"
        b"\n"
        b"client 192.0.2.15, server 198.51.100.23 port 80, POST / with a Cookie header\n"
        b"\n"
        b"body as captured:\n" + body + b"\n"
    )


# --- Logs -----------------------------------------------------------------
# Text logs for the logs engine and the pack's Sigma rules
# (packs/apt29-2020/sigma/). Exploit requests are written as the published
# request shapes, with documentation addresses; nothing here is an exploit
# payload that does anything (no shell command, no file content). Most
# lines are ordinary traffic, so a rule that misfires would show.

# An Apache combined log in front of a Citrix Gateway. Line 3, the first
# CVE-2019-19781 probe, predates the logs engine and stays where it is.
ACCESS_LOG = b"""192.0.2.10 - - [12/May/2020:08:01:12 +0000] "GET / HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
198.51.100.7 - - [12/May/2020:08:02:40 +0000] "GET /vpn/index.html HTTP/1.1" 200 2311 "-" "Mozilla/5.0 (X11; Linux x86_64)"
203.0.113.45 - - [12/May/2020:08:03:05 +0000] "GET /vpn/../vpns/cfg/smb.conf HTTP/1.1" 200 158 "-" "python-requests/2.22.0"
192.0.2.10 - - [12/May/2020:08:05:51 +0000] "GET /logon/LogonPoint/index.html HTTP/1.1" 200 4410 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
198.51.100.7 - - [12/May/2020:08:07:19 +0000] "POST /cgi/login HTTP/1.1" 302 0 "-" "Mozilla/5.0 (X11; Linux x86_64)"
198.51.100.77 - - [12/May/2020:08:09:02 +0000] "GET /robots.txt HTTP/1.1" 404 196 "-" "Mozilla/5.0 (compatible; ExampleCrawler/2.1; +http://crawler.example.com/)"
198.51.100.77 - - [12/May/2020:08:09:03 +0000] "GET / HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (compatible; ExampleCrawler/2.1; +http://crawler.example.com/)"
192.0.2.10 - - [12/May/2020:08:11:40 +0000] "GET /logon/LogonPoint/tmindex.html HTTP/1.1" 200 3321 "https://gateway.example.org/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
192.0.2.10 - - [12/May/2020:08:11:41 +0000] "GET /vpn/js/gateway_login_view.js?v=6e7b1f8d HTTP/1.1" 200 18220 "https://gateway.example.org/logon/LogonPoint/tmindex.html" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
192.0.2.10 - - [12/May/2020:08:12:05 +0000] "POST /cgi/login HTTP/1.1" 302 0 "https://gateway.example.org/logon/LogonPoint/tmindex.html" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
192.0.2.10 - alice [12/May/2020:08:12:06 +0000] "GET /vpns/portal/portal.html HTTP/1.1" 200 9012 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
192.0.2.10 - alice [12/May/2020:08:14:30 +0000] "POST /vpns/portal/scripts/newbm.pl HTTP/1.1" 200 143 "https://gateway.example.org/vpns/portal/portal.html" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
192.0.2.10 - alice [12/May/2020:08:14:31 +0000] "GET /vpns/portal/alice.xml HTTP/1.1" 200 612 "https://gateway.example.org/vpns/portal/portal.html" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
198.51.100.201 - - [12/May/2020:08:20:14 +0000] "GET /dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/guacamole/ HTTP/1.1" 404 196 "-" "curl/7.64.0"
192.0.2.31 - - [12/May/2020:08:25:47 +0000] "GET /search?q=vpns+portal+newbm.pl+help HTTP/1.1" 200 7310 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_4)"
192.0.2.31 - - [12/May/2020:08:25:48 +0000] "GET /favicon.ico HTTP/1.1" 200 1150 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_4)"
203.0.113.88 - - [12/May/2020:08:31:09 +0000] "GET /vpn/%2e%2e/vpns/cfg/smb.conf HTTP/1.1" 403 199 "-" "Mozilla/5.0"
203.0.113.66 - - [12/May/2020:08:42:10 +0000] "POST /vpn/../vpns/portal/scripts/newbm.pl HTTP/1.1" 200 143 "-" "python-requests/2.22.0"
192.0.2.44 - - [12/May/2020:08:43:00 +0000] "GET /logon/LogonPoint/index.html HTTP/1.1" 200 4410 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
203.0.113.66 - - [12/May/2020:08:44:37 +0000] "GET /vpn/../vpns/portal/d41c7e0b.xml HTTP/1.1" 200 512 "-" "python-requests/2.22.0"
192.0.2.44 - - [12/May/2020:08:45:12 +0000] "POST /cgi/login HTTP/1.1" 302 0 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
192.0.2.44 - bob [12/May/2020:08:45:13 +0000] "GET /vpns/portal/portal.html HTTP/1.1" 304 0 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
198.51.100.7 - - [12/May/2020:09:02:33 +0000] "GET /vpn/images/AccessGateway.ico HTTP/1.1" 200 1406 "-" "Mozilla/5.0 (X11; Linux x86_64)"
192.0.2.10 - alice [12/May/2020:09:30:02 +0000] "GET /cgi/logout HTTP/1.1" 302 0 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
"""

# FortiGate SSL VPN events as a syslog server stores them (key=value). The
# CVE-2018-13379 request appears as an IPS log carrying the requested URL;
# the successful login comes from the pack's published C2 address (CISA
# AR20-198A), the only non-documentation address here.
VPN_SYSLOG = b"""May 14 07:58:12 fgt-edge date=2020-05-14 time=07:58:12 devname="fgt-edge" devid="FGT60EXAMPLE0001" logid="0101039947" type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel" tunnelid=1702050001 remip=198.51.100.20 user="alice" group="vpn-users" dst_host="N/A" reason="N/A" msg="SSL tunnel established"
May 14 08:03:40 fgt-edge date=2020-05-14 time=08:03:40 devname="fgt-edge" devid="FGT60EXAMPLE0001" logid="0101039426" type="event" subtype="vpn" level="alert" vd="root" logdesc="SSL VPN login fail" action="ssl-login-fail" tunneltype="ssl-web" tunnelid=0 remip=192.0.2.77 user="bob" group="N/A" dst_host="N/A" reason="sslvpn_login_permission_denied" msg="SSL user failed to logged in"
May 14 08:04:02 fgt-edge date=2020-05-14 time=08:04:02 devname="fgt-edge" devid="FGT60EXAMPLE0001" logid="0101039947" type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel" tunnelid=1702050002 remip=192.0.2.77 user="bob" group="vpn-users" dst_host="N/A" reason="N/A" msg="SSL tunnel established"
May 14 08:11:19 fgt-edge date=2020-05-14 time=08:11:19 devname="fgt-edge" devid="FGT60EXAMPLE0001" logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" severity="high" srcip=203.0.113.150 srcport=51234 dstip=192.0.2.1 dstport=10443 service="HTTPS" action="detected" httpmethod="GET" url="/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession" attack="SSL VPN path traversal (example)" msg="web request to the SSL VPN portal"
May 14 08:15:55 fgt-edge date=2020-05-14 time=08:15:55 devname="fgt-edge" devid="FGT60EXAMPLE0001" logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="information" vd="root" severity="info" srcip=198.51.100.20 srcport=50110 dstip=192.0.2.1 dstport=10443 service="HTTPS" action="pass" httpmethod="GET" url="/remote/fgt_lang?lang=en" attack="none (example)" msg="web request to the SSL VPN portal"
May 14 09:27:31 fgt-edge date=2020-05-14 time=09:27:31 devname="fgt-edge" devid="FGT60EXAMPLE0001" logid="0101039947" type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel" tunnelid=1702050003 remip=103.216.~221.19 user="carol" group="vpn-users" dst_host="N/A" reason="N/A" msg="SSL tunnel established"
May 14 10:02:08 fgt-edge date=2020-05-14 time=10:02:08 devname="fgt-edge" devid="FGT60EXAMPLE0001" logid="0101039948" type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel down" action="tunnel-down" tunneltype="ssl-tunnel" tunnelid=1702050001 remip=198.51.100.20 user="alice" group="vpn-users" dst_host="N/A" reason="N/A" duration=14636 sentbyte=1843200 rcvdbyte=502311 msg="SSL tunnel shutdown"
"""

# A Debian auth.log: ordinary SSH and sudo activity, nothing to find.
AUTH_LOG = b"""May 12 07:55:01 web01 CRON[2211]: pam_unix(cron:session): session opened for user root by (uid=0)
May 12 07:55:01 web01 CRON[2211]: pam_unix(cron:session): session closed for user root
May 12 08:00:17 web01 sshd[2298]: Accepted publickey for deploy from 192.0.2.10 port 53122 ssh2: ED25519 SHA256:AAAAexampleexampleexampleexampleexample0000
May 12 08:00:17 web01 sshd[2298]: pam_unix(sshd:session): session opened for user deploy by (uid=0)
May 12 08:00:42 web01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart apache2
May 12 08:03:09 web01 sshd[2340]: Invalid user admin from 203.0.113.9 port 40612
May 12 08:03:11 web01 sshd[2340]: Failed password for invalid user admin from 203.0.113.9 port 40612 ssh2
May 12 08:03:11 web01 sshd[2340]: Connection closed by invalid user admin 203.0.113.9 port 40612 [preauth]
May 12 08:21:55 web01 sshd[2298]: pam_unix(sshd:session): session closed for user deploy
"""


def sysmon_jsonl() -> bytes:
    """Winlogbeat (ECS) Sysmon events, one JSON object per line. Event 1 is
    process creation, event 3 a network connection. One process is started
    from a file with a published WellMess SHA-256 and then connects to the
    published WellMess/SoreFang C2 address; the file name and path are made
    up (the advisory publishes none). Everything else is ordinary."""
    import json

    host = {"name": "ws-0142.example.org"}
    user = {"name": "a.turing", "domain": "EXAMPLE"}

    def event(n, record, ts, code, data, **ecs):
        e = {
            "@timestamp": ts,
            "event": {"code": str(code), "kind": "event", "module": "sysmon", "provider": "Microsoft-Windows-Sysmon"},
            "host": host,
            "user": user,
            "winlog": {
                "channel": "Microsoft-Windows-Sysmon/Operational",
                "event_id": code,
                "provider_name": "Microsoft-Windows-Sysmon",
                "computer_name": host["name"],
                "record_id": record,
                "event_data": data,
            },
        }
        e.update(ecs)
        return json.dumps(e, sort_keys=True)

    def proc(exe, cmd, pid, guid, parent_exe, parent_cmd, ppid, pguid, sha256):
        return {
            "executable": exe, "command_line": cmd, "pid": pid, "entity_id": guid,
            "name": exe.rsplit("\\", 1)[-1], "working_directory": "C:\\Users\\a.turing\\",
            "hash": {"sha256": sha256},
            "parent": {"executable": parent_exe, "command_line": parent_cmd, "pid": ppid, "entity_id": pguid},
        }

    explorer = "C:\\Windows\\explorer.exe"
    g = "{6f1c2a3b-1d2e-5ec0-%04x-000000002a00}"
    lines = [
        event(1, 48211, "2020-05-12T09:14:03.120Z", 1,
              {"IntegrityLevel": "Medium", "LogonId": "0x3e7a1", "TerminalSessionId": "1"},
              process=proc("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
                           "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\"",
                           4312, g % 1, explorer, explorer, 3120, g % 0,
                           "1b9d3c2e5f0a4e6b8c7d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d")),
        event(3, 48212, "2020-05-12T09:14:05.402Z", 3, {"Initiated": "true"},
              process={"executable": "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "pid": 4312, "entity_id": g % 1},
              source={"ip": "192.0.2.50", "port": 50211}, destination={"ip": "198.51.100.23", "port": 443},
              network={"transport": "tcp", "direction": "egress"}),
        event(1, 48230, "2020-05-12T09:20:44.871Z", 1,
              {"IntegrityLevel": "High", "LogonId": "0x3e7a1", "TerminalSessionId": "1"},
              process=proc("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                           "powershell.exe -NoProfile -Command \"Get-Service -Name Spooler | Restart-Service\"",
                           5120, g % 2, explorer, explorer, 3120, g % 0,
                           "2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819")),
        event(3, 48231, "2020-05-12T09:21:10.003Z", 3, {"Initiated": "true"},
              process={"executable": "C:\\Windows\\System32\\svchost.exe", "pid": 1044, "entity_id": g % 3},
              source={"ip": "192.0.2.50", "port": 61234}, destination={"ip": "192.0.2.53", "port": 53},
              network={"transport": "udp", "direction": "egress"}),
        # The WellMess trait: the process image has a published WellMess
        # SHA-256 (the file itself is not in examples/).
        event(1, 48262, "2020-05-12T10:05:19.337Z", 1,
              {"IntegrityLevel": "Medium", "LogonId": "0x3e7a1", "TerminalSessionId": "1"},
              process=proc("C:\\ProgramData\\ExampleUpdate\\updsvc.exe",
                           "\"C:\\ProgramData\\ExampleUpdate\\updsvc.exe\"",
                           6084, g % 4, explorer, explorer, 3120, g % 0,
                           trait("0322c4c2d511f73a~b55bf3f43b1b0f152188d7146cc67ff497ad275d9dd1c20f").decode())),
        event(3, 48263, "2020-05-12T10:05:21.910Z", 3, {"Initiated": "true"},
              process={"executable": "C:\\ProgramData\\ExampleUpdate\\updsvc.exe", "pid": 6084, "entity_id": g % 4},
              source={"ip": "192.0.2.50", "port": 50388}, destination={"ip": trait("103.216.~221.19").decode(), "port": 443},
              network={"transport": "tcp", "direction": "egress"}),
        event(1, 48270, "2020-05-12T10:11:02.556Z", 1,
              {"IntegrityLevel": "Medium", "LogonId": "0x3e7a1", "TerminalSessionId": "1"},
              process=proc("C:\\Windows\\System32\\notepad.exe",
                           "\"C:\\Windows\\System32\\notepad.exe\" C:\\Users\\a.turing\\Documents\\notes.txt",
                           7001, g % 5, explorer, explorer, 3120, g % 0,
                           "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b")),
    ]
    return ("\n".join(lines) + "\n").encode()


def zip_one(name: str, data: bytes) -> bytes:
    """A zip holding one entry, with a fixed timestamp and attributes so
    the archive is the same on every run."""
    import io

    info = zipfile.ZipInfo(name, date_time=(2020, 7, 16, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(info, data)
    return buf.getvalue()


FILES = {
    "windows/wellmess-go.exe": wellmess_go_pe,
    "windows/wellmess-dotnet.exe": wellmess_dotnet,
    "windows/sorefang.exe": sorefang_pe,
    "linux/wellmail": wellmail_elf,
    "linux/mwdg.sh": lambda: MWDG_SH,
    "quarantine/archive.zip": lambda: zip_one("linux/wellmess-go.elf", wellmess_go_elf()),
    "notes/proxy-capture.txt": proxy_capture,
    "logs/access.log": lambda: ACCESS_LOG,
    "logs/vpn-syslog.log": lambda: VPN_SYSLOG.replace(b"~", b""),
    "logs/auth.log": lambda: AUTH_LOG,
    "logs/sysmon.jsonl": sysmon_jsonl,
    "decoys/go-tool.exe": decoy_go_pe,
    "decoys/dotnet-app.exe": decoy_dotnet_pe,
    "decoys/symbol-notes.txt": decoy_symbol_list,
}


def main() -> None:
    for rel, make in FILES.items():
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make())
        print(f"{path.stat().st_size:6d}  examples/{rel}")


if __name__ == "__main__":
    main()
