//! File and socket handles that are never closed.
//!
//! **Incident shape.** A test suite started an HTTP server per test and
//! "closed" it through a mocked `close()` that did nothing; dozens of servers
//! piled up until the run died. In production code the same shape is a handle
//! parked somewhere "to close later" (a registry, a `mem::forget` to hand it to
//! code that was supposed to own it) that nobody ever closes. Each one costs a
//! file descriptor; the process dies at the descriptor limit long before memory
//! is short.
//!
//! **Fix.** Let ownership close the handle: keep the `File`/`TcpListener` in a
//! value that is dropped when its work is done.

use std::fs::File;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;

/// Reads up to 16 bytes from the start of `file` into `header`.
fn read_header(file: &mut File, header: &mut [u8; 16]) -> io::Result<usize> {
    file.read(header)
}

/// LEAKY: reads the file's header, then `mem::forget`s the handle (as code
/// does that hands a handle to "someone else" who never closes it).
pub fn sniff_header_forgetting_handle(path: &Path) -> io::Result<usize> {
    let mut file = File::open(path)?;
    let mut header = [0u8; 16];
    let read = read_header(&mut file, &mut header)?;
    std::mem::forget(file);
    Ok(read)
}

/// FIXED: the same read; the `File` is dropped, closing the descriptor.
pub fn sniff_header(path: &Path) -> io::Result<usize> {
    let mut file = File::open(path)?;
    let mut header = [0u8; 16];
    read_header(&mut file, &mut header)
}

/// A throwaway server for a test: a listener on an ephemeral local port.
#[derive(Debug)]
pub struct TestServer {
    listener: TcpListener,
}

impl TestServer {
    /// Binds `127.0.0.1:0`.
    pub fn start() -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        Ok(TestServer { listener })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Connects a client, accepts it, and closes both ends.
    pub fn roundtrip(&self) -> io::Result<SocketAddr> {
        let client = TcpStream::connect(self.addr()?)?;
        let (server_side, peer) = self.listener.accept()?;
        drop(server_side);
        drop(client);
        Ok(peer)
    }
}

/// LEAKY: a fixture whose `stop` is a no-op and keeps every server it started,
/// like a test helper with a mocked `close()`.
#[derive(Debug, Default)]
pub struct NeverClosingFixture {
    started: Vec<TestServer>,
}

impl NeverClosingFixture {
    /// A fixture with no servers.
    pub fn new() -> Self {
        Self::default()
    }

    /// One test: start a server, use it, "stop" it (the listener stays open).
    pub fn run_one_test(&mut self) -> io::Result<SocketAddr> {
        let server = TestServer::start()?;
        let peer = server.roundtrip()?;
        self.stop(server);
        Ok(peer)
    }

    /// The mocked stop: parks the server instead of closing it.
    fn stop(&mut self, server: TestServer) {
        self.started.push(server);
    }

    /// Servers started and still open.
    pub fn open_servers(&self) -> usize {
        self.started.len()
    }
}

/// FIXED: one test that starts a server, uses it, and drops it.
pub fn run_one_test_and_close() -> io::Result<SocketAddr> {
    let server = TestServer::start()?;
    server.roundtrip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fixtures_serve_a_roundtrip() -> io::Result<()> {
        let mut fixture = NeverClosingFixture::new();
        fixture.run_one_test()?;
        assert_eq!(fixture.open_servers(), 1);
        run_one_test_and_close()?;
        Ok(())
    }

    #[test]
    fn sniffing_reads_at_most_sixteen_bytes() -> io::Result<()> {
        let path = std::env::current_exe()?;
        assert_eq!(sniff_header(&path)?, 16);
        Ok(())
    }
}
