//! Entity recognition on hand-written prose: actors, software,
//! organisations, countries, sectors and topics, and ordinary English that
//! must yield no actor, malware or tool.

use antibody_intel::EntityKind;
use antibody_intel::entities::Recogniser;

fn r() -> &'static Recogniser {
    Recogniser::shared()
}

#[test]
fn every_apt29_alias_is_one_actor_with_all_mentions() {
    let text = "APT29, also known as Cozy Bear and the Dukes, targeted vaccine research. \
        Microsoft tracks the group as NOBELIUM, later renamed Midnight Blizzard. \
        Mandiant named the SolarWinds intrusion set UNC2452; others call it YTTRIUM or Dark Halo. \
        The Dukes have been active since 2008.";
    let got = r().recognise(text);
    let actors: Vec<_> = got
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::Actor)
        .collect();
    assert_eq!(actors.len(), 1, "{actors:#?}");
    let apt29 = actors[0];
    assert_eq!((apt29.id.as_str(), apt29.name.as_str()), ("G0016", "APT29"));
    assert_eq!(
        apt29.mentions,
        vec![
            "APT29",
            "Cozy Bear",
            "the Dukes",
            "NOBELIUM",
            "Midnight Blizzard",
            "UNC2452",
            "YTTRIUM",
            "Dark Halo",
            "The Dukes"
        ]
    );
    assert_eq!(apt29.count, 9);
    assert!(apt29.sentence.starts_with("APT29, also known as Cozy Bear"));
}

#[test]
fn other_conventions_actors_resolve() {
    let text = "Fancy Bear (APT28, Sofacy, STRONTIUM) and Forest Blizzard are one group. \
        The Lazarus Group, APT41, Sandworm Team, Turla and HAFNIUM are others.";
    let got = r().recognise(text);
    assert_eq!(
        got.ids(EntityKind::Actor),
        vec!["G0007", "G0032", "G0096", "G0034", "G0010", "G0125"]
    );
    assert_eq!(got.entity(EntityKind::Actor, "G0007").unwrap().count, 5);
}

#[test]
fn software_resolves_with_its_attack_type() {
    let text = "The actor deployed WellMess and WellMail, and SoreFang on some hosts. \
        Mimikatz and PsExec were used with Cobalt Strike. The SUNBURST backdoor came first.";
    let got = r().recognise(text);
    assert_eq!(
        got.ids(EntityKind::Malware),
        vec!["S0514", "S0515", "S0516", "S0154", "S0559"]
    );
    assert_eq!(got.ids(EntityKind::Tool), vec!["S0002", "S0029"]);
    let wellmess = got.entity(EntityKind::Malware, "S0514").unwrap();
    assert_eq!(wellmess.name, "WellMess");
}

#[test]
fn weak_names_need_context_or_a_distinctive_name() {
    // `Empire` and `Carbon` are ordinary words; with a context word they
    // are the software.
    let plain = r().recognise("Carbon emissions rose. The Empire State Building is tall.");
    assert!(
        plain.ids(EntityKind::Malware).is_empty() && plain.ids(EntityKind::Tool).is_empty(),
        "{plain:#?}"
    );
    let ctx = r().recognise(
        "The actor loaded the Carbon backdoor and the Empire post-exploitation framework.",
    );
    assert_eq!(ctx.ids(EntityKind::Malware), vec!["S0335"]);
    assert_eq!(ctx.ids(EntityKind::Tool), vec!["S0363"]);
    // `Snake` (Turla) counts when the text also says Turla.
    let coref = r().recognise("Turla operates from Russia. A snake bit him. Snake remains active.");
    assert_eq!(
        coref.entity(EntityKind::Actor, "G0010").unwrap().mentions,
        vec!["Turla", "Snake"]
    );
    // Built-in utilities are never tools.
    let builtins = r().recognise("The actor ran net, ping, schtasks and certutil through cmd.");
    assert!(builtins.ids(EntityKind::Tool).is_empty(), "{builtins:#?}");
}

#[test]
fn names_inside_file_names_and_domains_do_not_count() {
    let got = r()
        .recognise("Files: mimikatz.exe, wellmess[.]com and C:\\tools\\PsExec\\x.exe were seen.");
    assert!(
        got.ids(EntityKind::Tool).is_empty() && got.ids(EntityKind::Malware).is_empty(),
        "{got:#?}"
    );
}

#[test]
fn organisations_resolve_including_sloppy_long_forms() {
    let text = "The National Center for Cyber Security (NCSC) and Canada's Communications Security Establishment (CSE) \
        published this with the NSA, CISA, the FBI and JPCERT/CC. PwC and Palo Alto Networks Unit 42 agree.";
    let got = r().recognise(text);
    assert_eq!(
        got.ids(EntityKind::Organisation),
        vec![
            "ncsc-uk",
            "cse-canada",
            "nsa",
            "cisa",
            "fbi",
            "jpcert",
            "pwc",
            "unit42"
        ]
    );
    let ncsc = got.entity(EntityKind::Organisation, "ncsc-uk").unwrap();
    assert_eq!(
        ncsc.mentions,
        vec!["National Center for Cyber Security", "NCSC"]
    );
}

#[test]
fn an_acronym_the_text_defines_otherwise_is_not_ours() {
    let text = "The National Counterintelligence and Security Center (NCSC) issued a bulletin. NCSC warned companies.";
    let got = r().recognise(text);
    assert!(got.ids(EntityKind::Organisation).is_empty(), "{got:#?}");
}

#[test]
fn headings_in_capitals_are_not_acronyms() {
    let got = r().recognise("WHO WE ARE\nWe are a small team. The WHO warned of phishing.");
    let who = got.entity(EntityKind::Organisation, "who").unwrap();
    assert_eq!(who.count, 1);
}

#[test]
fn countries_by_name_adjective_and_abbreviation() {
    let text = "British, Canadian and American officials said Russian intelligence was behind it. \
        The U.S. and the UK named North Korean and Chinese actors; Iranian ones were not named. \
        A New Jersey firm and a DPRK front were involved.";
    let got = r().recognise(text);
    assert_eq!(
        got.ids(EntityKind::Country),
        vec!["GB", "CA", "US", "RU", "KP", "CN", "IR"]
    );
    let us = got.entity(EntityKind::Country, "US").unwrap();
    assert_eq!(us.mentions, vec!["American", "U.S."]);
    let kp = got.entity(EntityKind::Country, "KP").unwrap();
    assert_eq!(kp.mentions, vec!["North Korean", "DPRK"]);
}

#[test]
fn countries_inside_organisation_names_count() {
    let got = r().recognise("The Canadian Centre for Cyber Security and the UK NCSC agree.");
    assert_eq!(got.ids(EntityKind::Organisation), vec!["cccs", "ncsc-uk"]);
    assert_eq!(got.ids(EntityKind::Country), vec!["CA", "GB"]);
}

#[test]
fn sectors_and_topics() {
    let text = "The actor targeted government agencies, diplomatic entities, think tanks, healthcare \
        and energy organisations involved in COVID-19 vaccine development. \
        Universities and research institutes were also hit, as were NGOs. \
        The SolarWinds supply chain compromise reached telecommunications and technology companies.";
    let got = r().recognise(text);
    assert_eq!(
        got.ids(EntityKind::Sector),
        vec![
            "government",
            "diplomatic",
            "think-tank",
            "healthcare",
            "energy",
            "research",
            "academia",
            "ngo",
            "telecommunications",
            "technology"
        ]
    );
    assert_eq!(
        got.ids(EntityKind::Topic),
        vec!["covid-19", "covid-19-vaccine-research", "supply-chain"]
    );
    // Bare words with other senses give no sector.
    let loose = r().recognise("The UK government said the military and financial gain mattered.");
    assert!(loose.ids(EntityKind::Sector).is_empty(), "{loose:#?}");
}

#[test]
fn ordinary_english_yields_no_actor_malware_or_tool() {
    let text = "On Tuesday morning the council met at the town hall to discuss the new library. \
        Residents asked whether the empire of chain stores would crowd out local shops, and a \
        retired teacher described the carbon cost of the proposed car park. The chair said the \
        plan would go to a vote in June after a period of consultation. Several people praised \
        the volunteers who ran the reading group for children, and one speaker quoted a poem \
        about a snake in the garden. Coffee was served; the meeting ended at noon. Page 2 of 2. \
        Play, silence, mercury, a royal visit, the net result, a ping-pong table and a shark \
        tank were also mentioned. Kevin and James from Milan brought donuts and a mango.";
    let got = r().recognise(text);
    for kind in [EntityKind::Actor, EntityKind::Malware, EntityKind::Tool] {
        assert!(got.ids(kind).is_empty(), "{kind:?}: {:#?}", got.entities);
    }
}
