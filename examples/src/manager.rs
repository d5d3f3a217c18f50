//! A connection manager whose per-connection bookkeeping is never pruned.
//!
//! **Incident shape.** The same service had both leaks at once: its
//! connection manager remembered every closed connection id in a set, and each
//! connection subscribed a handler to the manager's events that stayed
//! registered after the connection closed. Every connect/disconnect cycle left
//! an id, a handler, and the per-connection statistics the handler captured.
//!
//! **Fix.** Closing a connection is the moment to forget it: remove it from
//! the open map, remove its handlers, and keep no closed-id set (a closed id is
//! one below `next_id` that is not open).
//!
//! The manager dispatches events inline ([`ConnectionManager::new_pruned`]) or
//! through an event-pump task ([`ConnectionManager::start_pruned`], an async
//! constructor), so the same bookkeeping can be tested with a sync and an
//! async `setup`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Something that happened to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// The connection was accepted.
    Opened(u64),
    /// A message of `bytes` bytes arrived on the connection.
    Message {
        /// The connection.
        id: u64,
        /// Size of the message.
        bytes: u64,
    },
    /// The connection was closed.
    Closed(u64),
}

impl ConnectionEvent {
    /// The connection the event is about.
    pub fn connection(&self) -> u64 {
        match *self {
            ConnectionEvent::Opened(id)
            | ConnectionEvent::Message { id, .. }
            | ConnectionEvent::Closed(id) => id,
        }
    }
}

/// A handler registered for one connection's events.
type Subscriber = Box<dyn Fn(&ConnectionEvent) + Send>;

/// Statistics a connection's handler accumulates.
#[derive(Debug, Default)]
struct ConnectionStats {
    messages: AtomicU64,
    bytes: AtomicU64,
}

#[derive(Debug)]
struct Connection {
    peer: String,
    stats: Arc<ConnectionStats>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    open: HashMap<u64, Connection>,
    closed: HashSet<u64>,
    subscribers: Vec<(u64, Subscriber)>,
    events_dispatched: u64,
}

impl State {
    fn dispatch(&mut self, event: &ConnectionEvent) {
        self.events_dispatched += 1;
        for (connection, subscriber) in &self.subscribers {
            if *connection == event.connection() {
                subscriber(event);
            }
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking subscriber poisons the lock; the bookkeeping is still valid.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether closing a connection forgets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pruning {
    /// LEAKY: the id goes into `closed`, the handler stays registered.
    Never,
    /// FIXED: the connection, its handler and its id are all forgotten.
    OnClose,
}

/// An event on its way to the pump, with the sender to acknowledge it.
type PumpMessage = (ConnectionEvent, oneshot::Sender<()>);

/// The event-pump task of an async-started manager.
struct Pump {
    events: mpsc::UnboundedSender<PumpMessage>,
    task: JoinHandle<()>,
}

/// Accepts, tracks and closes connections, dispatching their events to the
/// handlers connections subscribe.
pub struct ConnectionManager {
    state: Arc<Mutex<State>>,
    pruning: Pruning,
    pump: Option<Pump>,
}

impl ConnectionManager {
    /// LEAKY: dispatches inline; never prunes closed connections.
    pub fn new_unpruned() -> Self {
        Self::inline(Pruning::Never)
    }

    /// FIXED: dispatches inline; forgets a connection when it closes.
    pub fn new_pruned() -> Self {
        Self::inline(Pruning::OnClose)
    }

    /// LEAKY: starts an event-pump task; never prunes closed connections.
    pub async fn start_unpruned() -> Self {
        Self::with_pump(Pruning::Never).await
    }

    /// FIXED: starts an event-pump task; forgets a connection when it closes.
    pub async fn start_pruned() -> Self {
        Self::with_pump(Pruning::OnClose).await
    }

    fn inline(pruning: Pruning) -> Self {
        ConnectionManager {
            state: Arc::new(Mutex::new(State::default())),
            pruning,
            pump: None,
        }
    }

    async fn with_pump(pruning: Pruning) -> Self {
        let mut manager = Self::inline(pruning);
        let (events, mut inbox) = mpsc::unbounded_channel::<PumpMessage>();
        let state = Arc::clone(&manager.state);
        let task = tokio::spawn(async move {
            while let Some((event, ack)) = inbox.recv().await {
                lock(&state).dispatch(&event);
                let _ = ack.send(());
            }
        });
        manager.pump = Some(Pump { events, task });
        // Make sure the pump is running before the first connection.
        manager.dispatch(ConnectionEvent::Opened(u64::MAX)).await;
        manager
    }

    async fn dispatch(&self, event: ConnectionEvent) {
        match &self.pump {
            None => lock(&self.state).dispatch(&event),
            Some(pump) => {
                let (ack, acked) = oneshot::channel();
                if pump.events.send((event, ack)).is_ok() {
                    // An error means the pump is gone; the event is lost either way.
                    let _ = acked.await;
                }
            }
        }
    }

    /// Accepts a connection and subscribes its statistics handler.
    pub async fn accept(&self) -> u64 {
        let id = {
            let mut state = lock(&self.state);
            let id = state.next_id;
            state.next_id += 1;
            let stats = Arc::new(ConnectionStats::default());
            let handler_stats = Arc::clone(&stats);
            state.subscribers.push((
                id,
                Box::new(move |event| {
                    if let ConnectionEvent::Message { bytes, .. } = event {
                        handler_stats.messages.fetch_add(1, Ordering::Relaxed);
                        handler_stats.bytes.fetch_add(*bytes, Ordering::Relaxed);
                    }
                }),
            ));
            let peer = format!("10.1.{}.{}:443", (id >> 8) & 0xff, id & 0xff);
            state.open.insert(id, Connection { peer, stats });
            id
        };
        self.dispatch(ConnectionEvent::Opened(id)).await;
        id
    }

    /// Delivers a message on connection `id`.
    pub async fn receive(&self, id: u64, bytes: u64) {
        self.dispatch(ConnectionEvent::Message { id, bytes }).await;
    }

    /// Closes connection `id`; returns the messages it received (`None` if it
    /// was not open).
    pub async fn close(&self, id: u64) -> Option<u64> {
        self.dispatch(ConnectionEvent::Closed(id)).await;
        let mut state = lock(&self.state);
        let connection = state.open.remove(&id)?;
        match self.pruning {
            Pruning::Never => {
                state.closed.insert(id);
            }
            Pruning::OnClose => state.subscribers.retain(|(conn, _)| *conn != id),
        }
        Some(connection.stats.messages.load(Ordering::Relaxed))
    }

    /// One client's life: connect, exchange a message, disconnect.
    pub async fn connect_and_close(&mut self) -> Option<u64> {
        let id = self.accept().await;
        tokio::task::yield_now().await;
        self.receive(id, 64).await;
        self.close(id).await
    }

    /// Open connections.
    pub fn open_connections(&self) -> usize {
        lock(&self.state).open.len()
    }

    /// Handlers still registered.
    pub fn subscribers(&self) -> usize {
        lock(&self.state).subscribers.len()
    }

    /// Closed ids remembered.
    pub fn remembered_closed(&self) -> usize {
        lock(&self.state).closed.len()
    }

    /// The peer address of an open connection.
    pub fn peer(&self, id: u64) -> Option<String> {
        lock(&self.state).open.get(&id).map(|c| c.peer.clone())
    }

    /// Events dispatched so far.
    pub fn events_dispatched(&self) -> u64 {
        lock(&self.state).events_dispatched
    }
}

impl Drop for ConnectionManager {
    fn drop(&mut self) {
        if let Some(pump) = self.pump.take() {
            pump.task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn exercise(mut manager: ConnectionManager) -> (usize, usize) {
        for _ in 0..3 {
            assert_eq!(manager.connect_and_close().await, Some(1));
        }
        let id = manager.accept().await;
        assert!(manager.peer(id).is_some());
        assert_eq!(manager.close(id).await, Some(0));
        assert_eq!(manager.close(id).await, None);
        assert_eq!(manager.open_connections(), 0);
        assert!(manager.events_dispatched() >= 12);
        (manager.subscribers(), manager.remembered_closed())
    }

    #[tokio::test]
    async fn only_pruning_managers_forget_closed_connections() {
        assert_eq!(exercise(ConnectionManager::new_unpruned()).await, (4, 4));
        assert_eq!(exercise(ConnectionManager::new_pruned()).await, (0, 0));
        assert_eq!(
            exercise(ConnectionManager::start_unpruned().await).await,
            (4, 4)
        );
        assert_eq!(
            exercise(ConnectionManager::start_pruned().await).await,
            (0, 0)
        );
    }
}
