//! The traps of the extraction conventions: version and section numbers,
//! file names that look like domains, anti-virus names, sub-strings of
//! longer tokens, and names that must come back flagged, never hostile.

use antibody_intel::extract::{ExtractOptions, Extractor};
use antibody_intel::{Flag, Ioc, IocKind};

fn extract(text: &str) -> Vec<Ioc> {
    Extractor::new(ExtractOptions::default()).extract(text)
}

fn hostile(text: &str) -> Vec<(IocKind, String)> {
    extract(text)
        .into_iter()
        .filter(|i| i.flag.is_none())
        .map(|i| (i.kind, i.value))
        .collect()
}

fn flag_of(text: &str, kind: IocKind, value: &str) -> Option<Flag> {
    let found = extract(text);
    let ioc = found.iter().find(|i| i.kind == kind && i.value == value);
    assert!(ioc.is_some(), "{value} not found in {text:?}: {found:?}");
    ioc.and_then(|i| i.flag)
}

#[test]
fn version_and_section_numbers_are_not_ips() {
    for text in [
        "Upgrade to version 10.2.0.1 now.",
        "The appliance runs v6.0.4.2 of the firmware.",
        "Pulse Connect Secure 9.0R3.4 is affected.",
        "Fixed in build 1.2.3.4 and later.",
        "See section 2.1.3.4 of the guide.",
        "As required by § 4.1.2.1 of the rules.",
        "Shown in figure 3.1.2.1 above.",
        "Affected versions 1.2.3.4 and 1.2.3.5 only.",
        "The Exchange builds in question are 15.1.225.42 and 15.2.221.12, not addresses.",
        "The loader version field (for example 5.0.3.1) is not an address.",
    ] {
        let found: Vec<_> = hostile(text)
            .into_iter()
            .filter(|(k, _)| *k == IocKind::Ipv4)
            .collect();
        assert!(found.is_empty(), "{text:?}: {found:?}");
    }
    // The same shape with no version word is an address.
    assert_eq!(
        hostile("It beacons to 15.1.225.42 nightly."),
        [(IocKind::Ipv4, "15.1.225.42".to_string())]
    );
    // Defanged, the author meant an address whatever the words around.
    assert_eq!(
        hostile("The version server is 15.1.225[.]42."),
        [(IocKind::Ipv4, "15.1.225.42".to_string())]
    );
}

#[test]
fn file_names_are_not_domains() {
    for (text, name) in [
        ("Run setup.py to install.", "setup.py"),
        ("The report.ps file was printed.", "report.ps"),
        ("It launches cmd.com first.", "cmd.com"),
        ("Open invoice.pdf to see.", "invoice.pdf"),
        ("It drops loader.sh in place.", "loader.sh"),
        ("It arrives as payload.zip by mail.", "payload.zip"),
    ] {
        let found = extract(text);
        assert!(
            found.iter().all(|i| i.kind != IocKind::Domain),
            "{text:?}: {found:?}"
        );
        assert!(
            found
                .iter()
                .any(|i| i.kind == IocKind::FileName && i.value == name),
            "{text:?}: {found:?}"
        );
    }
    // Written defanged, a .sh name is a host.
    assert_eq!(
        hostile("C2 at loader[.]sh today"),
        [(IocKind::Domain, "loader.sh".to_string())]
    );
}

#[test]
fn av_signature_names_are_nothing() {
    for text in [
        "Detected as W64/Agent.CA!tr by the vendor.",
        "Detected as Trojan.Win32.Agent.abc by the vendor.",
        "Detected as HEUR:Backdoor.Linux.WellMess.a by the vendor.",
        "Detected as Backdoor.WellMess!gen1 by the vendor.",
    ] {
        let found = extract(text);
        assert!(found.is_empty(), "{text:?}: {found:?}");
    }
}

#[test]
fn sub_strings_of_longer_tokens_never_match() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    for text in [
        format!("blob {md5}ab end"),
        format!("blob ab{md5} end"),
        "path 1.2.3.4.5 end".to_string(),
        "see XCVE-2021-44228 end".to_string(),
        "id XT1566 and T15660 end".to_string(),
    ] {
        let found = extract(&text);
        assert!(found.is_empty(), "{text:?}: {found:?}");
    }
    // The domain of an e-mail address is not a separate domain.
    let found = extract("Sent from ops@mail-c2.ru today.");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, IocKind::Email);
}

#[test]
fn sentence_glue_is_not_a_domain() {
    assert!(hostile("They moved in the network.In the end they left.").is_empty());
    assert!(hostile("It uses System.Net classes.").is_empty());
}

#[test]
fn special_addresses_are_flagged() {
    for (text, kind, value, flag) in [
        (
            "host 10.10.1.5 seen",
            IocKind::Ipv4,
            "10.10.1.5",
            Flag::Private,
        ),
        (
            "host 172.20.1.5 seen",
            IocKind::Ipv4,
            "172.20.1.5",
            Flag::Private,
        ),
        (
            "host 192.168.1.5 seen",
            IocKind::Ipv4,
            "192.168.1.5",
            Flag::Private,
        ),
        (
            "host 127.0.0.1 seen",
            IocKind::Ipv4,
            "127.0.0.1",
            Flag::Loopback,
        ),
        (
            "host 169.254.10.1 seen",
            IocKind::Ipv4,
            "169.254.10.1",
            Flag::LinkLocal,
        ),
        (
            "host 192.0.2.44 seen",
            IocKind::Ipv4,
            "192.0.2.44",
            Flag::Documentation,
        ),
        (
            "host 198.51.100.7 seen",
            IocKind::Ipv4,
            "198.51.100.7",
            Flag::Documentation,
        ),
        (
            "host 203.0.113.9 seen",
            IocKind::Ipv4,
            "203.0.113.9",
            Flag::Documentation,
        ),
        (
            "host 224.0.0.251 seen",
            IocKind::Ipv4,
            "224.0.0.251",
            Flag::Reserved,
        ),
        (
            "host 0.1.2.3 seen",
            IocKind::Ipv4,
            "0.1.2.3",
            Flag::Reserved,
        ),
        (
            "host fd12:3456::1 seen",
            IocKind::Ipv6,
            "fd12:3456::1",
            Flag::Private,
        ),
        ("host ::1 seen", IocKind::Ipv6, "::1", Flag::Loopback),
        (
            "host fe80::1 seen",
            IocKind::Ipv6,
            "fe80::1",
            Flag::LinkLocal,
        ),
        (
            "host 2001:db8::44 seen",
            IocKind::Ipv6,
            "2001:db8::44",
            Flag::Documentation,
        ),
        (
            "net 10.1.2.3/8 seen",
            IocKind::Cidr,
            "10.0.0.0/8",
            Flag::Private,
        ),
        (
            "name example.com seen",
            IocKind::Domain,
            "example.com",
            Flag::ExampleDomain,
        ),
        (
            "name c2.example.org seen",
            IocKind::Domain,
            "c2.example.org",
            Flag::ExampleDomain,
        ),
        (
            "name c2.test seen",
            IocKind::Domain,
            "c2.test",
            Flag::ExampleDomain,
        ),
        (
            "name printer.local seen",
            IocKind::Domain,
            "printer.local",
            Flag::ExampleDomain,
        ),
        (
            "name c2.invalid seen",
            IocKind::Domain,
            "c2.invalid",
            Flag::ExampleDomain,
        ),
        (
            "name microsoft.com seen",
            IocKind::Domain,
            "microsoft.com",
            Flag::Benign,
        ),
        (
            "see https://attack.mitre.org/techniques/T1566/ here",
            IocKind::Url,
            "https://attack.mitre.org/techniques/T1566/",
            Flag::Benign,
        ),
        (
            "see https://nvd.nist.gov/vuln/detail/CVE-2019-19781 here",
            IocKind::Domain,
            "nvd.nist.gov",
            Flag::Benign,
        ),
        (
            "it runs cmd.exe here",
            IocKind::FileName,
            "cmd.exe",
            Flag::Benign,
        ),
        (
            "it runs rundll32.exe here",
            IocKind::FileName,
            "rundll32.exe",
            Flag::Benign,
        ),
        (
            "mail ops@example.com here",
            IocKind::Email,
            "ops@example.com",
            Flag::ExampleDomain,
        ),
    ] {
        assert_eq!(flag_of(text, kind, value), Some(flag), "{text:?}");
    }
}

#[test]
fn public_addresses_and_names_are_hostile() {
    assert_eq!(
        flag_of("host 103.216.221.19 seen", IocKind::Ipv4, "103.216.221.19"),
        None
    );
    assert_eq!(
        flag_of(
            "host 2a02:2b88:6:4c00::a1 seen",
            IocKind::Ipv6,
            "2a02:2b88:6:4c00::a1"
        ),
        None
    );
    assert_eq!(
        flag_of(
            "name notmicrosoft.com seen",
            IocKind::Domain,
            "notmicrosoft.com"
        ),
        None
    );
    assert_eq!(
        flag_of(
            "it drops wellmess.exe here",
            IocKind::FileName,
            "wellmess.exe"
        ),
        None
    );
}
