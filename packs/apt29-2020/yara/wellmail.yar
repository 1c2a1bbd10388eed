// WellMail (ATT&CK S0515): antibody's own rule, written from the traits
// published with the July 2020 advisory. docs/engines/files.md explains it.
//
// WellMail is a Go ELF for Linux. The rule needs the ELF header, a Go
// marker, and two of its specific traits: `main.zipit` alone is an ordinary
// Go function name and is never enough.

rule APT29_WellMail_Go_ELF
{
    meta:
        description = "WellMail Go implant, Linux ELF: a Go program with two of the WellMail build path, main.zipit and its two unique strings"
        author = "antibody"
        date = "2026-11-25"
        severity = "critical"
        confidence = "high"
        attack = "S0515, T1095, T1560, T1571, T1573.002"
        source = "ncsc-advisory"
        malware = "WellMail"
        action = "Isolate the host and preserve memory and this file. Treat it as an APT29 compromise: reset every credential the host handled, block outbound TLS on port 25 from hosts that are not mail servers, find how the implant arrived and hunt the estate for the same traits."

    strings:
        $go1 = "runtime.main" ascii
        $go2 = "runtime.goexit" ascii
        $go3 = "Go build ID: \"" ascii
        $go4 = "\xff Go buildinf:" ascii

        $src1 = "C:/Server/Mail/App_Data/Temp/agent.sh/src/main.go" ascii
        $src2 = "C:\\Server\\Mail\\App_Data\\Temp\\agent.sh\\src\\main.go" ascii
        $zip = "main.zipit" ascii
        $k1 = "HgQdbx4qRNv" ascii
        $k2 = "042a51567eea19d5aca71050b4535d33d2ed43ba" ascii

    condition:
        uint32(0) == 0x464C457F
        and filesize < 20MB
        and 1 of ($go*)
        and 2 of ($src*, $zip, $k*)
}
