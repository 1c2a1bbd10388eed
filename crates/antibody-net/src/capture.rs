//! Streaming reader of pcap and pcapng captures held in memory (usually a
//! memory map): yields [`Frame`]s that borrow the capture's bytes.
//!
//! Nothing is copied and nothing is allocated from a length the file
//! claims: every length is checked against the bytes that are left before
//! it is used. A malformed record is one [`CaptureError`] item; the reader
//! then goes on with the next block when the block's own framing is sound
//! (pcapng), or stops when it is not (a cut file, a length that lies).

use crate::model::Micros;
use pcap_parser::nom;
use pcap_parser::pcapng::Block;
use pcap_parser::{Linktype, PcapError};

/// A capture's link-layer type (`LINKTYPE_*` from tcpdump.org).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, with or without VLAN tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP as some systems number it (`DLT_RAW` on BSD).
    pub const RAW_12: LinkType = LinkType(12);
    /// Raw IP as OpenBSD numbers it.
    pub const RAW_14: LinkType = LinkType(14);
    /// Raw IP, version from the first nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// Which container the capture is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap.
    Pcap {
        /// Timestamps in nanoseconds (magic `a1b23c4d`).
        nanos: bool,
        /// Written big-endian.
        big_endian: bool,
    },
    /// pcapng (any number of sections, either byte order).
    Pcapng,
}

/// One captured frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// 1-based position among the capture's frames, as Wireshark numbers them.
    pub number: u64,
    /// Capture time, microseconds since the epoch.
    pub ts: Micros,
    /// Link type of the interface it was captured on.
    pub link: LinkType,
    /// The bytes captured (at most the snap length).
    pub data: &'a [u8],
    /// Length of the packet on the wire (may exceed `data.len()`).
    pub orig_len: u32,
    /// pcapng interface id within its section (0 for pcap).
    pub interface: u32,
}

/// Why (part of) a capture could not be read. Offsets are from the start
/// of the capture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Neither a pcap nor a pcapng magic.
    #[error("offset 0x0: not a pcap or pcapng capture (magic {magic:#010x})")]
    NotACapture {
        /// The first four bytes, little-endian.
        magic: u32,
    },
    /// The file ends inside a header or record.
    #[error("offset {offset:#x}: {what} needs {needed} bytes, {left} left")]
    Truncated {
        /// Where the header or record starts.
        offset: u64,
        /// `pcap file header`, `pcap record header`, `pcap record data`, ...
        what: &'static str,
        /// Bytes it needs.
        needed: u64,
        /// Bytes left in the file.
        left: u64,
    },
    /// A pcapng block length runs past the end of the file.
    #[error("offset {offset:#x}: pcapng block length {len} exceeds the {left} bytes left")]
    BlockTooLong {
        /// Block start.
        offset: u64,
        /// Claimed length.
        len: u32,
        /// Bytes left.
        left: u64,
    },
    /// A pcapng block length is not a multiple of 4.
    #[error("offset {offset:#x}: pcapng block length {len} is not a multiple of 4")]
    BlockMisaligned {
        /// Block start.
        offset: u64,
        /// Claimed length.
        len: u32,
    },
    /// A pcapng block length below the block's minimum.
    #[error("offset {offset:#x}: pcapng block length {len} is below the minimum of {min}")]
    BlockTooShort {
        /// Block start.
        offset: u64,
        /// Claimed length.
        len: u32,
        /// Minimum for this block type.
        min: u32,
    },
    /// The trailing copy of a pcapng block length differs from the first.
    #[error("offset {offset:#x}: pcapng block length {len} but trailing length {trailer}")]
    BlockLengthMismatch {
        /// Block start.
        offset: u64,
        /// Leading length.
        len: u32,
        /// Trailing length.
        trailer: u32,
    },
    /// A pcapng block whose content does not parse.
    #[error("offset {offset:#x}: bad pcapng block of type {block_type:#010x}: {reason}")]
    BadBlock {
        /// Block start.
        offset: u64,
        /// Block type.
        block_type: u32,
        /// What is wrong.
        reason: String,
    },
    /// A packet block names an interface its section has not described.
    #[error("offset {offset:#x}: packet on interface {interface} but the section has {known}")]
    UnknownInterface {
        /// Block start.
        offset: u64,
        /// Interface id in the block.
        interface: u32,
        /// Interfaces described so far in the section.
        known: usize,
    },
    /// A classic pcap record claims more than any capture would hold.
    #[error("offset {offset:#x}: pcap record length {caplen} exceeds the snap length {snaplen}")]
    RecordTooLong {
        /// Record start.
        offset: u64,
        /// Captured length claimed.
        caplen: u32,
        /// The file's snap length.
        snaplen: u32,
    },
}

impl CaptureError {
    /// Byte offset the error is about.
    pub fn offset(&self) -> u64 {
        match self {
            CaptureError::NotACapture { .. } => 0,
            CaptureError::Truncated { offset, .. }
            | CaptureError::BlockTooLong { offset, .. }
            | CaptureError::BlockMisaligned { offset, .. }
            | CaptureError::BlockTooShort { offset, .. }
            | CaptureError::BlockLengthMismatch { offset, .. }
            | CaptureError::BadBlock { offset, .. }
            | CaptureError::UnknownInterface { offset, .. }
            | CaptureError::RecordTooLong { offset, .. } => *offset,
        }
    }
}

/// Records larger than this are refused in classic pcap unless the file's
/// snap length allows them (libpcap's own maximum is 256 KiB).
const MAX_PCAP_RECORD: u32 = 256 * 1024;

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 0x0000_0001;
const OBSOLETE_PB: u32 = 0x0000_0002;
const BOM: u32 = 0x1a2b_3c4d;

/// Units of a pcapng timestamp per second.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    units_per_sec: u128,
    offset_secs: i64,
}

#[derive(Debug)]
enum State {
    Pcap {
        big_endian: bool,
        nanos: bool,
        modified: bool,
        link: LinkType,
        snaplen: u32,
    },
    Pcapng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Reads frames from a capture in memory. An iterator of frames or errors.
#[derive(Debug)]
pub struct CaptureReader<'a> {
    data: &'a [u8],
    pos: usize,
    number: u64,
    done: bool,
    format: CaptureFormat,
    state: State,
}

impl<'a> CaptureReader<'a> {
    /// Recognises the capture format and reads the file header.
    pub fn new(data: &'a [u8]) -> Result<CaptureReader<'a>, CaptureError> {
        if data.len() < 4 {
            return Err(CaptureError::Truncated {
                offset: 0,
                what: "capture magic",
                needed: 4,
                left: data.len() as u64,
            });
        }
        let magic = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        if magic == SHB {
            return Ok(CaptureReader {
                data,
                pos: 0,
                number: 0,
                done: false,
                format: CaptureFormat::Pcapng,
                state: State::Pcapng {
                    big_endian: false,
                    interfaces: Vec::new(),
                },
            });
        }
        let header = match pcap_parser::parse_pcap_header(data) {
            Ok((_, h)) => h,
            Err(nom::Err::Incomplete(_)) => {
                return Err(CaptureError::Truncated {
                    offset: 0,
                    what: "pcap file header",
                    needed: 24,
                    left: data.len() as u64,
                });
            }
            Err(_) => return Err(CaptureError::NotACapture { magic }),
        };
        let big_endian = header.is_bigendian();
        let nanos = header.is_nanosecond_precision();
        // The upper bits carry FCS information, not the link type.
        let Linktype(raw) = header.network;
        Ok(CaptureReader {
            data,
            pos: 24,
            number: 0,
            done: false,
            format: CaptureFormat::Pcap { nanos, big_endian },
            state: State::Pcap {
                big_endian,
                nanos,
                modified: header.is_modified_format(),
                link: LinkType((raw as u32) & 0xffff),
                snaplen: header.snaplen,
            },
        })
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Byte offset of the next record.
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    fn next_pcap(&mut self) -> Option<Result<Frame<'a>, CaptureError>> {
        let State::Pcap {
            big_endian,
            nanos,
            modified,
            link,
            snaplen,
        } = self.state
        else {
            unreachable!("pcap state")
        };
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let offset = self.pos as u64;
        let hdr_len = if modified { 24 } else { 16 };
        if rest.len() < hdr_len {
            self.done = true;
            return Some(Err(CaptureError::Truncated {
                offset,
                what: "pcap record header",
                needed: hdr_len as u64,
                left: rest.len() as u64,
            }));
        }
        let word = |at: usize| {
            let b = [rest[at], rest[at + 1], rest[at + 2], rest[at + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let caplen = word(8);
        if caplen > MAX_PCAP_RECORD && caplen > snaplen {
            self.done = true;
            return Some(Err(CaptureError::RecordTooLong {
                offset,
                caplen,
                snaplen,
            }));
        }
        let parsed = if modified {
            pcap_parser::parse_pcap_frame_modified(rest)
        } else if big_endian {
            pcap_parser::parse_pcap_frame_be(rest)
        } else {
            pcap_parser::parse_pcap_frame(rest)
        };
        let block = match parsed {
            Ok((_, b)) => b,
            Err(_) => {
                self.done = true;
                return Some(Err(CaptureError::Truncated {
                    offset,
                    what: "pcap record data",
                    needed: hdr_len as u64 + u64::from(caplen),
                    left: rest.len() as u64,
                }));
            }
        };
        self.pos += hdr_len + caplen as usize;
        self.number += 1;
        prefetch(&self.data[self.pos..]);
        let frac = if nanos {
            i64::from(block.ts_usec) / 1000
        } else {
            i64::from(block.ts_usec)
        };
        Some(Ok(Frame {
            number: self.number,
            ts: i64::from(block.ts_sec) * 1_000_000 + frac,
            link,
            data: block.data,
            orig_len: block.origlen,
            interface: 0,
        }))
    }

    fn next_pcapng(&mut self) -> Option<Result<Frame<'a>, CaptureError>> {
        loop {
            let rest = &self.data[self.pos..];
            if rest.is_empty() {
                return None;
            }
            let offset = self.pos as u64;
            match self.block(rest, offset) {
                Step::Skip(len) => self.pos += len,
                Step::Frame(len, frame) => {
                    self.pos += len;
                    prefetch(&self.data[self.pos..]);
                    self.number += 1;
                    return Some(Ok(Frame {
                        number: self.number,
                        ..frame
                    }));
                }
                Step::Resync(len, e) => {
                    self.pos += len;
                    return Some(Err(e));
                }
                Step::Stop(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }

    /// Checks one block's framing, then reads it.
    fn block(&mut self, rest: &'a [u8], offset: u64) -> Step<'a> {
        let State::Pcapng {
            big_endian,
            interfaces,
        } = &mut self.state
        else {
            unreachable!("pcapng state")
        };
        if rest.len() < 12 {
            return Step::Stop(CaptureError::Truncated {
                offset,
                what: "pcapng block header",
                needed: 12,
                left: rest.len() as u64,
            });
        }
        let le_type = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        if le_type == SHB {
            // The byte-order magic decides how this section is read.
            let bom = u32::from_le_bytes([rest[8], rest[9], rest[10], rest[11]]);
            if bom == BOM {
                *big_endian = false;
            } else if bom == BOM.swap_bytes() {
                *big_endian = true;
            } else {
                return Step::Stop(CaptureError::BadBlock {
                    offset,
                    block_type: SHB,
                    reason: format!("unknown byte-order magic {bom:#010x}"),
                });
            }
            interfaces.clear();
        }
        let be = *big_endian;
        let word = |b: &[u8], at: usize| {
            let w = [b[at], b[at + 1], b[at + 2], b[at + 3]];
            if be {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            }
        };
        let block_type = word(rest, 0);
        let len = word(rest, 4);
        let min = match block_type {
            SHB => 28,
            IDB => 20,
            0x0000_0006 => 32,
            0x0000_0003 => 16,
            _ => 12,
        };
        if len < min {
            return Step::Stop(CaptureError::BlockTooShort { offset, len, min });
        }
        if u64::from(len) > rest.len() as u64 {
            return Step::Stop(CaptureError::BlockTooLong {
                offset,
                len,
                left: rest.len() as u64,
            });
        }
        if len % 4 != 0 {
            return Step::Stop(CaptureError::BlockMisaligned { offset, len });
        }
        let n = len as usize;
        let trailer = word(rest, n - 4);
        if trailer != len {
            return Step::Stop(CaptureError::BlockLengthMismatch {
                offset,
                len,
                trailer,
            });
        }
        let block = &rest[..n];
        // From here the framing is sound: a bad block is skipped.
        if block_type == OBSOLETE_PB {
            return obsolete_packet_block(block, be, interfaces, offset);
        }
        let parsed = if be {
            pcap_parser::parse_block_be(block)
        } else {
            pcap_parser::parse_block_le(block)
        };
        let parsed = match parsed {
            Ok((_, b)) => b,
            Err(e) => {
                let reason = match e {
                    nom::Err::Incomplete(_) => "a field runs past the end of the block".to_string(),
                    nom::Err::Error(e) | nom::Err::Failure(e) => describe(&e),
                };
                return Step::Resync(
                    n,
                    CaptureError::BadBlock {
                        offset,
                        block_type,
                        reason,
                    },
                );
            }
        };
        match parsed {
            Block::InterfaceDescription(idb) => {
                let mut resol = 6u8;
                let mut offset_secs = 0i64;
                for opt in &idb.options {
                    let v = opt.value();
                    match opt.code.0 {
                        9 if opt.len >= 1 && !v.is_empty() => resol = v[0],
                        14 if opt.len >= 8 && v.len() >= 8 => {
                            let mut b = [0u8; 8];
                            b.copy_from_slice(&v[..8]);
                            offset_secs = if be {
                                i64::from_be_bytes(b)
                            } else {
                                i64::from_le_bytes(b)
                            };
                        }
                        _ => {}
                    }
                }
                let Some(units_per_sec) = units_per_sec(resol) else {
                    return Step::Resync(
                        n,
                        CaptureError::BadBlock {
                            offset,
                            block_type,
                            reason: format!("if_tsresol {resol:#04x} is out of range"),
                        },
                    );
                };
                interfaces.push(Interface {
                    link: LinkType(u32::from(idb.linktype.0 as u16)),
                    snaplen: idb.snaplen,
                    units_per_sec,
                    offset_secs,
                });
                Step::Skip(n)
            }
            Block::EnhancedPacket(epb) => {
                let Some(iface) = interfaces.get(epb.if_id as usize) else {
                    return Step::Resync(
                        n,
                        CaptureError::UnknownInterface {
                            offset,
                            interface: epb.if_id,
                            known: interfaces.len(),
                        },
                    );
                };
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let raw: &'a [u8] = epb.data;
                let data = &raw[..raw.len().min(epb.caplen as usize)];
                Step::Frame(
                    n,
                    Frame {
                        number: 0,
                        ts: timestamp(units, iface),
                        link: iface.link,
                        data,
                        orig_len: epb.origlen,
                        interface: epb.if_id,
                    },
                )
            }
            Block::SimplePacket(spb) => {
                let Some(iface) = interfaces.first() else {
                    return Step::Resync(
                        n,
                        CaptureError::UnknownInterface {
                            offset,
                            interface: 0,
                            known: 0,
                        },
                    );
                };
                let raw: &'a [u8] = spb.data;
                let mut data = &raw[..raw.len().min(spb.origlen as usize)];
                if iface.snaplen != 0 && data.len() > iface.snaplen as usize {
                    data = &data[..iface.snaplen as usize];
                }
                Step::Frame(
                    n,
                    Frame {
                        number: 0,
                        // A simple packet block has no timestamp.
                        ts: 0,
                        link: iface.link,
                        data,
                        orig_len: spb.origlen,
                        interface: 0,
                    },
                )
            }
            _ => Step::Skip(n),
        }
    }
}

/// Asks for the next record's header while the caller works on this
/// frame: records are hundreds of bytes apart, too far for the hardware
/// to guess, and reading is otherwise bound by that one miss per frame.
#[inline]
fn prefetch(next: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    if !next.is_empty() {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch never faults and reads nothing into Rust values.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(next.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = next;
}

enum Step<'a> {
    Skip(usize),
    Frame(usize, Frame<'a>),
    Resync(usize, CaptureError),
    Stop(CaptureError),
}

fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("content does not parse ({kind:?})"),
        other => format!("{other:?}"),
    }
}

/// The obsolete Packet Block (type 2), which pcap-parser leaves unparsed:
/// interface id (16 bits), drops (16), timestamp (64), caplen, len, data.
fn obsolete_packet_block<'a>(
    block: &'a [u8],
    be: bool,
    interfaces: &[Interface],
    offset: u64,
) -> Step<'a> {
    let n = block.len();
    let bad = |reason: &str| {
        Step::Resync(
            n,
            CaptureError::BadBlock {
                offset,
                block_type: OBSOLETE_PB,
                reason: reason.to_string(),
            },
        )
    };
    if n < 32 {
        return bad("shorter than a packet block header");
    }
    let w32 = |at: usize| {
        let w = [block[at], block[at + 1], block[at + 2], block[at + 3]];
        if be {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    let if_id = if be {
        u16::from_be_bytes([block[8], block[9]])
    } else {
        u16::from_le_bytes([block[8], block[9]])
    };
    let caplen = w32(20) as usize;
    if caplen > n - 32 {
        return bad("captured length runs past the end of the block");
    }
    let Some(iface) = interfaces.get(usize::from(if_id)) else {
        return Step::Resync(
            n,
            CaptureError::UnknownInterface {
                offset,
                interface: u32::from(if_id),
                known: interfaces.len(),
            },
        );
    };
    let units = (u64::from(w32(12)) << 32) | u64::from(w32(16));
    Step::Frame(
        n,
        Frame {
            number: 0,
            ts: timestamp(units, iface),
            link: iface.link,
            data: &block[28..28 + caplen],
            orig_len: w32(24),
            interface: u32::from(if_id),
        },
    )
}

/// Timestamp units per second from `if_tsresol`: the low 7 bits are an
/// exponent of 10, or of 2 when the top bit is set.
fn units_per_sec(resol: u8) -> Option<u128> {
    let exp = u32::from(resol & 0x7f);
    if resol & 0x80 == 0 {
        (exp <= 19).then(|| 10u128.pow(exp))
    } else {
        (exp <= 64).then(|| 1u128 << exp)
    }
}

/// Converts interface time units to microseconds since the epoch,
/// saturating instead of overflowing on absurd values.
fn timestamp(units: u64, iface: &Interface) -> Micros {
    let micros = u128::from(units) * 1_000_000 / iface.units_per_sec;
    let micros = i64::try_from(micros).unwrap_or(i64::MAX);
    micros.saturating_add(iface.offset_secs.saturating_mul(1_000_000))
}

impl<'a> Iterator for CaptureReader<'a> {
    type Item = Result<Frame<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match self.state {
            State::Pcap { .. } => self.next_pcap(),
            State::Pcapng { .. } => self.next_pcapng(),
        };
        if item.is_none() {
            self.done = true;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(units_per_sec(6), Some(1_000_000));
        assert_eq!(units_per_sec(9), Some(1_000_000_000));
        assert_eq!(units_per_sec(0x80 | 10), Some(1024));
        assert_eq!(units_per_sec(20), None);
        assert_eq!(units_per_sec(0x80 | 65), None);
    }

    #[test]
    fn timestamps_saturate() {
        let iface = Interface {
            link: LinkType::ETHERNET,
            snaplen: 0,
            units_per_sec: 1,
            offset_secs: i64::MAX,
        };
        assert_eq!(timestamp(u64::MAX, &iface), i64::MAX);
        let neg = Interface {
            offset_secs: i64::MIN,
            ..iface
        };
        assert_eq!(timestamp(0, &neg), i64::MIN);
        let binary = Interface {
            units_per_sec: 1 << 20,
            offset_secs: 0,
            ..iface
        };
        assert_eq!(timestamp(3 << 19, &binary), 1_500_000);
    }

    #[test]
    fn not_a_capture() {
        assert!(matches!(
            CaptureReader::new(b"GIF89a......................"),
            Err(CaptureError::NotACapture { .. })
        ));
        assert!(matches!(
            CaptureReader::new(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]),
            Err(CaptureError::Truncated { .. })
        ));
        assert!(matches!(
            CaptureReader::new(&[1]),
            Err(CaptureError::Truncated { .. })
        ));
    }
}
