//! Host artefacts: file names, Windows and Unix paths, registry keys, and
//! the short list of system files that advisories name without them being
//! indicators.

use crate::model::Flag;

/// Extensions that make a word a file name.
const EXTENSIONS: &[&str] = &[
    "exe", "dll", "sys", "scr", "ps1", "psm1", "bat", "cmd", "vbs", "js", "jse", "hta", "lnk",
    "msi", "sh", "py", "pl", "php", "jsp", "jspx", "aspx", "asp", "ashx", "war", "jar", "elf",
    "bin", "so", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf", "pdf", "zip",
    "rar", "7z", "iso", "img", "tar", "gz", "tgz", "dat", "tmp", "ps", "vbe", "wsf", "cpl", "ocx",
    "apk", "dmg", "pkg", "deb", "rpm", "xll", "one", "chm", "com",
];

/// Top-level domains that are also common file extensions: a two-label
/// name ending in one of these is read as a file (`setup.py`, `report.ps`,
/// `invoice.zip`) unless it was written defanged.
pub(crate) const EXTENSION_TLDS: &[&str] = &[
    "py", "ps", "sh", "pl", "so", "zip", "mov", "md", "rs", "one", "pm", "do", "ml", "sc", "cc",
    "app",
];

/// Executables that live on every Windows or Unix system; named in
/// advisories as the tools abused, they are flagged [`Flag::Benign`].
const SYSTEM_FILES: &[&str] = &[
    "cmd.exe",
    "cmd.com",
    "command.com",
    "powershell.exe",
    "pwsh.exe",
    "rundll32.exe",
    "regsvr32.exe",
    "svchost.exe",
    "lsass.exe",
    "explorer.exe",
    "wmic.exe",
    "certutil.exe",
    "mshta.exe",
    "cscript.exe",
    "wscript.exe",
    "schtasks.exe",
    "net.exe",
    "net1.exe",
    "whoami.exe",
    "bitsadmin.exe",
    "msiexec.exe",
    "reg.exe",
    "sc.exe",
    "tasklist.exe",
    "taskkill.exe",
    "ntdsutil.exe",
    "vssadmin.exe",
    "winlogon.exe",
    "services.exe",
    "csrss.exe",
    "conhost.exe",
    "notepad.exe",
    "iexplore.exe",
    "ntdll.dll",
    "kernel32.dll",
    "user32.dll",
    "advapi32.dll",
    "comsvcs.dll",
    "wininet.dll",
    "ws2_32.dll",
    "msbuild.exe",
    "ipconfig.exe",
    "nltest.exe",
    "ping.exe",
    "systeminfo.exe",
    "hostname.exe",
    "arp.exe",
    "netstat.exe",
    "route.exe",
    "installutil.exe",
    "regasm.exe",
    "regsvcs.exe",
    "cmstp.exe",
    "odbcconf.exe",
    "forfiles.exe",
    "esentutl.exe",
    "wevtutil.exe",
    "findstr.exe",
    "xcopy.exe",
    "makecab.exe",
    "expand.exe",
    "hh.exe",
    "dllhost.exe",
    "taskhostw.exe",
    "spoolsv.exe",
    "smss.exe",
    "wininit.exe",
    "userinit.exe",
    "dism.exe",
    "bcdedit.exe",
    "wbadmin.exe",
    "mmc.exe",
    "msdt.exe",
    "diskshadow.exe",
];

/// Names of `.com` files (the rest of `.com` are domains).
const COM_FILES: &[&str] = &[
    "cmd.com",
    "command.com",
    "win.com",
    "edit.com",
    "more.com",
    "format.com",
];

/// Known executables of Unix systems, flagged benign when named alone.
const UNIX_SYSTEM: &[&str] = &[
    "bash", "sh", "curl", "wget", "python", "perl", "crontab", "chmod",
];

/// The extension of `name` if it is a known one (case-insensitive).
pub(crate) fn extension(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    let lower = ext.to_ascii_lowercase();
    EXTENSIONS.iter().copied().find(|e| *e == lower)
}

/// A `.com` name that is a file.
pub(crate) fn is_com_file(name: &str) -> bool {
    COM_FILES.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// Whether `tok` is a file name: a plain name, a dot, a known extension.
/// AV signature names (`Backdoor.WellMess!gen1`, `W64/Agent.CA!tr`,
/// `Trojan.Win32.Agent.abc`) never pass: they carry `!`, `/` or `:`, or no
/// known extension.
pub(crate) fn file_name(tok: &str) -> Option<&'static str> {
    let ext = extension(tok)?;
    if ext == "com" && !is_com_file(tok) {
        return None;
    }
    let stem = &tok[..tok.len() - ext.len() - 1];
    let ok = !stem.is_empty()
        && !stem.starts_with('.')
        && !stem.ends_with('.')
        && stem.len() <= 200
        && stem
            .chars()
            .all(|c| c.is_alphanumeric() || "._-~$@#+()[]".contains(c))
        && stem.chars().any(|c| c.is_alphanumeric());
    ok.then_some(ext)
}

/// Flag of a file name.
pub(crate) fn file_flag(name: &str) -> Option<Flag> {
    let lower = name.to_ascii_lowercase();
    (SYSTEM_FILES.contains(&lower.as_str()) || UNIX_SYSTEM.contains(&lower.as_str()))
        .then_some(Flag::Benign)
}

/// Unix directories an absolute path must start in to count.
const UNIX_ROOTS: &[&str] = &[
    "/tmp/",
    "/var/",
    "/etc/",
    "/usr/",
    "/opt/",
    "/home/",
    "/dev/shm/",
    "/root/",
    "/bin/",
    "/sbin/",
    "/lib/",
    "/lib64/",
    "/proc/",
    "/boot/",
    "/srv/",
    "/mnt/",
    "/run/",
    "/Library/",
    "/Users/",
    "/System/",
    "/Applications/",
    "/private/",
    "/data/",
    "/system/",
    "/sdcard/",
    "/media/",
    "/sys/",
    "/storage/",
];

/// Whether `tok` starts like a path: `C:\`, `%VAR%\`, `\\server\`, or a
/// Unix root directory.
pub(crate) fn path_start(tok: &str) -> bool {
    let b = tok.as_bytes();
    if b.len() >= 4 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
        return true;
    }
    if b.len() >= 4 && b[0] == b'%' {
        if let Some(close) = tok[1..].find('%') {
            let var = &tok[1..1 + close];
            return !var.is_empty()
                && var
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'(' || c == b')')
                && b.get(close + 2) == Some(&b'\\');
        }
        return false;
    }
    if b.len() > 3
        && b[0] == b'\\'
        && b[1] == b'\\'
        && (b[2].is_ascii_alphanumeric() || b[2] == b'.')
    {
        return true;
    }
    UNIX_ROOTS
        .iter()
        .any(|r| tok.starts_with(r) && tok.len() > r.len())
}

/// Registry hive abbreviations and their full names.
const HIVES: &[(&str, &str)] = &[
    ("HKEY_LOCAL_MACHINE", "HKEY_LOCAL_MACHINE"),
    ("HKEY_CURRENT_USER", "HKEY_CURRENT_USER"),
    ("HKEY_CLASSES_ROOT", "HKEY_CLASSES_ROOT"),
    ("HKEY_USERS", "HKEY_USERS"),
    ("HKEY_CURRENT_CONFIG", "HKEY_CURRENT_CONFIG"),
    ("HKLM", "HKEY_LOCAL_MACHINE"),
    ("HKCU", "HKEY_CURRENT_USER"),
    ("HKCR", "HKEY_CLASSES_ROOT"),
    ("HKU", "HKEY_USERS"),
    ("HKCC", "HKEY_CURRENT_CONFIG"),
];

/// Whether `tok` starts with a hive and a backslash.
pub(crate) fn registry_start(tok: &str) -> bool {
    HIVES.iter().any(|(h, _)| {
        tok.len() > h.len() + 1 && tok.as_bytes()[..h.len()].eq_ignore_ascii_case(h.as_bytes()) && {
            let sep = tok.as_bytes()[h.len()];
            sep == b'\\' || (sep == b':' && tok.as_bytes().get(h.len() + 1) == Some(&b'\\'))
        }
    })
}

/// Normalises a registry key: hive spelt out, no trailing backslash.
pub(crate) fn registry(tok: &str) -> Option<String> {
    let b = tok.as_bytes();
    let (h, full) = HIVES.iter().find(|(h, _)| {
        b.len() > h.len()
            && b[..h.len()].eq_ignore_ascii_case(h.as_bytes())
            && matches!(b[h.len()], b'\\' | b':')
    })?;
    let rest = tok[h.len()..]
        .trim_start_matches(':')
        .trim_end_matches('\\');
    if !rest.starts_with('\\') || rest.len() < 2 {
        return None;
    }
    Some(format!("{full}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(file_name("setup.py"), Some("py"));
        assert_eq!(file_name("Invoice.PDF"), Some("pdf"));
        assert_eq!(file_name("cmd.com"), Some("com"));
        assert_eq!(file_name("evil.com"), None);
        assert_eq!(file_name("Backdoor.WellMess!gen1"), None);
        assert_eq!(file_name("W64/Agent.CA!tr"), None);
        assert_eq!(file_name("Trojan.Win32.Agent.abc"), None);
        assert_eq!(file_name(".exe"), None);
        assert_eq!(file_flag("CMD.EXE"), Some(Flag::Benign));
        assert_eq!(file_flag("wellmess.exe"), None);
    }

    #[test]
    fn paths_and_keys() {
        assert!(path_start("C:\\Windows\\Temp\\a.exe"));
        assert!(path_start("%APPDATA%\\x\\y.dll"));
        assert!(path_start("\\\\srv\\share\\a"));
        assert!(path_start("/tmp/.x/run.sh"));
        assert!(!path_start("/api/upd.php"));
        assert!(!path_start("/tmp/"));
        assert_eq!(
            registry("HKLM\\Software\\Microsoft\\Run\\").as_deref(),
            Some("HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Run")
        );
        assert_eq!(
            registry("HKU\\S-1-5\\x").as_deref(),
            Some("HKEY_USERS\\S-1-5\\x")
        );
        assert_eq!(
            registry("HKEY_CURRENT_USER\\Software").as_deref(),
            Some("HKEY_CURRENT_USER\\Software")
        );
        assert!(registry_start("hkcu\\Software"));
        assert!(!registry_start("HKLM"));
    }
}
