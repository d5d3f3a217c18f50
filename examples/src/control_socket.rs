//! Sessions of a unix-socket server that are never removed on disconnect.
//!
//! **Incident shape.** A local control daemon (the kind that listens on
//! `/run/<app>/control.sock` for a CLI) kept every accepted connection in a
//! session table so that it could broadcast events to attached clients. A
//! session was removed only when a broadcast to it failed, and most clients
//! (one-shot CLI calls) disconnected before any broadcast: the table, and the
//! descriptors in it, grew with every CLI call until the daemon hit its
//! descriptor limit and refused new connections.
//!
//! **Fix.** Answer the request and let the connection go (or keep sessions only
//! for clients that subscribed, and drop them when a read returns end of file).

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// A control server listening on a unix socket.
#[derive(Debug)]
pub struct ControlServer {
    listener: UnixListener,
    path: PathBuf,
    /// Connections kept as sessions (LEAKY servers only).
    sessions: Vec<UnixStream>,
    keep_sessions: bool,
}

impl ControlServer {
    /// FIXED: a server that closes each connection once it has answered.
    pub fn bind(path: &Path) -> io::Result<ControlServer> {
        Self::bind_with(path, false)
    }

    /// LEAKY: a server that keeps every connection as a session, forever.
    pub fn bind_keeping_sessions(path: &Path) -> io::Result<ControlServer> {
        Self::bind_with(path, true)
    }

    fn bind_with(path: &Path, keep_sessions: bool) -> io::Result<ControlServer> {
        Ok(ControlServer {
            listener: UnixListener::bind(path)?,
            path: path.to_owned(),
            sessions: Vec::new(),
            keep_sessions,
        })
    }

    /// Accepts one connection, reads one command line and answers it.
    pub fn serve_one(&mut self) -> io::Result<()> {
        let (connection, _) = self.listener.accept()?;
        let mut command = String::new();
        BufReader::new(&connection).read_line(&mut command)?;
        let mut reply = &connection;
        match command.trim() {
            "status" => reply.write_all(b"ok\n")?,
            other => writeln!(reply, "unknown command {other:?}")?,
        }
        if self.keep_sessions {
            self.sessions.push(connection);
        }
        Ok(())
    }

    /// One CLI call: connect, send `command`, let the server answer, read the
    /// reply, disconnect.
    pub fn call(&mut self, command: &str) -> io::Result<String> {
        let mut client = UnixStream::connect(&self.path)?;
        writeln!(client, "{command}")?;
        self.serve_one()?;
        let mut reply = String::new();
        BufReader::new(&client).read_line(&mut reply)?;
        Ok(reply.trim_end().to_owned())
    }

    /// Sessions the server still holds.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket_path(name: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "leaktest-example-{}-{name}.sock",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn both_servers_answer_and_only_the_leaky_one_keeps_sessions() -> io::Result<()> {
        let fixed_path = socket_path("fixed");
        let mut fixed = ControlServer::bind(&fixed_path)?;
        assert_eq!(fixed.call("status")?, "ok");
        assert_eq!(fixed.sessions(), 0);
        let leaky_path = socket_path("leaky");
        let mut leaky = ControlServer::bind_keeping_sessions(&leaky_path)?;
        assert_eq!(leaky.call("status")?, "ok");
        assert_eq!(leaky.call("nope")?, "unknown command \"nope\"");
        assert_eq!(leaky.sessions(), 2);
        std::fs::remove_file(fixed_path)?;
        std::fs::remove_file(leaky_path)?;
        Ok(())
    }
}
