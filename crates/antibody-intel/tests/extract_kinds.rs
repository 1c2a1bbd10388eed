//! One test per indicator kind (value normalised as the conventions say),
//! and the properties every indicator carries: confidence ordering,
//! sentence capture, raw text and offset, first-occurrence order.

use antibody_intel::extract::{ExtractOptions, Extractor};
use antibody_intel::{Ioc, IocKind};

fn extract(text: &str) -> Vec<Ioc> {
    Extractor::new(ExtractOptions::default()).extract(text)
}

fn values(text: &str, kind: IocKind) -> Vec<String> {
    extract(text)
        .into_iter()
        .filter(|i| i.kind == kind)
        .map(|i| i.value)
        .collect()
}

fn one(text: &str, kind: IocKind) -> String {
    let v = values(text, kind);
    assert_eq!(v.len(), 1, "{kind} in {text:?}: {v:?}");
    v.into_iter().next().unwrap_or_default()
}

#[test]
fn addresses_and_networks() {
    assert_eq!(
        one("Beacon to 103.216.221.19:443 seen.", IocKind::Ipv4),
        "103.216.221.19"
    );
    assert_eq!(
        one("Beacon to 2A02:2B88:0006:4C00::A1 seen.", IocKind::Ipv6),
        "2a02:2b88:6:4c00::a1"
    );
    assert_eq!(
        one("Scans from 45.12.9.77/24 seen.", IocKind::Cidr),
        "45.12.9.0/24"
    );
    assert_eq!(
        one("Scans from 2a02:2b88::/32 seen.", IocKind::Cidr),
        "2a02:2b88::/32"
    );
    assert_eq!(
        one("Beacon to [2a02:2b88::a1] seen.", IocKind::Ipv6),
        "2a02:2b88::a1"
    );
}

#[test]
fn domains_urls_and_mail() {
    assert_eq!(
        one("Resolves EVIL-C2.TOP. daily.", IocKind::Domain),
        "evil-c2.top"
    );
    assert_eq!(
        one("Resolves bücher.de daily.", IocKind::Domain),
        "xn--bcher-kva.de"
    );
    assert!(values("Resolves evil.notarealtld daily.", IocKind::Domain).is_empty());
    assert!(values("The co.uk zone.", IocKind::Domain).is_empty());
    assert_eq!(
        one("Fetch HTTPS://Evil-C2.TOP/Gate.php?a=B now", IocKind::Url),
        "https://evil-c2.top/Gate.php?a=B"
    );
    assert_eq!(
        one("Fetch evil-c2.top/gate.php now", IocKind::Url),
        "http://evil-c2.top/gate.php"
    );
    assert_eq!(
        one("Fetch http://103.216.221.19:8080/x now", IocKind::Ipv4),
        "103.216.221.19"
    );
    // Other schemes: the host still counts, the URL does not.
    assert_eq!(
        one("Listens on tcp://evil-c2.top:4444/x now", IocKind::Domain),
        "evil-c2.top"
    );
    assert!(values("Listens on tcp://evil-c2.top:4444/x now", IocKind::Url).is_empty());
    // Without a path, a scheme-less host is a domain only.
    assert!(values("Fetch evil-c2.top now", IocKind::Url).is_empty());
    assert_eq!(
        one("From Ops.Team@Mail-C2.RU today", IocKind::Email),
        "Ops.Team@mail-c2.ru"
    );
}

#[test]
fn digests_and_fingerprints() {
    let md5 = "D41D8CD98F00B204E9800998ECF8427E";
    let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let sha512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
    assert_eq!(
        one(&format!("File {md5} dropped."), IocKind::Md5),
        md5.to_lowercase()
    );
    assert_eq!(
        one(&format!("File sha1:{sha1} dropped."), IocKind::Sha1),
        sha1
    );
    assert_eq!(
        one(&format!("File {sha256} dropped."), IocKind::Sha256),
        sha256
    );
    assert_eq!(
        one(&format!("File {sha512} dropped."), IocKind::Sha512),
        sha512
    );
    assert_eq!(
        one(&format!("The client JA3 is {md5}."), IocKind::Ja3),
        md5.to_lowercase()
    );
    assert_eq!(
        one(
            &format!("The TLS certificate thumbprint is {sha1}."),
            IocKind::X509Fingerprint
        ),
        sha1
    );
    assert_eq!(
        one(
            &format!("The certificate SHA-256 fingerprint is {sha256}."),
            IocKind::X509Fingerprint
        ),
        sha256
    );
    assert_eq!(
        one(
            "JA4 t13d1516h2_8daaf6152771_e5627efa2ab1 seen",
            IocKind::Ja4
        ),
        "t13d1516h2_8daaf6152771_e5627efa2ab1"
    );
    let ssdeep = "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYu";
    assert_eq!(
        one(&format!("SSDEEP {ssdeep} seen"), IocKind::Ssdeep),
        ssdeep
    );
}

#[test]
fn ids() {
    assert_eq!(
        one("Exploits cve-2019-19781 widely.", IocKind::Cve),
        "CVE-2019-19781"
    );
    let ids = values(
        "Uses T1566.001, T1190 (TA0001) by G0016 with S0514, M1036 and C0024.",
        IocKind::Attack,
    );
    assert_eq!(
        ids,
        [
            "T1566.001",
            "T1190",
            "TA0001",
            "G0016",
            "S0514",
            "M1036",
            "C0024"
        ]
    );
}

#[test]
fn files_paths_and_keys() {
    assert_eq!(
        one("It drops WellMess.EXE here.", IocKind::FileName),
        "WellMess.EXE"
    );
    assert_eq!(
        one(
            r"Saved to C:\Users\Public\upd.exe today.",
            IocKind::FilePath
        ),
        r"C:\Users\Public\upd.exe"
    );
    assert_eq!(
        one(
            r"Saved to C:\Program Files\Common Files\upd.dll today.",
            IocKind::FilePath
        ),
        r"C:\Program Files\Common Files\upd.dll"
    );
    assert_eq!(
        one(
            r"Saved to %APPDATA%\Microsoft\upd.dll today.",
            IocKind::FilePath
        ),
        r"%APPDATA%\Microsoft\upd.dll"
    );
    assert_eq!(
        one(r"Copied to \\fs01\share\x.bat today.", IocKind::FilePath),
        r"\\fs01\share\x.bat"
    );
    assert_eq!(
        one("Runs /tmp/.x/run.sh at boot.", IocKind::FilePath),
        "/tmp/.x/run.sh"
    );
    // A path's last component is not a separate file name.
    assert!(values("Runs /tmp/.x/run.sh at boot.", IocKind::FileName).is_empty());
    // URL paths are not file paths.
    assert!(values("Fetch https://evil-c2.top/var/x.sh now", IocKind::FilePath).is_empty());
    assert_eq!(
        one(
            r"Run key HKCU\Software\Microsoft\Windows\CurrentVersion\Run\ is set.",
            IocKind::Registry
        ),
        r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run"
    );
    assert_eq!(
        one(
            r"Key HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon is set.",
            IocKind::Registry
        ),
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"
    );
}

#[test]
fn rules_are_kept_whole() {
    let yara =
        "rule Demo_Marker : demo {\n  strings:\n    $a = \"marker\"\n  condition:\n    $a\n}";
    let text = format!("Use this YARA rule:\n\n{yara}\n\nThat is all.");
    let found = extract(&text);
    let r = found.iter().find(|i| i.kind == IocKind::YaraRule);
    assert_eq!(r.map(|i| i.value.as_str()), Some(yara));
    assert_eq!(r.map(|i| i.sentence.as_str()), Some("Use this YARA rule:"));
    let snort = r#"alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"Demo beacon"; content:"/gate"; sid:9000001; rev:1;)"#;
    assert_eq!(
        values(&format!("Rule:\n{snort}\n"), IocKind::SnortRule),
        [snort]
    );
    let sigma = "title: Demo Rule\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image|endswith: '\\upd.exe'\n  condition: sel\n";
    assert_eq!(
        values(&format!("Sigma:\n\n{sigma}\nEnd.\n"), IocKind::SigmaRule),
        [sigma.trim_end()]
    );
}

#[test]
fn confidence_orders_kinds_and_defanging() {
    let text = "Hash d41d8cd98f00b204e9800998ecf8427e, URL http://evil-c2.top/a.php, host evil-c2.xyz, \
                host beta-c2[.]xyz, host cdn.loader-c2.zip, file upd.exe.";
    let found = extract(text);
    let conf = |kind: IocKind, v: &str| {
        found
            .iter()
            .find(|i| i.kind == kind && i.value == v)
            .map(|i| i.confidence)
            .unwrap_or(-1.0)
    };
    let hash = conf(IocKind::Md5, "d41d8cd98f00b204e9800998ecf8427e");
    let url = conf(IocKind::Url, "http://evil-c2.top/a.php");
    let plain = conf(IocKind::Domain, "evil-c2.xyz");
    let defanged = conf(IocKind::Domain, "beta-c2.xyz");
    let ext_tld = conf(IocKind::Domain, "cdn.loader-c2.zip");
    let file = conf(IocKind::FileName, "upd.exe");
    assert!(hash >= url && url > plain, "{hash} {url} {plain}");
    assert!(defanged > plain, "{defanged} {plain}");
    assert!(plain > ext_tld && ext_tld > 0.0, "{plain} {ext_tld}");
    assert!(plain > file && file > 0.0);
    assert!(found.iter().all(|i| (0.0..=1.0).contains(&i.confidence)));
}

#[test]
fn sentence_raw_offset_and_order() {
    let text = "First paragraph talks.   The actor used\n  evil[.]top   for C2. Then 103.216.221.19 too.\n\nLater evil[.]top again.";
    let found = extract(text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].value, "evil.top");
    assert_eq!(found[0].sentence, "The actor used evil[.]top for C2.");
    assert_eq!(found[0].raw, "evil[.]top");
    assert_eq!(&text[found[0].offset as usize..][..10], "evil[.]top");
    assert_eq!(found[1].value, "103.216.221.19");
    assert_eq!(found[1].sentence, "Then 103.216.221.19 too.");
    let short = Extractor::new(ExtractOptions { max_sentence: 20 }).extract(&format!(
        "{} evil-c2.top {}",
        "word ".repeat(50),
        "more ".repeat(50)
    ));
    assert_eq!(short.len(), 1);
    assert!(short[0].sentence.chars().count() <= 20);
    assert!(short[0].sentence.contains("evil-c2.top"));
}

#[test]
fn reader_matches_string_extraction() {
    let text = "Beacon to evil[.]top and 103.216.221.19; drop upd.exe; again evil[.]top.";
    let direct = extract(text);
    let mut streamed = Vec::new();
    let n = Extractor::new(ExtractOptions::default())
        .extract_reader(text.as_bytes(), &mut |i| streamed.push(i))
        .expect("reading memory");
    assert_eq!(n, text.len() as u64);
    assert_eq!(direct, streamed);
}
