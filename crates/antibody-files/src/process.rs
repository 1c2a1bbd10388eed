//! Process memory: lists running processes and reads their mapped memory
//! through `/proc/<pid>/maps` and `/proc/<pid>/mem`, chunk by chunk, for
//! YARA scanning (`antibody hunt --processes`).
//!
//! No crate is used: reading procfs is 150 lines, while the `procfs` crate
//! is heavy and does not read process memory at all.
//!
//! Memory is read with `pread` on `/proc/<pid>/mem` rather than ptrace or
//! `process_vm_readv`: no unsafe code, the target is never stopped, and the
//! kernel applies the ptrace access check for us (same user and Yama's
//! `ptrace_scope`, or `CAP_SYS_PTRACE`).

use antibody_core::{ItemError, ItemErrorKind, Location};
use std::fmt;
use std::io;

/// Bytes shared by consecutive chunks of one region, so a match of up to
/// this length that spans a chunk boundary is still seen whole in one chunk.
pub const CHUNK_OVERLAP: usize = 4096;

/// Chunks smaller than a page would make the overlap dominate the reads.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const MIN_CHUNK: usize = 4096;

const MIB: u64 = 1024 * 1024;

/// `cmdline` is cut to this many characters: enough to see what ran,
/// short enough for a report line.
const MAX_CMDLINE_CHARS: usize = 512;

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const VANISHED: &str = "process exited before it could be read";

#[cfg_attr(target_os = "linux", allow(dead_code))]
const NEEDS_LINUX: &str = "process memory scanning needs Linux (/proc/<pid>/mem)";

/// A running process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Process name as the kernel keeps it (`/proc/<pid>/comm`, at most 15
    /// bytes).
    pub name: String,
    /// The executable (`/proc/<pid>/exe`), when it can be resolved: kernel
    /// threads have none and other users' processes need privileges.
    pub exe: Option<String>,
    /// The command line with NUL separators turned into spaces (lossy
    /// UTF-8), cut to 512 characters; empty for kernel threads.
    pub cmdline: String,
}

impl ProcessInfo {
    /// Where findings in this process's memory are: `pid:42 (sshd)`.
    pub fn location(&self) -> Location {
        Location::Process {
            pid: self.pid,
            name: self.name.clone(),
        }
    }
}

/// One mapped memory region from `/proc/<pid>/maps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// First address of the region.
    pub start: u64,
    /// One past the last address of the region.
    pub end: u64,
    /// Permissions as the kernel shows them, such as `r-xp`.
    pub perms: String,
    /// Offset in the mapped file (0 for anonymous memory).
    pub offset: u64,
    /// The mapped file (with the kernel's ` (deleted)` suffix kept) or a
    /// pseudo-path such as `[heap]`, `[stack]`, `[anon:name]`; `None` for
    /// unnamed anonymous memory.
    pub path: Option<String>,
}

/// Limits on how much of a process is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemLimits {
    /// Bytes read at most from one region (default 256 MiB); a larger region
    /// is read up to this limit and counted in
    /// [`ReadStats::regions_truncated`].
    pub max_region: u64,
    /// Bytes read at most from one process (default 2 GiB); reading stops
    /// there and [`ReadStats::truncated`] is set.
    pub max_process: u64,
    /// Size of the chunks handed to the visitor (default 16 MiB, raised to
    /// 4 KiB if smaller). Each chunk also carries the next
    /// [`CHUNK_OVERLAP`] bytes, so at most `chunk + CHUNK_OVERLAP` bytes are
    /// buffered per process.
    pub chunk: usize,
}

impl Default for MemLimits {
    fn default() -> Self {
        MemLimits {
            max_region: 256 * MIB,
            max_process: 2048 * MIB,
            chunk: 16 * MIB as usize,
        }
    }
}

/// What [`read_memory`] read from one process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Regions of which at least one byte was read.
    pub regions_read: usize,
    /// Readable regions of which nothing could be read (guard pages, file
    /// mappings past the end of their file, regions unmapped meanwhile).
    pub regions_failed: usize,
    /// Distinct bytes of memory read: the overlap between chunks is counted
    /// once, so this never exceeds [`MemLimits::max_process`].
    pub bytes: u64,
    /// Whether a limit stopped reading before everything readable was read.
    pub truncated: bool,
    /// Regions cut at [`MemLimits::max_region`].
    pub regions_truncated: usize,
}

impl ReadStats {
    /// A [`ItemErrorKind::Limit`] error naming the limits that cut the
    /// reading of `item`, or `None` when nothing was cut.
    pub fn limit_error(&self, item: impl fmt::Display, limits: &MemLimits) -> Option<ItemError> {
        if !self.truncated {
            return None;
        }
        let mut parts = Vec::new();
        if self.regions_truncated > 0 {
            parts.push(format!(
                "{} region(s) larger than {} read only up to that limit",
                self.regions_truncated,
                size(limits.max_region)
            ));
        }
        if self.bytes >= limits.max_process {
            parts.push(format!(
                "stopped after {} of process memory",
                size(limits.max_process)
            ));
        }
        if parts.is_empty() {
            parts.push("stopped at a memory limit".to_owned());
        }
        Some(ItemError::new(item, ItemErrorKind::Limit, parts.join("; ")))
    }
}

/// Lists every process in `/proc`, sorted by pid. A process that exits
/// while it is being listed is left out.
pub fn list_processes() -> io::Result<Vec<ProcessInfo>> {
    imp::list_processes()
}

/// The memory regions of process `pid`, from `/proc/<pid>/maps`.
pub fn regions(pid: u32) -> Result<Vec<Region>, ItemError> {
    imp::regions(pid)
}

/// Reads the memory of process `pid`, calling `visit(region, address,
/// bytes)` for each chunk, where `address` is the virtual address of
/// `bytes[0]`.
///
/// Only readable regions are read; `[vvar]` and `[vsyscall]` are skipped
/// (reading them fails), as are mappings of devices and of `/sys` other
/// than `/dev/zero` and `/dev/shm` (reading them may touch hardware
/// registers). Regions are read in chunks of [`MemLimits::chunk`] bytes,
/// each followed by the first [`CHUNK_OVERLAP`] bytes of the next, so a
/// match that lies wholly inside an overlap is seen twice: deduplicate by
/// address.
///
/// A region that cannot be read is counted in [`ReadStats::regions_failed`];
/// an error is returned only when nothing of the process could be read.
/// Errors name the item as `pid:42 (sshd)`: permission denied is
/// [`ItemErrorKind::Unreadable`] with a hint, a process that exited is
/// [`ItemErrorKind::Vanished`].
pub fn read_memory(
    pid: u32,
    limits: &MemLimits,
    visit: &mut dyn FnMut(&Region, u64, &[u8]),
) -> Result<ReadStats, ItemError> {
    imp::read_memory(pid, limits, visit)
}

/// Parses one line of `/proc/<pid>/maps`:
/// `start-end perms offset dev inode [path]`, where the path may contain
/// spaces.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_maps_line(line: &str) -> Option<Region> {
    let mut rest = line;
    let mut field = || {
        let trimmed = rest.trim_start_matches(' ');
        let (f, r) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
        rest = r;
        f
    };
    let (start, end) = field().split_once('-')?;
    let perms = field();
    let offset = field();
    let _dev = field();
    let _inode = field();
    let (start, end) = (hex(start)?, hex(end)?);
    if perms.len() != 4 || end < start {
        return None;
    }
    let path = rest.trim_start_matches(' ');
    Some(Region {
        start,
        end,
        perms: perms.to_owned(),
        offset: hex(offset)?,
        path: (!path.is_empty()).then(|| path.to_owned()),
    })
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s, 16).ok()
}

/// Whether a region is worth and safe to read.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn should_read(region: &Region) -> bool {
    if !region.perms.starts_with('r') {
        return false;
    }
    match region.path.as_deref() {
        // `[vvar]` (and `[vvar_vclock]` on newer kernels) fail with EIO;
        // `[vsyscall]` lies above the user address space.
        Some(p) if p.starts_with("[vvar") || p == "[vsyscall]" => false,
        Some(p) if p.starts_with("/dev/") => {
            p.starts_with("/dev/zero") || p.starts_with("/dev/shm/")
        }
        Some(p) => !p.starts_with("/sys/"),
        None => true,
    }
}

/// The chunks that cover `start..end`: `(address, len)` pairs starting every
/// `chunk` bytes, each `chunk + overlap` long except the last, which ends at
/// `end`. Consecutive chunks share exactly `overlap` bytes; no chunk lies
/// wholly inside the previous one.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn chunks(
    start: u64,
    end: u64,
    chunk: usize,
    overlap: usize,
) -> impl Iterator<Item = (u64, usize)> {
    assert!(chunk > 0, "chunk size must not be zero");
    let window = (chunk + overlap) as u64;
    let mut next = (start < end).then_some(start);
    std::iter::from_fn(move || {
        let pos = next?;
        let len = (end - pos).min(window);
        next = (pos + len < end).then_some(pos + chunk as u64);
        Some((pos, len as usize))
    })
}

/// The text of `/proc/<pid>/cmdline`: NUL-separated arguments.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn cmdline_text(raw: &[u8]) -> String {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    let text = String::from_utf8_lossy(raw).replace('\0', " ");
    match text.char_indices().nth(MAX_CMDLINE_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}

/// The reason given when the kernel refuses access, with what to do.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn permission_reason(ptrace_scope: Option<u8>) -> String {
    match ptrace_scope {
        Some(3) => "permission denied reading memory (ptrace_scope=3 forbids it for everyone \
                    until reboot)"
            .to_owned(),
        Some(n) => format!(
            "permission denied reading memory (run as root or grant CAP_SYS_PTRACE; \
             ptrace_scope={n})"
        ),
        None => "permission denied reading memory (run as root or grant CAP_SYS_PTRACE)".to_owned(),
    }
}

fn size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use std::fs::{self, File};
    use std::os::unix::fs::FileExt;

    /// `ESRCH`: procfs answers it for a task that is exiting.
    const ESRCH: i32 = 3;

    pub(super) fn list_processes() -> io::Result<Vec<ProcessInfo>> {
        let mut out = Vec::new();
        for entry in fs::read_dir("/proc")? {
            let Ok(entry) = entry else { continue };
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            if let Some(info) = process_info(pid) {
                out.push(info);
            }
        }
        out.sort_by_key(|p| p.pid);
        Ok(out)
    }

    /// `None` when the process is gone.
    fn process_info(pid: u32) -> Option<ProcessInfo> {
        let name = comm(pid).ok()?;
        let exe = fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .map(|p| p.to_string_lossy().into_owned());
        // Read last: kernel threads have an empty cmdline but no exe, so
        // this is the read that tells an exited process apart.
        let cmdline = match fs::read(format!("/proc/{pid}/cmdline")) {
            Ok(raw) => cmdline_text(&raw),
            Err(e) if is_gone(&e) => return None,
            Err(_) => String::new(),
        };
        Some(ProcessInfo {
            pid,
            name,
            exe,
            cmdline,
        })
    }

    fn comm(pid: u32) -> io::Result<String> {
        let raw = fs::read(format!("/proc/{pid}/comm"))?;
        Ok(String::from_utf8_lossy(&raw)
            .trim_end_matches('\n')
            .to_owned())
    }

    fn item(pid: u32) -> String {
        let name = comm(pid).unwrap_or_else(|_| "?".to_owned());
        Location::Process { pid, name }.to_string()
    }

    fn is_gone(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(ESRCH)
    }

    /// Whether the process is gone or a zombie (its memory already freed).
    fn exited(pid: u32) -> bool {
        match fs::read(format!("/proc/{pid}/stat")) {
            // The state follows the last ')' of `pid (comm) S ...`; comm may
            // itself contain ')'.
            Ok(stat) => match stat.iter().rposition(|&b| b == b')') {
                Some(i) => matches!(stat.get(i + 2), Some(b'Z' | b'X')),
                None => false,
            },
            Err(e) => is_gone(&e),
        }
    }

    fn ptrace_scope() -> Option<u8> {
        fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn io_error(item: &str, pid: u32, file: &str, e: &io::Error) -> ItemError {
        if is_gone(e) {
            ItemError::new(item, ItemErrorKind::Vanished, VANISHED)
        } else if e.kind() == io::ErrorKind::PermissionDenied {
            ItemError::new(
                item,
                ItemErrorKind::Unreadable,
                permission_reason(ptrace_scope()),
            )
        } else {
            ItemError::new(
                item,
                ItemErrorKind::Unreadable,
                format!("cannot read /proc/{pid}/{file}: {e}"),
            )
        }
    }

    pub(super) fn regions(pid: u32) -> Result<Vec<Region>, ItemError> {
        regions_of(pid, &item(pid))
    }

    fn regions_of(pid: u32, item: &str) -> Result<Vec<Region>, ItemError> {
        let raw =
            fs::read(format!("/proc/{pid}/maps")).map_err(|e| io_error(item, pid, "maps", &e))?;
        let text = String::from_utf8_lossy(&raw);
        Ok(text
            .lines()
            .filter_map(|line| {
                let region = parse_maps_line(line);
                if region.is_none() {
                    tracing::debug!(pid, line, "unparsed /proc/pid/maps line");
                }
                region
            })
            .collect())
    }

    pub(super) fn read_memory(
        pid: u32,
        limits: &MemLimits,
        visit: &mut dyn FnMut(&Region, u64, &[u8]),
    ) -> Result<ReadStats, ItemError> {
        let item = item(pid);
        let regions = regions_of(pid, &item)?;
        if regions.is_empty() {
            // A zombie's maps are empty; a kernel thread's too, but it has
            // no user memory to read and that is not an error.
            if exited(pid) {
                return Err(ItemError::new(item, ItemErrorKind::Vanished, VANISHED));
            }
            return Ok(ReadStats::default());
        }
        let mem =
            File::open(format!("/proc/{pid}/mem")).map_err(|e| io_error(&item, pid, "mem", &e))?;

        let chunk = limits.chunk.max(MIN_CHUNK);
        let mut stats = ReadStats::default();
        let mut buf = Vec::new();
        let mut first_failure: Option<(&Region, io::Error)> = None;
        for region in regions.iter().filter(|r| should_read(r)) {
            let budget = limits.max_process.saturating_sub(stats.bytes);
            if budget == 0 {
                stats.truncated = true;
                break;
            }
            let mut len = region.end - region.start;
            if len > limits.max_region {
                len = limits.max_region;
                stats.regions_truncated += 1;
                stats.truncated = true;
            }
            if len > budget {
                len = budget;
                stats.truncated = true;
            }
            let mut read_to = region.start;
            let mut failure = None;
            for (address, want) in chunks(region.start, region.start + len, chunk, CHUNK_OVERLAP) {
                if buf.len() < want {
                    buf.resize(want, 0);
                }
                let (got, err) = read_full(&mem, address, &mut buf[..want]);
                if got > 0 {
                    visit(region, address, &buf[..got]);
                }
                let got_to = address + got as u64;
                if got_to > read_to {
                    stats.bytes += got_to - read_to;
                    read_to = got_to;
                }
                if got < want {
                    failure = Some(err.unwrap_or_else(|| {
                        io::Error::new(io::ErrorKind::UnexpectedEof, "memory ended early")
                    }));
                    break;
                }
            }
            if read_to > region.start {
                stats.regions_read += 1;
            } else if let Some(e) = failure {
                stats.regions_failed += 1;
                first_failure.get_or_insert((region, e));
            }
        }

        match first_failure {
            Some((region, e)) if stats.bytes == 0 => {
                if exited(pid) {
                    return Err(ItemError::new(item, ItemErrorKind::Vanished, VANISHED));
                }
                if e.kind() == io::ErrorKind::PermissionDenied {
                    return Err(io_error(&item, pid, "mem", &e));
                }
                Err(ItemError::new(
                    item,
                    ItemErrorKind::Unreadable,
                    format!(
                        "no memory region could be read ({} failed; first {:#x}-{:#x} {}: {e})",
                        stats.regions_failed,
                        region.start,
                        region.end,
                        region.path.as_deref().unwrap_or("anonymous"),
                    ),
                ))
            }
            _ => Ok(stats),
        }
    }

    /// Reads until `buf` is full or the kernel stops: `/proc/<pid>/mem`
    /// returns what it copied before the first page it could not read.
    fn read_full(mem: &File, offset: u64, buf: &mut [u8]) -> (usize, Option<io::Error>) {
        let mut n = 0;
        while n < buf.len() {
            match mem.read_at(&mut buf[n..], offset + n as u64) {
                Ok(0) => return (n, None),
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (n, Some(e)),
            }
        }
        (n, None)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    fn unsupported(pid: u32) -> ItemError {
        let item = Location::Process {
            pid,
            name: "?".to_owned(),
        };
        ItemError::new(item, ItemErrorKind::Unreadable, NEEDS_LINUX)
    }

    pub(super) fn list_processes() -> io::Result<Vec<ProcessInfo>> {
        Err(io::Error::new(io::ErrorKind::Unsupported, NEEDS_LINUX))
    }

    pub(super) fn regions(pid: u32) -> Result<Vec<Region>, ItemError> {
        Err(unsupported(pid))
    }

    pub(super) fn read_memory(
        pid: u32,
        _limits: &MemLimits,
        _visit: &mut dyn FnMut(&Region, u64, &[u8]),
    ) -> Result<ReadStats, ItemError> {
        Err(unsupported(pid))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::time::{SystemTime, UNIX_EPOCH};

    /// A pid above the kernel's PID_MAX_LIMIT (4 Mi), so never in use.
    const NO_SUCH_PID: u32 = u32::MAX - 1;

    fn is_root() -> bool {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
        uid.split_whitespace().nth(2) == Some("0")
    }

    /// Built at run time so the whole marker is nowhere in the binary.
    fn marker() -> Vec<u8> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let mut v = b"ANTI".to_vec();
        v.extend_from_slice(b"BODY-");
        v.extend_from_slice(format!("{nanos:09}-{}", std::process::id()).as_bytes());
        v
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    /// Reads our own memory and returns the addresses where the marker at
    /// `target` was seen, with the region that held it.
    fn find_own_marker(limits: &MemLimits, marker: &[u8], target: u64) -> Vec<(u64, Region)> {
        let mut seen = Vec::new();
        let stats = read_memory(std::process::id(), limits, &mut |region, address, bytes| {
            assert!(bytes.len() <= limits.chunk.max(MIN_CHUNK) + CHUNK_OVERLAP);
            let end = address + bytes.len() as u64;
            // Search only the chunk holding the marker's address: our own
            // read buffer also holds copies of it.
            if (address..end).contains(&target)
                && let Some(i) = find(bytes, marker)
            {
                seen.push((address + i as u64, region.clone()));
            }
        })
        .expect("own memory is readable");
        assert!(stats.regions_read > 0 && stats.bytes > 0, "{stats:?}");
        seen
    }

    #[test]
    fn maps_lines_parse_with_spaces_deleted_and_pseudo_paths() {
        let r = parse_maps_line(
            "7f1c2a400000-7f1c2a428000 r--p 00001000 08:01 1311 /opt/my app/lib x.so",
        )
        .unwrap();
        assert_eq!(r.start, 0x7f1c2a400000);
        assert_eq!(r.end, 0x7f1c2a428000);
        assert_eq!(r.perms, "r--p");
        assert_eq!(r.offset, 0x1000);
        assert_eq!(r.path.as_deref(), Some("/opt/my app/lib x.so"));

        let r = parse_maps_line(
            "55d0c0a00000-55d0c0a01000 r-xp 00000000 fd:00 42                         /tmp/evil (deleted)",
        )
        .unwrap();
        assert_eq!(r.path.as_deref(), Some("/tmp/evil (deleted)"));

        let r = parse_maps_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 ").unwrap();
        assert_eq!(r.path, None);
        let r = parse_maps_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0").unwrap();
        assert_eq!(r.path, None);
        assert!(should_read(&r));

        let r = parse_maps_line("5600000-5621000 rw-p 00000000 00:00 0      [heap]").unwrap();
        assert_eq!(r.path.as_deref(), Some("[heap]"));
        assert!(should_read(&r));

        let r = parse_maps_line(
            "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
        )
        .unwrap();
        assert_eq!(r.start, 0xffffffffff600000);
        assert_eq!(r.path.as_deref(), Some("[vsyscall]"));
        assert!(!should_read(&r));

        let region = |perms: &str, path: &str| Region {
            start: 0,
            end: 4096,
            perms: perms.into(),
            offset: 0,
            path: Some(path.into()),
        };
        for skipped in [
            "[vvar]",
            "[vvar_vclock]",
            "/dev/mem",
            "/sys/bus/pci/x/resource0",
        ] {
            assert!(!should_read(&region("r--s", skipped)), "{skipped}");
        }
        assert!(should_read(&region("r--s", "/dev/shm/x (deleted)")));
        assert!(!should_read(&region("---p", "/dev/shm/x (deleted)")));

        assert_eq!(parse_maps_line(""), None);
        assert_eq!(parse_maps_line("garbage"), None);
        assert_eq!(parse_maps_line("2000-1000 r--p 0 00:00 0"), None);
    }

    #[test]
    fn chunks_cover_every_byte_and_overlap_exactly() {
        let (chunk, overlap) = (16usize, 4usize);
        for len in [0u64, 1, 15, 16, 19, 20, 21, 32, 36, 37, 100, 160] {
            let start = 0x1000;
            let end = start + len;
            let got: Vec<_> = chunks(start, end, chunk, overlap).collect();
            let mut covered = vec![0u32; len as usize];
            for &(a, l) in &got {
                assert!(l > 0 && l <= chunk + overlap, "len {len}: {got:?}");
                assert!(a >= start && a + l as u64 <= end, "len {len}: {got:?}");
                for b in a..a + l as u64 {
                    covered[(b - start) as usize] += 1;
                }
            }
            assert!(covered.iter().all(|&c| c >= 1), "len {len}: {got:?}");
            for pair in got.windows(2) {
                let ((a0, l0), (a1, l1)) = (pair[0], pair[1]);
                assert_eq!(a1, a0 + chunk as u64, "len {len}: {got:?}");
                assert_eq!(a0 + l0 as u64 - a1, overlap as u64, "len {len}: {got:?}");
                assert!(l1 > overlap, "len {len}: {got:?}");
            }
        }
        assert_eq!(chunks(0, 20, 16, 4).collect::<Vec<_>>(), [(0, 20)]);
        assert_eq!(chunks(0, 21, 16, 4).collect::<Vec<_>>(), [(0, 20), (16, 5)]);
    }

    #[test]
    fn cmdline_turns_nuls_into_spaces_and_is_cut() {
        assert_eq!(cmdline_text(b"sleep\x0030\x00"), "sleep 30");
        assert_eq!(cmdline_text(b""), "");
        let long = "é".repeat(600);
        assert_eq!(cmdline_text(long.as_bytes()).chars().count(), 512);
    }

    #[test]
    fn permission_reason_says_what_to_do() {
        assert_eq!(
            permission_reason(Some(1)),
            "permission denied reading memory (run as root or grant CAP_SYS_PTRACE; \
             ptrace_scope=1)"
        );
        assert!(permission_reason(None).contains("CAP_SYS_PTRACE"));
        assert!(permission_reason(Some(3)).contains("until reboot"));
    }

    #[test]
    fn own_heap_marker_is_found_at_its_address() {
        let marker = marker();
        let target = marker.as_ptr() as u64;
        let seen = find_own_marker(&MemLimits::default(), &marker, target);
        assert!(
            seen.iter()
                .any(|(a, r)| *a == target && (r.start..r.end).contains(&target)),
            "marker at {target:#x} not found: {seen:?}"
        );
        std::hint::black_box(&marker);
    }

    #[test]
    fn own_heap_marker_is_found_with_small_chunks() {
        let marker = marker();
        let target = marker.as_ptr() as u64;
        let limits = MemLimits {
            chunk: 4096 * 4,
            ..MemLimits::default()
        };
        let seen = find_own_marker(&limits, &marker, target);
        assert!(seen.iter().any(|(a, _)| *a == target), "{seen:?}");
        std::hint::black_box(&marker);
    }

    #[test]
    fn list_processes_includes_ourselves() {
        let me = std::process::id();
        let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
        let all = list_processes().unwrap();
        assert!(
            all.windows(2).all(|w| w[0].pid < w[1].pid),
            "not sorted by pid"
        );
        let us = all.iter().find(|p| p.pid == me).expect("own pid listed");
        assert_eq!(us.name, comm.trim_end());
        assert!(us.exe.is_some());
        assert!(!us.cmdline.is_empty() && !us.cmdline.contains('\0'));
        assert_eq!(us.location().to_string(), format!("pid:{me} ({})", us.name));
    }

    #[test]
    fn missing_pid_is_vanished() {
        assert!(!std::path::Path::new(&format!("/proc/{NO_SUCH_PID}")).exists());
        let e = read_memory(NO_SUCH_PID, &MemLimits::default(), &mut |_, _, _| {}).unwrap_err();
        assert_eq!(e.kind, ItemErrorKind::Vanished);
        assert_eq!(e.reason, "process exited before it could be read");
        assert_eq!(e.item, format!("pid:{NO_SUCH_PID} (?)"));
        let e = regions(NO_SUCH_PID).unwrap_err();
        assert_eq!(e.kind, ItemErrorKind::Vanished);
    }

    #[test]
    fn child_is_readable_then_vanished_once_reaped() {
        let mut child = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        let result = read_memory(pid, &MemLimits::default(), &mut |_, _, _| {});
        let maps = regions(pid);
        child.kill().unwrap();
        child.wait().unwrap();
        match result {
            Ok(stats) => {
                assert!(stats.regions_read > 0 && stats.bytes > 0, "{stats:?}");
                assert!(!stats.truncated);
                assert!(maps.unwrap().iter().any(|r| r.path.is_some()));
            }
            // Yama's ptrace_scope=2 or 3 forbids even our own child.
            Err(e) if !is_root() && e.kind == ItemErrorKind::Unreadable => {
                assert!(e.reason.starts_with("permission denied"), "{e}");
            }
            Err(e) => panic!("reading child {pid}: {e}"),
        }
        let e = read_memory(pid, &MemLimits::default(), &mut |_, _, _| {}).unwrap_err();
        assert_eq!(e.kind, ItemErrorKind::Vanished, "{e}");
        assert_eq!(e.reason, VANISHED);
    }

    #[test]
    fn other_users_process_is_unreadable_when_not_root() {
        let owner = |pid: &str| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let uid = status.lines().find(|l| l.starts_with("Uid:"))?;
            uid.split_whitespace().nth(1).map(str::to_owned)
        };
        if is_root() || owner("1").is_none() || owner("1") == owner("self") {
            return;
        }
        let e = read_memory(1, &MemLimits::default(), &mut |_, _, _| {}).unwrap_err();
        assert_eq!(e.kind, ItemErrorKind::Unreadable, "{e}");
        assert!(
            e.reason.starts_with("permission denied reading memory"),
            "{e}"
        );
        assert!(e.item.starts_with("pid:1 ("), "{e}");
    }

    #[test]
    fn process_limit_truncates_exactly() {
        let limits = MemLimits {
            max_process: MIB,
            chunk: 64 * 1024,
            ..MemLimits::default()
        };
        let mut visited = 0u64;
        let stats = read_memory(std::process::id(), &limits, &mut |_, _, bytes| {
            visited += bytes.len() as u64;
        })
        .unwrap();
        assert!(stats.truncated, "{stats:?}");
        assert!(stats.bytes <= MIB && stats.bytes > 0, "{stats:?}");
        // Visited bytes include each overlap twice, at most one per chunk.
        assert!(visited >= stats.bytes);
        let e = stats.limit_error("pid:1 (x)", &limits).unwrap();
        assert_eq!(e.kind, ItemErrorKind::Limit);
        assert!(e.reason.contains("1 MiB"), "{e}");
    }

    #[test]
    fn region_limit_cuts_each_region() {
        let limits = MemLimits {
            max_region: 8192,
            ..MemLimits::default()
        };
        let stats = read_memory(
            std::process::id(),
            &limits,
            &mut |region, address, bytes| {
                assert!(address + bytes.len() as u64 - region.start <= 8192);
            },
        )
        .unwrap();
        assert!(stats.truncated && stats.regions_truncated > 0, "{stats:?}");
        let e = stats.limit_error("pid:1 (x)", &limits).unwrap();
        assert!(e.reason.contains("larger than 8192 bytes"), "{e}");
        assert_eq!(ReadStats::default().limit_error("x", &limits), None);
    }
}
