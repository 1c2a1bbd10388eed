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


ACCESS_LOG = b"""192.0.2.10 - - [12/May/2020:08:01:12 +0000] "GET / HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
198.51.100.7 - - [12/May/2020:08:02:40 +0000] "GET /vpn/index.html HTTP/1.1" 200 2311 "-" "Mozilla/5.0 (X11; Linux x86_64)"
203.0.113.45 - - [12/May/2020:08:03:05 +0000] "GET /vpn/../vpns/cfg/smb.conf HTTP/1.1" 200 158 "-" "python-requests/2.22.0"
192.0.2.10 - - [12/May/2020:08:05:51 +0000] "GET /logon/LogonPoint/index.html HTTP/1.1" 200 4410 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
198.51.100.7 - - [12/May/2020:08:07:19 +0000] "POST /cgi/login HTTP/1.1" 302 0 "-" "Mozilla/5.0 (X11; Linux x86_64)"
"""


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
