//! A realistic, synthetic hunt for the printers' tests: several severities,
//! one noisy rule, kinds no engine hunted, a skip and some read errors.

use crate::{CaseView, HuntLine, Report};
use antibody_core::{
    Confidence, FileInfo, Finding, ItemError, ItemErrorKind, Kind, Location, Match, Observable,
    PackInfo, RuleRef, Severity, Summary,
};
use chrono::{DateTime, TimeZone, Utc};

const ADVISORY: &str =
    "https://www.ncsc.gov.uk/news/advisory-apt29-targets-covid-19-vaccine-development";

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 7, 16, h, m, 0).unwrap()
}

fn rule(id: &str, name: &str, engine: &str) -> RuleRef {
    RuleRef {
        id: id.into(),
        name: name.into(),
        pack: "apt29-2020".into(),
        engine: engine.into(),
        references: vec![ADVISORY.into()],
        author: None,
    }
}

/// `n` hits of one web-shell rule on `/srv/www/shellNN.aspx`, in reverse
/// order so that tests see the printer sort them.
pub(crate) fn many_locations(n: usize) -> Vec<Finding> {
    (0..n)
        .rev()
        .map(|i| Finding {
            rule: rule("APT29_ASPX_Shell", "ASPX web shell", "files"),
            title: "ASPX web shell".into(),
            reason: "2 of the web shell's published strings".into(),
            severity: Severity::High,
            confidence: Confidence::Medium,
            techniques: vec!["T1505.003".into()],
            location: Location::file(format!("/srv/www/shell{i:02}.aspx")),
            offset: Some(0x2a0),
            matches: vec![Match::new("$eval", 0x2a0, b"eval(Request.Item[\"cmd\"])")],
            observables: vec![],
            file: None,
            timestamp: None,
            action: "Take the web server out of service and review its access logs.".into(),
            events: Vec::new(),
        })
        .collect()
}

/// One finding of each severity, two critical, plus the noisy web shell.
pub(crate) fn findings() -> Vec<Finding> {
    let wellmess = Finding {
        rule: rule("WellMess_Go", "WellMess Go implant", "files"),
        title: "WellMess (Go) implant".into(),
        reason: "3 of the published WellMess strings and a Go build id".into(),
        severity: Severity::Critical,
        confidence: Confidence::High,
        techniques: vec!["S0514".into(), "T1071.001".into(), "T1573.001".into()],
        location: Location::file("/evidence/host-17/tmp/update.zip").member("bot.exe"),
        offset: Some(0x10),
        matches: vec![
            Match::new("$a", 0x10, b"botlib.wellMess"),
            Match::new("$b", 0x1f4, b"botlib.Command"),
            Match::new("$c", 0x3e8, b"botlib.Send\x00\x01"),
            Match::new("$d", 0x400, b"botlib.Chunk"),
        ],
        observables: vec![Observable::Sha256("ab".repeat(32))],
        file: Some(FileInfo {
            size: 3_456_000,
            sha256: Some("ab".repeat(32)),
            ..Default::default()
        }),
        timestamp: Some(at(9, 12)),
        action: "Isolate the host now; collect memory before shutting it down; reset credentials \
                 used on it."
            .into(),
        events: Vec::new(),
    };
    let wellmail_sha256 = "0c".repeat(32);
    let wellmail = Finding {
        rule: rule(
            &format!("sha256:{wellmail_sha256}"),
            "WellMail sample",
            "files",
        ),
        title: "Known WellMail sample (SHA-256)".into(),
        reason: "SHA-256 equals a sample published in the advisory".into(),
        severity: Severity::Critical,
        confidence: Confidence::High,
        techniques: vec!["S0515".into()],
        location: Location::file("/evidence/host-17/usr/lib/.cache/wm"),
        offset: None,
        matches: vec![],
        observables: vec![Observable::Sha256(wellmail_sha256.clone())],
        file: Some(FileInfo {
            size: 1_204_224,
            sha256: Some(wellmail_sha256),
            ..Default::default()
        }),
        timestamp: None,
        action: "Isolate the host now.".into(),
        events: Vec::new(),
    };
    let c2 = Finding {
        rule: rule("ip:103.216.221.19", "WellMess C2 address", "files"),
        title: "Published WellMess C2 address".into(),
        reason: "an address the advisory lists as WellMess command and control appears in the \
                 text"
            .into(),
        severity: Severity::Medium,
        confidence: Confidence::Medium,
        techniques: vec!["T1071.001".into()],
        location: Location::file("/evidence/host-17/var/log/squid/access.log"),
        offset: Some(0x1f40),
        matches: vec![Match::new("ip", 0x1f40, b"103.216.221.19")],
        observables: vec![Observable::Ip("103.216.221.19".parse().unwrap())],
        file: None,
        timestamp: None,
        action: "Find which host made the request and hunt it.".into(),
        events: Vec::new(),
    };
    let name = Finding {
        rule: rule("name:ssh-agent.exe", "SoreFang drop name", "files"),
        title: "File name used by SoreFang".into(),
        reason: "the file name matches a published SoreFang name".into(),
        severity: Severity::Low,
        confidence: Confidence::Low,
        techniques: vec![],
        location: Location::file("C:\\Users\\Public\\ssh-agent.exe"),
        offset: None,
        matches: vec![],
        observables: vec![],
        file: None,
        timestamp: None,
        action: "Compare the file with the vendor's binary.".into(),
        events: Vec::new(),
    };
    let mut all = vec![name, c2, wellmail, wellmess];
    all.extend(many_locations(12));
    all
}

/// Item errors: two read failures (one with a hostile name), one corrupt
/// archive, one deliberate skip.
pub(crate) fn errors() -> Vec<ItemError> {
    vec![
        ItemError::new(
            "/evidence/host-17/root/.ssh/id_rsa",
            ItemErrorKind::Unreadable,
            "permission denied",
        ),
        ItemError::new(
            "/evidence/host-17/tmp/\x1b]0;owned\x07notes.txt",
            ItemErrorKind::Vanished,
            "no such file (removed during the hunt)",
        ),
        ItemError::new(
            "/evidence/host-17/tmp/update.zip!data.tar",
            ItemErrorKind::Corrupt,
            "offset 0x00000200: bad tar header checksum",
        ),
        ItemError::new(
            "/evidence/host-17/var/lib/mysql/ibdata1",
            ItemErrorKind::Skipped,
            "12.0 GiB is over --max-file-size 2 GiB",
        ),
    ]
}

/// The summary matching [`findings`] and [`errors`].
pub(crate) fn summary(findings: &[Finding], errors: &[ItemError]) -> Summary {
    let mut s = Summary {
        version: "0.1.0".into(),
        targets: vec!["/evidence/host-17".into(), "C:\\Users".into()],
        started: Some(at(10, 0)),
        finished: Some(at(10, 3)),
        seconds: 187.3,
        packs: vec![PackInfo {
            name: "apt29-2020".into(),
            version: "2020.07.16".into(),
            origin: "built-in".into(),
        }],
        yara_rules: 38,
        indicators: 112,
        ..Default::default()
    };
    for i in 0..7 {
        s.count_item(
            Kind::Evtx,
            &format!("/evidence/host-17/logs/{i}.evtx"),
            1 << 20,
            false,
        );
    }
    s.count_item(
        Kind::Pcapng,
        "/evidence/host-17/capture.pcapng",
        1 << 30,
        false,
    );
    s.count_item(Kind::Pe, "/evidence/host-17/tmp/bot.exe", 3_456_000, true);
    // The rest of a realistic hunt, in bulk.
    s.items += 18_423;
    s.bytes += 2_300_000_000;
    *s.kinds.entry(Kind::Text).or_insert(0) += 18_423;
    for f in findings {
        s.count_finding(f);
    }
    for e in errors {
        s.count_error(e);
    }
    s
}

/// Everything a test needs to build a [`Report`], owned.
pub(crate) struct Hunt {
    pub(crate) summary: Summary,
    pub(crate) findings: Vec<Finding>,
    pub(crate) errors: Vec<ItemError>,
}

impl Hunt {
    /// The realistic hunt.
    pub(crate) fn new() -> Self {
        let findings = findings();
        let errors = errors();
        let summary = summary(&findings, &errors);
        Hunt {
            summary,
            findings,
            errors,
        }
    }

    /// A hunt that found nothing and read everything.
    pub(crate) fn clean() -> Self {
        let summary = summary(&[], &[]);
        Hunt {
            summary,
            findings: vec![],
            errors: vec![],
        }
    }

    /// The report borrowing this hunt.
    pub(crate) fn report(&self) -> Report<'_> {
        Report {
            summary: &self.summary,
            findings: &self.findings,
            errors: &self.errors,
        }
    }
}

/// A case with two hunts of the same host.
pub(crate) struct Case {
    pub(crate) hunts: Vec<HuntLine>,
    pub(crate) findings: Vec<(Finding, u32)>,
    pub(crate) errors: Vec<ItemError>,
}

impl Case {
    /// The case: the realistic hunt's findings, the critical ones seen twice.
    pub(crate) fn new() -> Self {
        let findings = findings()
            .into_iter()
            .map(|f| {
                let seen = if f.severity == Severity::Critical {
                    2
                } else {
                    1
                };
                (f, seen)
            })
            .collect();
        let hunts = vec![
            HuntLine {
                id: 1,
                started: Some(at(10, 0)),
                finished: Some(at(10, 3)),
                status: "finished".into(),
                targets: vec!["/evidence/host-17".into(), "C:\\Users".into()],
                findings: 17,
                errors: 3,
            },
            HuntLine {
                id: 12,
                started: Some(at(14, 30)),
                finished: None,
                status: "running".into(),
                targets: vec!["/evidence/host-17/tmp".into()],
                findings: 2,
                errors: 0,
            },
        ];
        Case {
            hunts,
            findings,
            errors: errors()[..1].to_vec(),
        }
    }

    /// The view borrowing this case.
    pub(crate) fn view(&self) -> CaseView<'_> {
        CaseView {
            path: "/cases/host-17.antibody",
            hunts: &self.hunts,
            findings: &self.findings,
            errors: &self.errors,
        }
    }
}
