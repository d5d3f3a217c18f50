//! A task waiting on a channel whose sender is kept forever.
//!
//! **Incident shape.** Fire-and-forget tasks: a session spawned a consumer
//! task that loops `while let Some(cmd) = rx.recv().await`, and a registry
//! kept the session's sender "to broadcast to it later". The loop ends only
//! when every sender is gone, so each finished session left a task parked on
//! an empty channel, with its buffers, forever.
//!
//! **Fix.** Closing a session drops its sender, so the consumer's `recv()`
//! returns `None` and the task ends; then await the task's handle.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Commands a session's consumer understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Append bytes to the session's transcript.
    Write(Vec<u8>),
    /// Clear the transcript.
    Reset,
}

/// Capacity of each session's command channel.
const QUEUE: usize = 16;

fn spawn_consumer() -> (mpsc::Sender<Command>, JoinHandle<usize>) {
    let (commands, mut inbox) = mpsc::channel::<Command>(QUEUE);
    let consumer = tokio::spawn(async move {
        let mut transcript: Vec<u8> = Vec::new();
        while let Some(command) = inbox.recv().await {
            match command {
                Command::Write(bytes) => transcript.extend_from_slice(&bytes),
                Command::Reset => transcript.clear(),
            }
        }
        transcript.len()
    });
    (commands, consumer)
}

/// LEAKY: keeps every session's sender for a broadcast that never comes.
#[derive(Debug, Default)]
pub struct SessionRegistry {
    senders: Vec<mpsc::Sender<Command>>,
}

impl SessionRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// One session: start a consumer, send it a write, "close" the session
    /// while the registry keeps the sender, so the consumer never ends.
    pub async fn run_session(&mut self, session: u64) -> bool {
        let (commands, _consumer) = spawn_consumer();
        let sent = commands
            .send(Command::Write(session.to_le_bytes().to_vec()))
            .await
            .is_ok();
        self.senders.push(commands);
        sent
    }

    /// Senders held (one parked consumer task each).
    pub fn parked_sessions(&self) -> usize {
        self.senders.len()
    }
}

/// FIXED: a session that owns its sender and consumer and ends both.
#[derive(Debug)]
pub struct Session {
    commands: mpsc::Sender<Command>,
    consumer: JoinHandle<usize>,
}

impl Session {
    /// Starts the consumer task (must be called in a runtime).
    pub fn open() -> Self {
        let (commands, consumer) = spawn_consumer();
        Session { commands, consumer }
    }

    /// Sends a command; `false` if the consumer is gone.
    pub async fn send(&self, command: Command) -> bool {
        self.commands.send(command).await.is_ok()
    }

    /// Drops the sender so the consumer ends, then waits for it; returns the
    /// transcript length (`None` if the consumer panicked).
    pub async fn close(self) -> Option<usize> {
        let Session { commands, consumer } = self;
        drop(commands);
        consumer.await.ok()
    }
}

/// FIXED: one session: open, send a write, close.
pub async fn run_session(session: u64) -> Option<usize> {
    let session_handle = Session::open();
    session_handle
        .send(Command::Write(session.to_le_bytes().to_vec()))
        .await;
    session_handle.close().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_session_reports_its_transcript() {
        assert_eq!(run_session(3).await, Some(8));
        let session = Session::open();
        assert!(session.send(Command::Write(vec![1, 2])).await);
        assert!(session.send(Command::Reset).await);
        assert_eq!(session.close().await, Some(0));
    }

    #[tokio::test]
    async fn the_registry_keeps_senders() {
        let mut registry = SessionRegistry::new();
        assert!(registry.run_session(1).await);
        assert_eq!(registry.parked_sessions(), 1);
    }
}
