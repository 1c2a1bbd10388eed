// SoreFang (ATT&CK S0516): antibody's own rule, written from the traits
// published with the July 2020 advisory. docs/engines/files.md explains it.
//
// Strong traits are unique to SoreFang (its multipart boundary, key string
// and two misspelt messages). Weak traits occur elsewhere too (disk report
// labels, a Google Analytics cookie name, the RC5/RC6 key-schedule
// constants, which every RC5, RC6 and TEA implementation has): they only
// count next to a strong one.

rule APT29_SoreFang_PE
{
    meta:
        description = "SoreFang downloader, Windows PE: two of its unique strings, or one with three of its weaker traits"
        author = "antibody"
        date = "2026-11-25"
        severity = "critical"
        confidence = "high"
        attack = "S0516, T1071.001, T1082, T1083, T1105"
        source = "cisa-ar20-198a"
        malware = "SoreFang"
        action = "Isolate the host and preserve memory and this file. Check the SangFor SSL VPN server that hands out client software (SoreFang was planted by replacing it), reset the credentials the host and the VPN handled, block 103.216.221.19 and hunt the estate for the same traits."

    strings:
        $s1 = "------974767299852498929531610575" ascii wide
        $s2 = "2b6233eb3e872ff78988f4a8f3f6a3ba" ascii wide
        $s3 = "----------All usres directory----------" ascii wide
        $s4 = "I can not het information about this disk" ascii wide

        $w1 = "----------Desktop directory----------" ascii wide
        $w2 = "Free on disk: " ascii wide
        $w3 = "Total disk: " ascii wide
        $w4 = "Cookie:_ga=" ascii wide
        // RC5/RC6 key-schedule constants P32 and Q32, little-endian.
        $w5 = { 63 51 E1 B7 }
        $w6 = { B9 79 37 9E }

    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550
        and filesize < 20MB
        and (2 of ($s*) or (1 of ($s*) and 3 of ($w*)))
}
