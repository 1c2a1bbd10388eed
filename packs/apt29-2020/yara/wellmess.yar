// WellMess (ATT&CK S0514): antibody's own rules, written from the traits
// published with the July 2020 advisory. docs/engines/files.md explains what
// each rule requires and why.
//
// The executable rules check the file type first (PE or ELF header, and for
// .NET a CLR metadata marker) and then several traits together, so reports,
// notes and this pack, which quote the same strings, do not match them.
// Go markers (runtime function names, build id, build info) prove the file
// is a Go program; the WellMess traits then have to be there as well.
//
// `botlib.init` is left out on purpose: every Go package named `botlib` has
// one. `botlib.Send` is left out because it is a prefix of `botlib.SendD`
// and would count one symbol twice.

rule APT29_WellMess_Go_PE
{
    meta:
        description = "WellMess Go implant, Windows PE: a Go program with at least three of the WellMess botlib functions or build path"
        author = "antibody"
        date = "2026-11-25"
        severity = "critical"
        confidence = "high"
        attack = "S0514, T1059, T1071.001, T1105, T1573.001"
        source = "jpcert-blog-2018"
        malware = "WellMess"
        action = "Isolate the host and preserve memory and this file. Treat it as an APT29 compromise: reset every credential the host and the internet-facing VPN or gateway devices handled, find how the implant arrived, block its C2 addresses and hunt the estate for the same traits."

    strings:
        $go1 = "runtime.main" ascii
        $go2 = "runtime.goexit" ascii
        $go3 = "Go build ID: \"" ascii
        $go4 = "\xff Go buildinf:" ascii

        $fn1 = "botlib.wellMess" ascii
        $fn2 = "botlib.Command" ascii
        $fn3 = "botlib.Download" ascii
        $fn4 = "botlib.AES_Encrypt" ascii
        $fn5 = "botlib.SendD" ascii
        $fn6 = "botlib.z32decode" ascii
        $path = "C:/Server/BotUI/App_Data/Temp/" ascii

    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550
        and filesize < 20MB
        and 1 of ($go*)
        and 3 of ($fn*, $path)
}

rule APT29_WellMess_Go_ELF
{
    meta:
        description = "WellMess Go implant, Linux ELF: a Go program with at least three of the WellMess botlib functions or build path"
        author = "antibody"
        date = "2026-11-25"
        severity = "critical"
        confidence = "high"
        attack = "S0514, T1059, T1071.001, T1105, T1573.001"
        source = "jpcert-blog-2018"
        malware = "WellMess"
        action = "Isolate the host and preserve memory and this file. Treat it as an APT29 compromise: reset every credential the host and the internet-facing VPN or gateway devices handled, find how the implant arrived, block its C2 addresses and hunt the estate for the same traits."

    strings:
        $go1 = "runtime.main" ascii
        $go2 = "runtime.goexit" ascii
        $go3 = "Go build ID: \"" ascii
        $go4 = "\xff Go buildinf:" ascii

        $fn1 = "botlib.wellMess" ascii
        $fn2 = "botlib.Command" ascii
        $fn3 = "botlib.Download" ascii
        $fn4 = "botlib.AES_Encrypt" ascii
        $fn5 = "botlib.SendD" ascii
        $fn6 = "botlib.z32decode" ascii
        $path = "C:/Server/BotUI/App_Data/Temp/" ascii

    condition:
        uint32(0) == 0x464C457F
        and filesize < 20MB
        and 1 of ($go*)
        and 3 of ($fn*, $path)
}

// In the two rules below `;` is written `\x3b` so that this file does not
// carry the C2 marker sequence itself and match the text rule.

rule APT29_WellMess_DotNet
{
    meta:
        description = "WellMess .NET implant: a .NET PE with two WellMess identifiers and its C2 message markers or its UTF-16 status strings"
        author = "antibody"
        date = "2026-11-25"
        severity = "critical"
        confidence = "high"
        attack = "S0514, T1059, T1071.001, T1105, T1573.001"
        source = "ncsc-advisory"
        malware = "WellMess"
        action = "Isolate the host and preserve memory and this file. Treat it as an APT29 compromise: reset every credential the host and the internet-facing VPN or gateway devices handled, find how the implant arrived, block its C2 addresses and hunt the estate for the same traits."

    strings:
        // CLR metadata root: signature BSJB, version 1.1.
        $clr1 = { 42 53 4A 42 01 00 01 00 }
        $clr2 = "mscoree.dll" ascii nocase
        $clr3 = "#Strings" ascii

        $id1 = "WellMess" ascii wide
        $id2 = "FromNormalToBase64" ascii wide
        $id3 = "FromBase64ToNormal" ascii wide

        $mk1 = "<\x3bhead\x3b><\x3btitle\x3b>" ascii wide
        $mk2 = "<\x3btitle\x3b><\x3bservice\x3b>" ascii wide

        $u1 = "HealthInterval" wide
        $u2 = "Hello from Proxy" wide
        $u3 = "Start bot:" wide

    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550
        and filesize < 20MB
        and 1 of ($clr*)
        and 2 of ($id*)
        and (1 of ($mk*) or 2 of ($u*))
}

rule APT29_WellMess_C2_Markers_Text
{
    meta:
        description = "WellMess HTTP C2 message markers (head, then title, then service tags within 8 KB) in non-executable content such as captured HTTP bodies or proxy logs"
        author = "antibody"
        date = "2026-11-25"
        severity = "medium"
        confidence = "medium"
        attack = "S0514, T1071.001, T1132.001"
        source = "ncsc-advisory"
        malware = "WellMess"
        action = "Find the internal host that sent or received this traffic and when, block the remote address, and hunt that host for WellMess."

    strings:
        $head = "<\x3bhead\x3b>" ascii wide
        $title = "<\x3btitle\x3b>" ascii wide
        $service = "<\x3bservice\x3b>" ascii wide

    // Only the first 64 head tags are tried: a loop over every occurrence
    // can be slow on a large log, and a real C2 capture repeats the
    // sequence anyway.
    condition:
        uint16(0) != 0x5A4D
        and uint32(0) != 0x464C457F
        and for any i in (1..64) : (
            $title in (@head[i] .. @head[i] + 4096)
            and $service in (@head[i] .. @head[i] + 8192)
        )
}
