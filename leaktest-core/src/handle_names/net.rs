//! The socket tables of `/proc/self/net`: which protocol, addresses and state
//! a socket inode has.
//!
//! `tcp`, `tcp6`, `udp`, `udp6`, `raw` and `raw6` share one line format:
//!
//! ```text
//!   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//!    0: 0100007F:EBD5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30815 ...
//! ```
//!
//! An address is the IP in hex, written as the kernel holds it (32-bit words
//! in the host's byte order), a colon, and the port in hex. `unix` lists
//! `Num RefCount Protocol Flags Type St Inode Path`, `netlink`
//! `sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The byte order the kernel wrote the 32-bit words of an address in: the
/// host's. A parameter so the parsers can be tested on any host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostByteOrder {
    /// Least significant byte first (x86, most ARM).
    Little,
    /// Most significant byte first.
    Big,
}

impl HostByteOrder {
    /// The byte order of this machine.
    pub const NATIVE: HostByteOrder = if cfg!(target_endian = "little") {
        HostByteOrder::Little
    } else {
        HostByteOrder::Big
    };

    fn bytes_of(self, word: u32) -> [u8; 4] {
        match self {
            HostByteOrder::Little => word.to_le_bytes(),
            HostByteOrder::Big => word.to_be_bytes(),
        }
    }
}

/// The IP tables of `/proc/self/net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InetTable {
    /// `tcp`: TCP over IPv4.
    Tcp,
    /// `tcp6`: TCP over IPv6.
    Tcp6,
    /// `udp`: UDP over IPv4.
    Udp,
    /// `udp6`: UDP over IPv6.
    Udp6,
    /// `raw`: raw IPv4 sockets.
    Raw,
    /// `raw6`: raw IPv6 sockets.
    Raw6,
}

impl InetTable {
    /// Every IP table, in the order they are read.
    pub const ALL: [InetTable; 6] = [
        InetTable::Tcp,
        InetTable::Tcp6,
        InetTable::Udp,
        InetTable::Udp6,
        InetTable::Raw,
        InetTable::Raw6,
    ];

    /// The file name under `/proc/self/net`.
    pub fn file_name(self) -> &'static str {
        match self {
            InetTable::Tcp => "tcp",
            InetTable::Tcp6 => "tcp6",
            InetTable::Udp => "udp",
            InetTable::Udp6 => "udp6",
            InetTable::Raw => "raw",
            InetTable::Raw6 => "raw6",
        }
    }

    /// Whether the state column is a TCP state worth showing.
    pub fn is_tcp(self) -> bool {
        matches!(self, InetTable::Tcp | InetTable::Tcp6)
    }
}

/// One line of an IP table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetSocket {
    /// The table it was listed in.
    pub table: InetTable,
    /// The local address and port.
    pub local: SocketAddr,
    /// The remote address and port (unspecified and 0 when not connected).
    pub remote: SocketAddr,
    /// The state column (`0A` is TCP's LISTEN).
    pub state: u8,
}

impl InetSocket {
    /// Whether the socket has a peer.
    pub fn is_connected(&self) -> bool {
        !self.remote.ip().is_unspecified() || self.remote.port() != 0
    }

    /// The state as `ss` and `netstat` spell it, for TCP sockets.
    pub fn tcp_state(&self) -> Option<&'static str> {
        self.table.is_tcp().then(|| tcp_state_name(self.state))
    }
}

/// The name of a TCP state number (`include/net/tcp_states.h`).
pub fn tcp_state_name(state: u8) -> &'static str {
    match state {
        0x01 => "ESTABLISHED",
        0x02 => "SYN_SENT",
        0x03 => "SYN_RECV",
        0x04 => "FIN_WAIT1",
        0x05 => "FIN_WAIT2",
        0x06 => "TIME_WAIT",
        0x07 => "CLOSE",
        0x08 => "CLOSE_WAIT",
        0x09 => "LAST_ACK",
        0x0A => "LISTEN",
        0x0B => "CLOSING",
        0x0C => "NEW_SYN_RECV",
        _ => "UNKNOWN_STATE",
    }
}

/// The sockets of an IP table with their inodes. Lines that do not parse (the
/// header, a truncated last line) are skipped.
pub fn parse_inet_table(
    text: &str,
    table: InetTable,
    byte_order: HostByteOrder,
) -> Vec<(u64, InetSocket)> {
    text.lines()
        .filter_map(|line| parse_inet_line(line, table, byte_order))
        .collect()
}

fn parse_inet_line(
    line: &str,
    table: InetTable,
    byte_order: HostByteOrder,
) -> Option<(u64, InetSocket)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if !fields.first()?.ends_with(':') {
        return None;
    }
    let local = parse_socket_address(fields.get(1)?, byte_order)?;
    let remote = parse_socket_address(fields.get(2)?, byte_order)?;
    let state = u8::from_str_radix(fields.get(3)?, 16).ok()?;
    let inode = fields.get(9)?.parse().ok()?;
    Some((
        inode,
        InetSocket {
            table,
            local,
            remote,
            state,
        },
    ))
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6), as the kernel
/// writes them.
pub fn parse_socket_address(text: &str, byte_order: HostByteOrder) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            byte_order.bytes_of(u32::from_str_radix(ip, 16).ok()?),
        )),
        32 => {
            let mut octets = [0u8; 16];
            for (word_index, chunk) in octets.chunks_exact_mut(4).enumerate() {
                let digits = ip.get(word_index * 8..word_index * 8 + 8)?;
                let word = u32::from_str_radix(digits, 16).ok()?;
                chunk.copy_from_slice(&byte_order.bytes_of(word));
            }
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The type column of `/proc/net/unix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnixType {
    /// `SOCK_STREAM`.
    Stream,
    /// `SOCK_DGRAM`.
    Datagram,
    /// `SOCK_SEQPACKET`.
    SeqPacket,
    /// Another type number.
    Other(u16),
}

impl UnixType {
    fn from_number(number: u16) -> UnixType {
        match number {
            1 => UnixType::Stream,
            2 => UnixType::Datagram,
            5 => UnixType::SeqPacket,
            other => UnixType::Other(other),
        }
    }

    /// `stream`, `dgram`, `seqpacket`, or `type N`.
    pub fn label(self) -> String {
        match self {
            UnixType::Stream => "stream".to_owned(),
            UnixType::Datagram => "dgram".to_owned(),
            UnixType::SeqPacket => "seqpacket".to_owned(),
            UnixType::Other(number) => format!("type {number}"),
        }
    }
}

/// One line of `/proc/self/net/unix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixSocket {
    /// Stream, datagram, ...
    pub socket_type: UnixType,
    /// `LISTEN`, `UNCONNECTED`, `CONNECTING`, `CONNECTED` or `DISCONNECTING`.
    pub state: &'static str,
    /// The bound path (`@name` for an abstract address), `None` when unbound.
    pub path: Option<String>,
}

/// `__SO_ACCEPTCON` in the flags column: the socket listens.
const UNIX_FLAG_LISTENING: u32 = 1 << 16;

/// The unix sockets with their inodes. Lines that do not parse are skipped.
pub fn parse_unix_table(text: &str) -> Vec<(u64, UnixSocket)> {
    text.lines().filter_map(parse_unix_line).collect()
}

fn parse_unix_line(line: &str) -> Option<(u64, UnixSocket)> {
    let mut rest = line;
    let mut fields = [""; 7];
    for field in &mut fields {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        *field = &rest[..end];
        rest = &rest[end..];
    }
    let [num, _refcount, _protocol, flags, socket_type, state, inode] = fields;
    if !num.ends_with(':') {
        return None;
    }
    let flags = u32::from_str_radix(flags, 16).ok()?;
    let socket_type = UnixType::from_number(u16::from_str_radix(socket_type, 16).ok()?);
    let state = if flags & UNIX_FLAG_LISTENING != 0 {
        "LISTEN"
    } else {
        match u8::from_str_radix(state, 16).ok()? {
            1 => "UNCONNECTED",
            2 => "CONNECTING",
            3 => "CONNECTED",
            4 => "DISCONNECTING",
            _ => "UNKNOWN_STATE",
        }
    };
    let inode = inode.parse().ok()?;
    let path = rest.trim();
    Some((
        inode,
        UnixSocket {
            socket_type,
            state,
            path: (!path.is_empty()).then(|| path.to_owned()),
        },
    ))
}

/// One line of `/proc/self/net/netlink`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetlinkSocket {
    /// The netlink protocol number (the `Eth` column).
    pub protocol: u32,
}

impl NetlinkSocket {
    /// The protocol's name for the common ones (`route`, `sock_diag`, ...),
    /// else `protocol N`.
    pub fn protocol_name(self) -> String {
        let name = match self.protocol {
            0 => "route",
            4 => "sock_diag",
            6 => "xfrm",
            9 => "audit",
            12 => "netfilter",
            15 => "kobject_uevent",
            16 => "generic",
            _ => return format!("protocol {}", self.protocol),
        };
        name.to_owned()
    }
}

/// The netlink sockets with their inodes. Lines that do not parse are skipped.
pub fn parse_netlink_table(text: &str) -> Vec<(u64, NetlinkSocket)> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let protocol = fields.get(1)?.parse().ok()?;
            let inode = fields.get(9)?.parse().ok()?;
            Some((inode, NetlinkSocket { protocol }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on x86_64 (little-endian) with a listener, both ends of a
    // connection to it, a connected and an unbound UDP socket, IPv6 sockets
    // and unix sockets of every shape.
    const TCP: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:EBD5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30815 1 00000000761a3205 100 0 0 10 0
   2: 0100007F:89C0 0100007F:EBD5 01 00000000:00000000 00:00000000 00000000     0        0 30816 2 000000007652425c 20 0 0 10 -1
   3: 0100007F:EBD5 0100007F:89C0 01 00000000:00000000 00:00000000 00000000     0        0 30817 1 000000009000c73f 20 0 0 10 -1
";
    const TCP6: &str = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:B72F 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30822 1 0000000077461547 100 0 0 10 0
   1: 00000000000000000000000001000000:9283 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30818 1 000000004e7a1bd8 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 30900 1 000000004e7a1bd8 100 0 0 10 0
";
    const UDP: &str = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  176: 00000000:9956 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 30820 2 0000000093fb66bb 0
10940: 0100007F:8362 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 30819 2 00000000f5c6961c 0
";
    const UNIX: &str = "\
Num       RefCount Protocol Flags    Type St Inode Path
00000000eb7d9aec: 00000003 00000000 00000000 0005 03 30827
00000000670128d7: 00000003 00000000 00000000 0001 03 30826
00000000bc3f01d6: 00000002 00000000 00010000 0001 01 30823 /tmp/h12.sock
000000003a6ab8cd: 00000002 00000000 00000000 0002 01 30824 @h12-abstract
00000000aa6ab8cd: 00000002 00000000 00010000 0001 01 30829 /run/my app/ctl.sock
";
    const NETLINK: &str = "\
sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
0000000014d73337 0   0          00000000 0        0        0     2        0        4
00000000969748ee 4   1234       00000000 0        0        0     2        0        1430
";

    fn v4(text: &str) -> SocketAddr {
        text.parse().expect("a socket address")
    }

    #[test]
    fn tcp_lines_give_addresses_ports_state_and_inode() {
        let sockets = parse_inet_table(TCP, InetTable::Tcp, HostByteOrder::Little);
        assert_eq!(sockets.len(), 3, "the header is skipped");
        let (inode, listener) = &sockets[0];
        assert_eq!(*inode, 30815);
        assert_eq!(listener.local, v4("127.0.0.1:60373"));
        assert!(!listener.is_connected());
        assert_eq!(listener.tcp_state(), Some("LISTEN"));
        let (inode, client) = &sockets[1];
        assert_eq!(*inode, 30816);
        assert_eq!(client.local, v4("127.0.0.1:35264"));
        assert_eq!(client.remote, v4("127.0.0.1:60373"));
        assert!(client.is_connected());
        assert_eq!(client.tcp_state(), Some("ESTABLISHED"));
    }

    #[test]
    fn ipv6_addresses_are_four_host_order_words() {
        let sockets = parse_inet_table(TCP6, InetTable::Tcp6, HostByteOrder::Little);
        assert_eq!(sockets[0].1.local, "[::]:46895".parse().unwrap());
        assert_eq!(sockets[1].1.local, "[::1]:37507".parse().unwrap());
        assert_eq!(
            sockets[2].1.local,
            "[::ffff:127.0.0.1]:8080".parse().unwrap()
        );
        assert_eq!(
            sockets[2].1.remote,
            "[::ffff:127.0.0.1]:50000".parse().unwrap()
        );
    }

    #[test]
    fn big_endian_hosts_write_words_most_significant_byte_first() {
        assert_eq!(
            parse_socket_address("7F000001:0050", HostByteOrder::Big),
            Some(v4("127.0.0.1:80"))
        );
        assert_eq!(
            parse_socket_address("00000000000000000000000000000001:0050", HostByteOrder::Big),
            Some("[::1]:80".parse().unwrap())
        );
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for text in [
            "",
            "0100007F",
            "0100007F:XYZ",
            "01007F:0050",
            "GG00007F:0050",
        ] {
            assert_eq!(
                parse_socket_address(text, HostByteOrder::Little),
                None,
                "{text}"
            );
        }
    }

    #[test]
    fn udp_lines_with_wide_slot_numbers_parse_and_carry_no_tcp_state() {
        let sockets = parse_inet_table(UDP, InetTable::Udp, HostByteOrder::Little);
        assert_eq!(sockets.len(), 2);
        assert_eq!(sockets[0].0, 30820);
        assert_eq!(sockets[0].1.local, v4("0.0.0.0:39254"));
        assert!(!sockets[0].1.is_connected());
        assert_eq!(sockets[0].1.tcp_state(), None);
        assert_eq!(sockets[1].0, 30819);
        assert_eq!(sockets[1].1.remote, v4("127.0.0.1:53"));
        assert!(sockets[1].1.is_connected());
    }

    #[test]
    fn a_truncated_line_is_skipped() {
        let text = "   0: 0100007F:EBD5 00000000:0000 0A 00000000:00000000\n";
        assert!(parse_inet_table(text, InetTable::Tcp, HostByteOrder::Little).is_empty());
    }

    #[test]
    fn unix_lines_give_type_state_and_path() {
        let sockets = parse_unix_table(UNIX);
        assert_eq!(sockets.len(), 5, "the header is skipped");
        let by_inode = |inode: u64| {
            sockets
                .iter()
                .find(|(found, _)| *found == inode)
                .map(|(_, socket)| socket.clone())
                .expect("listed")
        };
        assert_eq!(
            by_inode(30827),
            UnixSocket {
                socket_type: UnixType::SeqPacket,
                state: "CONNECTED",
                path: None
            }
        );
        assert_eq!(by_inode(30826).socket_type, UnixType::Stream);
        assert_eq!(
            by_inode(30823),
            UnixSocket {
                socket_type: UnixType::Stream,
                state: "LISTEN",
                path: Some("/tmp/h12.sock".to_owned())
            }
        );
        assert_eq!(
            by_inode(30824),
            UnixSocket {
                socket_type: UnixType::Datagram,
                state: "UNCONNECTED",
                path: Some("@h12-abstract".to_owned())
            }
        );
        assert_eq!(
            by_inode(30829).path.as_deref(),
            Some("/run/my app/ctl.sock"),
            "a path with a space is kept whole"
        );
    }

    #[test]
    fn netlink_lines_give_the_protocol() {
        let sockets = parse_netlink_table(NETLINK);
        assert_eq!(
            sockets,
            vec![
                (4, NetlinkSocket { protocol: 0 }),
                (1430, NetlinkSocket { protocol: 4 })
            ]
        );
        assert_eq!(sockets[0].1.protocol_name(), "route");
        assert_eq!(
            NetlinkSocket { protocol: 99 }.protocol_name(),
            "protocol 99"
        );
    }

    #[test]
    fn tcp_states_have_their_usual_names() {
        assert_eq!(tcp_state_name(0x0A), "LISTEN");
        assert_eq!(tcp_state_name(0x08), "CLOSE_WAIT");
        assert_eq!(tcp_state_name(0x06), "TIME_WAIT");
        assert_eq!(tcp_state_name(0xEE), "UNKNOWN_STATE");
    }
}
