//! Techniques from prose: each rule with a sentence that must give it and a
//! sentence that must not; and explicit ids.

use antibody_intel::entities::Recogniser;

fn ids(text: &str) -> Vec<String> {
    Recogniser::shared()
        .recognise(text)
        .techniques
        .into_iter()
        .map(|t| t.id)
        .collect()
}

/// (technique, sentence that gives it, sentence that does not).
const CASES: &[(&str, &str, &str)] = &[
    (
        "T1566",
        "The group sent spear-phishing e-mails to staff.",
        "Staff completed phishing awareness training last year.",
    ),
    (
        "T1566",
        "Targets received spearphishing messages.",
        "The phishing simulation should run monthly.",
    ),
    (
        "T1566",
        "Victims were phished through fake login pages.",
        "Phishers is not a word we use.",
    ),
    (
        "T1566.001",
        "They sent spear phishing emails with malicious Word attachments.",
        "They sent spear phishing emails to many people.",
    ),
    (
        "T1566.002",
        "The actor used phishing e-mails containing a link to a fake portal.",
        "The actor linked the domain to an earlier campaign.",
    ),
    (
        "T1190",
        "The actor exploited a vulnerability in a VPN appliance to gain access.",
        "The VPN appliance was patched in January.",
    ),
    (
        "T1190",
        "APT29 has exploited publicly known vulnerabilities in internet-facing servers.",
        "Internet-facing servers are common.",
    ),
    (
        "T1078",
        "The actor then logged in with stolen credentials.",
        "Credentials are stored in the vault.",
    ),
    (
        "T1078",
        "They used valid domain accounts to move around.",
        "Accounts were audited.",
    ),
    (
        "T1110.003",
        "The actor conducted password spraying against Office 365.",
        "The password policy was changed.",
    ),
    (
        "T1110",
        "The group attempted to brute-force SSH logins.",
        "The group forced its way in.",
    ),
    (
        "T1595.002",
        "The actor is scanning for vulnerable Citrix servers.",
        "The documents were scanned and filed.",
    ),
    (
        "T1053.005",
        "Persistence was achieved with a scheduled task named Updater.",
        "The task was scheduled for review.",
    ),
    (
        "T1059.001",
        "A PowerShell script downloaded the payload.",
        "Powers of the shell company were limited.",
    ),
    (
        "T1059.003",
        "The implant ran commands through cmd.exe /c on the host.",
        "The command structure was unclear.",
    ),
    (
        "T1059.004",
        "It executed bash commands to list users.",
        "The bash at the embassy was cancelled.",
    ),
    (
        "T1505.003",
        "A web shell was placed on the Exchange server.",
        "The web server had a shell script banner.",
    ),
    (
        "T1071.004",
        "The malware used DNS tunnelling for exfiltration.",
        "The DNS records were updated.",
    ),
    (
        "T1071.004",
        "The implant sent C2 traffic over DNS.",
        "C2 traffic was not observed.",
    ),
    (
        "T1071.001",
        "WellMess communicates with its C2 server over HTTPS.",
        "The website is served over HTTPS.",
    ),
    (
        "T1573",
        "C2 communications are encrypted with AES.",
        "The ransomware encrypted files on the C2 host and every share.",
    ),
    (
        "T1132.001",
        "Commands are Base64 encoded before they are sent to the C2 server.",
        "The Base64 alphabet has 64 characters.",
    ),
    (
        "T1105",
        "The backdoor downloaded further tools from the server.",
        "The user downloaded the report.",
    ),
    (
        "T1195.002",
        "The SolarWinds supply chain compromise affected thousands of customers.",
        "The supply of chains to the port was delayed.",
    ),
    (
        "T1041",
        "Data was exfiltrated over the existing C2 channel.",
        "Data was exfiltrated to a cloud storage account.",
    ),
    (
        "T1021.001",
        "The actor moved laterally using RDP.",
        "RDP was disabled on the server.",
    ),
    (
        "T1003.001",
        "The actor dumped LSASS memory with a custom tool.",
        "The actor dumped the files into an archive.",
    ),
    (
        "T1003.001",
        "Credential dumping followed within hours.",
        "Credentials expire after 90 days.",
    ),
    (
        "T1550",
        "The actor was able to bypass MFA by stealing session cookies.",
        "MFA was enabled for all users.",
    ),
];

#[test]
fn each_rule_has_a_positive_and_a_negative_sentence() {
    let mut failures = Vec::new();
    for &(id, yes, no) in CASES {
        if !ids(yes).iter().any(|t| t == id) {
            failures.push(format!("{id} missed in {yes:?}: got {:?}", ids(yes)));
        }
        if ids(no).iter().any(|t| t == id) {
            failures.push(format!("{id} wrongly found in {no:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn advice_sentences_yield_no_technique() {
    let text = "Organisations should enable MFA to mitigate password spraying. \
        We recommend that PowerShell logging is enabled.";
    assert!(ids(text).is_empty(), "{:?}", ids(text));
}

#[test]
fn techniques_carry_name_evidence_and_sentence() {
    let text =
        "Initial access was gained by spear-phishing (T1566.002). The actor later used PowerShell.";
    let got = Recogniser::shared().recognise(text).techniques;
    let sub = got.iter().find(|t| t.id == "T1566.002").unwrap();
    assert!(!sub.from_prose);
    assert_eq!(sub.name, "Spearphishing Link");
    let ps = got.iter().find(|t| t.id == "T1059.001").unwrap();
    assert!(ps.from_prose);
    assert_eq!(ps.evidence, "PowerShell");
    assert_eq!(ps.name, "PowerShell");
    assert_eq!(ps.sentence, "The actor later used PowerShell.");
    let phishing = got.iter().find(|t| t.id == "T1566").unwrap();
    assert_eq!(phishing.evidence, "spear-phishing");
    // One entry per id.
    let mut seen: Vec<&str> = got.iter().map(|t| t.id.as_str()).collect();
    seen.dedup();
    assert_eq!(seen.len(), got.len());
}

#[test]
fn unknown_ids_are_ignored() {
    assert!(ids("Mapped to T9999 and T0000.000 in error.").is_empty());
}
