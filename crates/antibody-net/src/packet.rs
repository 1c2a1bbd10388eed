//! Link, IP and transport decoding of one captured frame, without
//! allocating: a [`Packet`] borrows the frame's bytes.
//!
//! Lengths in headers are not trusted. A header that claims more than was
//! captured is cut to what is there and the packet marked
//! [`Packet::truncated`]; a header that claims less than its own size, or
//! a field that points outside the packet, is a [`DecodeError`].
//! Fragments are reported with [`FragInfo`] and left to [`crate::ipfrag`].

use crate::capture::LinkType;
use crate::model::proto;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most VLAN tags skipped before giving up on an Ethernet frame.
const MAX_VLAN_TAGS: usize = 8;
/// Most IPv6 extension headers walked before giving up.
const MAX_EXT_HEADERS: usize = 8;

/// Why a frame could not be decoded to IP and transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A header does not fit in the bytes captured.
    #[error("{layer} header needs {needed} bytes, {have} captured")]
    Truncated {
        /// `ethernet`, `ipv4`, `tcp`, ...
        layer: &'static str,
        /// Bytes the header needs.
        needed: usize,
        /// Bytes there are.
        have: usize,
    },
    /// A length field smaller than its header or pointing past the packet.
    #[error("{layer}: {field} {value} is invalid ({detail})")]
    BadLength {
        /// `ipv4`, `tcp`, `udp`, ...
        layer: &'static str,
        /// The field (`total length`, `data offset`...).
        field: &'static str,
        /// Its value.
        value: u32,
        /// What it was checked against.
        detail: &'static str,
    },
    /// The link type is not one this decoder knows.
    #[error("unsupported link type {0}")]
    UnsupportedLink(u32),
    /// The frame carries something other than IP (ARP, LLC, ...).
    #[error("not IP (ethertype or family {0:#06x})")]
    NotIp(u32),
    /// The IP version nibble is neither 4 nor 6.
    #[error("IP version {0} is neither 4 nor 6")]
    BadIpVersion(u8),
    /// More IPv6 extension headers or VLAN tags than allowed.
    #[error("more than {limit} {what}")]
    TooManyHeaders {
        /// `VLAN tags` or `IPv6 extension headers`.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// [`DecodeError`] without its details, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// [`DecodeError::Truncated`].
    Truncated,
    /// [`DecodeError::BadLength`].
    BadLength,
    /// [`DecodeError::UnsupportedLink`].
    UnsupportedLink,
    /// [`DecodeError::NotIp`].
    NotIp,
    /// [`DecodeError::BadIpVersion`].
    BadIpVersion,
    /// [`DecodeError::TooManyHeaders`].
    TooManyHeaders,
}

impl DecodeErrorKind {
    /// Every kind, in the order of [`DecodeErrorKind::index`].
    pub const ALL: [DecodeErrorKind; 6] = [
        DecodeErrorKind::Truncated,
        DecodeErrorKind::BadLength,
        DecodeErrorKind::UnsupportedLink,
        DecodeErrorKind::NotIp,
        DecodeErrorKind::BadIpVersion,
        DecodeErrorKind::TooManyHeaders,
    ];

    /// Position in [`DecodeErrorKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Stable short name (`truncated`, `bad_length`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DecodeErrorKind::Truncated => "truncated",
            DecodeErrorKind::BadLength => "bad_length",
            DecodeErrorKind::UnsupportedLink => "unsupported_link",
            DecodeErrorKind::NotIp => "not_ip",
            DecodeErrorKind::BadIpVersion => "bad_ip_version",
            DecodeErrorKind::TooManyHeaders => "too_many_headers",
        }
    }
}

impl DecodeError {
    /// The kind, for counting.
    pub fn kind(&self) -> DecodeErrorKind {
        match self {
            DecodeError::Truncated { .. } => DecodeErrorKind::Truncated,
            DecodeError::BadLength { .. } => DecodeErrorKind::BadLength,
            DecodeError::UnsupportedLink(_) => DecodeErrorKind::UnsupportedLink,
            DecodeError::NotIp(_) => DecodeErrorKind::NotIp,
            DecodeError::BadIpVersion(_) => DecodeErrorKind::BadIpVersion,
            DecodeError::TooManyHeaders { .. } => DecodeErrorKind::TooManyHeaders,
        }
    }
}

/// TCP flag bits as in the header's 13th byte.
pub mod tcp_flags {
    /// No more data from sender.
    pub const FIN: u8 = 0x01;
    /// Synchronise sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Push.
    pub const PSH: u8 = 0x08;
    /// Acknowledgment field significant.
    pub const ACK: u8 = 0x10;
    /// Urgent pointer significant.
    pub const URG: u8 = 0x20;
}

/// A TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flag bits ([`tcp_flags`]).
    pub flags: u8,
    /// Receive window (unscaled).
    pub window: u16,
    /// Segment data (options skipped).
    pub payload: &'a [u8],
}

impl TcpSegment<'_> {
    /// Whether all of `flags` are set.
    pub fn has(&self, flags: u8) -> bool {
        self.flags & flags == flags
    }
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Data, bounded by the UDP length when that is shorter than the packet.
    pub payload: &'a [u8],
}

/// The layer above IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// TCP.
    Tcp(TcpSegment<'a>),
    /// UDP.
    Udp(UdpDatagram<'a>),
    /// Any other protocol, or a fragment: the IP payload as is.
    Other(&'a [u8]),
}

/// Where a fragment goes in its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragInfo {
    /// Identification (16 bits for IPv4, 32 for IPv6).
    pub id: u32,
    /// Offset of this fragment's data in the datagram, in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// One decoded packet, borrowing the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Protocol of [`Packet::transport`] (after IPv6 extension headers).
    pub proto: u8,
    /// Outermost VLAN id, when the frame was tagged.
    pub vlan: Option<u16>,
    /// Set when this is a fragment; [`Packet::transport`] is then
    /// [`Transport::Other`] with the fragment's data.
    pub frag: Option<FragInfo>,
    /// The transport layer.
    pub transport: Transport<'a>,
    /// The packet was cut: by the capture's snap length, or a length field
    /// claimed more than the frame holds.
    pub truncated: bool,
}

impl<'a> Packet<'a> {
    /// The TCP segment, if this is one.
    pub fn tcp(&self) -> Option<&TcpSegment<'a>> {
        match &self.transport {
            Transport::Tcp(t) => Some(t),
            _ => None,
        }
    }

    /// The UDP datagram, if this is one.
    pub fn udp(&self) -> Option<&UdpDatagram<'a>> {
        match &self.transport {
            Transport::Udp(u) => Some(u),
            _ => None,
        }
    }

    /// Source and destination ports (zero for protocols without).
    pub fn ports(&self) -> (u16, u16) {
        match &self.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port),
            Transport::Udp(u) => (u.src_port, u.dst_port),
            Transport::Other(_) => (0, 0),
        }
    }

    /// Transport payload (TCP/UDP data, or the IP payload for others).
    pub fn payload(&self) -> &'a [u8] {
        match self.transport {
            Transport::Tcp(t) => t.payload,
            Transport::Udp(u) => u.payload,
            Transport::Other(p) => p,
        }
    }
}

#[inline]
fn need(layer: &'static str, data: &[u8], needed: usize) -> Result<(), DecodeError> {
    if data.len() < needed {
        Err(DecodeError::Truncated {
            layer,
            needed,
            have: data.len(),
        })
    } else {
        Ok(())
    }
}

#[inline]
fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

#[inline]
fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;

/// Decodes one frame of link type `link`.
pub fn decode(link: LinkType, data: &[u8]) -> Result<Packet<'_>, DecodeError> {
    let mut vlan = None;
    let ip = match link {
        LinkType::ETHERNET => {
            need("ethernet", data, 14)?;
            let mut ethertype = be16(data, 12);
            let mut at = 14;
            let mut tags = 0;
            while matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) {
                tags += 1;
                if tags > MAX_VLAN_TAGS {
                    return Err(DecodeError::TooManyHeaders {
                        what: "VLAN tags",
                        limit: MAX_VLAN_TAGS,
                    });
                }
                need("vlan", data, at + 4)?;
                vlan.get_or_insert(be16(data, at) & 0x0fff);
                ethertype = be16(data, at + 2);
                at += 4;
            }
            by_ethertype(ethertype, &data[at..])?
        }
        LinkType::LINUX_SLL => {
            need("sll", data, 16)?;
            by_ethertype(be16(data, 14), &data[16..])?
        }
        LinkType::LINUX_SLL2 => {
            need("sll2", data, 20)?;
            by_ethertype(be16(data, 0), &data[20..])?
        }
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 => {
            need("ip", data, 1)?;
            match data[0] >> 4 {
                4 => Ip::V4(data),
                6 => Ip::V6(data),
                v => return Err(DecodeError::BadIpVersion(v)),
            }
        }
        LinkType::IPV4 => Ip::V4(data),
        LinkType::IPV6 => Ip::V6(data),
        LinkType::NULL | LinkType::LOOP => {
            need("loopback", data, 4)?;
            let le = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            let be = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
            // The family is in the capturing host's byte order (NULL) or
            // network order (LOOP); IPv6's value differs between systems.
            let family = if le < 256 { le } else { be };
            let rest = &data[4..];
            match family {
                2 => Ip::V4(rest),
                10 | 24 | 28 | 30 => Ip::V6(rest),
                f => return Err(DecodeError::NotIp(f)),
            }
        }
        other => return Err(DecodeError::UnsupportedLink(other.0)),
    };
    let mut pkt = match ip {
        Ip::V4(d) => decode_ipv4(d)?,
        Ip::V6(d) => decode_ipv6(d)?,
    };
    pkt.vlan = vlan;
    Ok(pkt)
}

enum Ip<'a> {
    V4(&'a [u8]),
    V6(&'a [u8]),
}

fn by_ethertype(ethertype: u16, rest: &[u8]) -> Result<Ip<'_>, DecodeError> {
    match ethertype {
        ETHERTYPE_IPV4 => Ok(Ip::V4(rest)),
        ETHERTYPE_IPV6 => Ok(Ip::V6(rest)),
        t => Err(DecodeError::NotIp(u32::from(t))),
    }
}

/// Decodes an IPv4 packet (header first).
pub fn decode_ipv4(d: &[u8]) -> Result<Packet<'_>, DecodeError> {
    need("ipv4", d, 20)?;
    if d[0] >> 4 != 4 {
        return Err(DecodeError::BadIpVersion(d[0] >> 4));
    }
    let ihl = usize::from(d[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(DecodeError::BadLength {
            layer: "ipv4",
            field: "header length",
            value: ihl as u32,
            detail: "below the minimum of 20",
        });
    }
    need("ipv4", d, ihl)?;
    let total = usize::from(be16(d, 2));
    if total < ihl {
        return Err(DecodeError::BadLength {
            layer: "ipv4",
            field: "total length",
            value: total as u32,
            detail: "shorter than the header",
        });
    }
    let truncated = total > d.len();
    let end = total.min(d.len());
    let payload = &d[ihl..end];
    let flags_frag = be16(d, 6);
    let more = flags_frag & 0x2000 != 0;
    let offset = u32::from(flags_frag & 0x1fff) * 8;
    let proto = d[9];
    let src = IpAddr::V4(Ipv4Addr::new(d[12], d[13], d[14], d[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(d[16], d[17], d[18], d[19]));
    let frag = (more || offset != 0).then(|| FragInfo {
        id: u32::from(be16(d, 4)),
        offset,
        more,
    });
    let transport = if frag.is_some() {
        Transport::Other(payload)
    } else {
        decode_transport(proto, payload, truncated)?
    };
    Ok(Packet {
        src,
        dst,
        proto,
        vlan: None,
        frag,
        transport,
        truncated,
    })
}

/// Decodes an IPv6 packet (header first), walking extension headers.
pub fn decode_ipv6(d: &[u8]) -> Result<Packet<'_>, DecodeError> {
    need("ipv6", d, 40)?;
    if d[0] >> 4 != 6 {
        return Err(DecodeError::BadIpVersion(d[0] >> 4));
    }
    let plen = usize::from(be16(d, 4));
    let mut src = [0u8; 16];
    src.copy_from_slice(&d[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&d[24..40]);
    // A zero payload length is a jumbogram (or a lie): take what is there.
    let (end, truncated) = if plen == 0 {
        (d.len(), false)
    } else {
        ((40 + plen).min(d.len()), 40 + plen > d.len())
    };
    let (proto, frag, rest) = walk_ext_headers(d[6], &d[40..end])?;
    let transport = if frag.is_some() {
        Transport::Other(rest)
    } else {
        decode_transport(proto, rest, truncated)?
    };
    Ok(Packet {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto,
        vlan: None,
        frag,
        transport,
        truncated,
    })
}

/// Skips IPv6 extension headers from `next`; returns the upper protocol,
/// the fragment header's information (a real fragment only, not an atomic
/// one) and the bytes after the last header walked.
pub(crate) fn walk_ext_headers(
    mut next: u8,
    mut d: &[u8],
) -> Result<(u8, Option<FragInfo>, &[u8]), DecodeError> {
    for _ in 0..=MAX_EXT_HEADERS {
        match next {
            // hop-by-hop, routing, destination options, mobility
            0 | 43 | 60 | 135 => {
                need("ipv6 extension", d, 8)?;
                let len = (usize::from(d[1]) + 1) * 8;
                need("ipv6 extension", d, len)?;
                next = d[0];
                d = &d[len..];
            }
            // authentication header
            51 => {
                need("ipv6 ah", d, 8)?;
                let len = (usize::from(d[1]) + 2) * 4;
                need("ipv6 ah", d, len)?;
                next = d[0];
                d = &d[len..];
            }
            44 => {
                need("ipv6 fragment", d, 8)?;
                let off_m = be16(d, 2);
                let info = FragInfo {
                    id: be32(d, 4),
                    offset: u32::from(off_m >> 3) * 8,
                    more: off_m & 1 != 0,
                };
                next = d[0];
                d = &d[8..];
                if info.more || info.offset != 0 {
                    return Ok((next, Some(info), d));
                }
            }
            _ => return Ok((next, None, d)),
        }
    }
    Err(DecodeError::TooManyHeaders {
        what: "IPv6 extension headers",
        limit: MAX_EXT_HEADERS,
    })
}

/// Decodes the transport layer of an IP payload. `truncated` says the IP
/// layer was cut, which makes a short TCP/UDP header acceptable when the
/// fixed part is there.
pub fn decode_transport(
    proto: u8,
    d: &[u8],
    truncated: bool,
) -> Result<Transport<'_>, DecodeError> {
    match proto {
        proto::TCP => {
            need("tcp", d, 20)?;
            let off = usize::from(d[12] >> 4) * 4;
            if off < 20 {
                return Err(DecodeError::BadLength {
                    layer: "tcp",
                    field: "data offset",
                    value: off as u32,
                    detail: "below the minimum of 20",
                });
            }
            let payload = if off <= d.len() {
                &d[off..]
            } else if truncated {
                &d[d.len()..]
            } else {
                return Err(DecodeError::BadLength {
                    layer: "tcp",
                    field: "data offset",
                    value: off as u32,
                    detail: "past the end of the segment",
                });
            };
            Ok(Transport::Tcp(TcpSegment {
                src_port: be16(d, 0),
                dst_port: be16(d, 2),
                seq: be32(d, 4),
                ack: be32(d, 8),
                flags: d[13],
                window: be16(d, 14),
                payload,
            }))
        }
        proto::UDP => {
            need("udp", d, 8)?;
            let len = usize::from(be16(d, 4));
            if len < 8 {
                return Err(DecodeError::BadLength {
                    layer: "udp",
                    field: "length",
                    value: len as u32,
                    detail: "below the header size of 8",
                });
            }
            // Longer than the data: keep what is there (the caller sees
            // the IP layer's truncation, or the lie, in the counts).
            let end = len.min(d.len());
            Ok(Transport::Udp(UdpDatagram {
                src_port: be16(d, 0),
                dst_port: be16(d, 2),
                payload: &d[8..end],
            }))
        }
        _ => Ok(Transport::Other(d)),
    }
}

/// Whether a UDP datagram's length field claims more than the packet holds.
pub fn udp_length_lies(ip_payload: &[u8]) -> bool {
    ip_payload.len() >= 8 && usize::from(be16(ip_payload, 4)) > ip_payload.len()
}
