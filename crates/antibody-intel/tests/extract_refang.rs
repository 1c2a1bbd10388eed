//! Every defang style of the extraction conventions comes back as the
//! indicator it hides, marked defanged, and only as that.

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

#[test]
fn dot_styles_give_the_domain() {
    for written in [
        "evil-c2[.]top",
        "evil-c2(.)top",
        "evil-c2{.}top",
        "evil-c2[dot]top",
        "evil-c2(dot)top",
        "evil-c2{dot}top",
        "evil-c2[DOT]top",
        "evil-c2 . top",
        "evil-c2 [dot] top",
        "evil-c2\\.top",
        "evil-c2\u{a0}.\u{a0}top",
        "evil-c2\u{200b}.top",
        "evil-c2.\u{200b}top",
    ] {
        let text = format!("The loader beacons to {written} every hour.");
        let found = extract(&text);
        let dom: Vec<&Ioc> = found.iter().filter(|i| i.kind == IocKind::Domain).collect();
        assert_eq!(dom.len(), 1, "{written:?}: {found:?}");
        assert_eq!(dom[0].value, "evil-c2.top", "{written:?}");
        assert!(dom[0].defanged, "{written:?} not marked defanged");
        assert_eq!(dom[0].raw, written.trim(), "{written:?}");
        assert!(
            found.iter().all(|i| i.kind == IocKind::Domain),
            "{written:?}: {found:?}"
        );
    }
}

#[test]
fn scheme_styles_give_the_url() {
    for written in [
        "hxxp://evil-c2[.]top/api/upd.php",
        "hXXp://evil-c2[.]top/api/upd.php",
        "h**p://evil-c2[.]top/api/upd.php",
        "meow://evil-c2[.]top/api/upd.php",
        "hxxp[:]//evil-c2[.]top/api/upd.php",
        "hxxp[://]evil-c2[.]top/api/upd.php",
        "hxxp:[//]evil-c2[.]top/api/upd.php",
        "hxxp://evil-c2[.]top[/]api[/]upd.php",
        "hxxp:// evil-c2[.]top/api/upd.php",
        "http[:]//evil-c2(.)top/api/upd.php",
    ] {
        let text = format!("Stage two is fetched from {written}, then run.");
        assert_eq!(
            values(&text, IocKind::Url),
            ["http://evil-c2.top/api/upd.php"],
            "{written:?}"
        );
        assert_eq!(
            values(&text, IocKind::Domain),
            ["evil-c2.top"],
            "{written:?}"
        );
    }
    assert_eq!(
        values("Get hxxps://a-b[.]xyz/x now", IocKind::Url),
        ["https://a-b.xyz/x"]
    );
    assert_eq!(
        values("Get hXXps://a-b[.]xyz/x now", IocKind::Url),
        ["https://a-b.xyz/x"]
    );
    assert_eq!(
        values("Get fxp://a-b[.]xyz/pub/x now", IocKind::Url),
        ["ftp://a-b.xyz/pub/x"]
    );
}

#[test]
fn mail_styles_give_the_address() {
    for written in [
        "ops[@]mail-c2[.]ru",
        "ops[at]mail-c2[.]ru",
        "ops(at)mail-c2[.]ru",
        "ops [at] mail-c2 [dot] ru",
    ] {
        let text = format!("Phishing came from {written} last week.");
        assert_eq!(
            values(&text, IocKind::Email),
            ["ops@mail-c2.ru"],
            "{written:?}"
        );
        assert!(values(&text, IocKind::Domain).is_empty(), "{written:?}");
    }
    // A bare " at " is prose, not a defang.
    assert!(values("Contact ops at mail-c2.ru for help", IocKind::Email).is_empty());
}

#[test]
fn defanged_ips_stay_ips() {
    for written in [
        "103.216.221[.]19",
        "103[.]216[.]221[.]19",
        "103(.)216(.)221(.)19",
        "103[dot]216[dot]221[dot]19",
    ] {
        let text = format!("Traffic from {written} was blocked.");
        let found = extract(&text);
        assert_eq!(found.len(), 1, "{written:?}: {found:?}");
        assert_eq!(found[0].kind, IocKind::Ipv4);
        assert_eq!(found[0].value, "103.216.221.19");
        assert!(found[0].defanged);
    }
}

#[test]
fn glued_quotes_and_brackets_are_not_part_of_the_url() {
    for written in [
        "“hxxp://evil-c2[.]top/a/b.php”",
        "‘hxxp://evil-c2[.]top/a/b.php’",
        "<hxxp://evil-c2[.]top/a/b.php>",
        "\"hxxp://evil-c2[.]top/a/b.php\"",
        "(hxxp://evil-c2[.]top/a/b.php)",
        "[hxxp://evil-c2[.]top/a/b.php]",
        "hxxp://evil-c2[.]top/a/b.php.",
        "hxxp://evil-c2[.]top/a/b.php,",
        "hxxp://evil-c2[.]top/a/b.php;",
        "'hxxp://evil-c2[.]top/a/b.php'",
    ] {
        let text = format!("See {written} for details");
        assert_eq!(
            values(&text, IocKind::Url),
            ["http://evil-c2.top/a/b.php"],
            "{written:?}"
        );
    }
    // A bracket pair inside the path belongs to it.
    assert_eq!(
        values("at (hxxp://evil-c2[.]top/a_(b).php).", IocKind::Url),
        ["http://evil-c2.top/a_(b).php"]
    );
    // Markdown links.
    assert_eq!(
        values("[here](hxxp://evil-c2[.]top/x)", IocKind::Url),
        ["http://evil-c2.top/x"]
    );
}

#[test]
fn plain_values_are_not_marked_defanged() {
    let found = extract("Connects to 103.216.221.19 and evil-c2.top.");
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|i| !i.defanged));
}
