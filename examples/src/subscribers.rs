//! Event subscribers that are never removed.
//!
//! **Incident shape.** Services subscribed to an event bus when they started
//! (`bus.subscribe(EventType, self.on_event)`), but nothing unsubscribed them
//! on shutdown. Each handler closure captured its service, so every restarted
//! service stayed alive inside the bus's subscriber list, and every published
//! event ran the handlers of services long gone.
//!
//! **Fix.** `subscribe` returns a [`SubscriptionId`]; the service keeps it and
//! hands it back to [`EventBus::unsubscribe`] when it stops.

use std::cell::RefCell;
use std::rc::Rc;

/// An event published on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A user signed in.
    SignedIn {
        /// The user's id.
        user: u64,
    },
    /// The configuration was reloaded.
    ConfigReloaded,
}

/// A registered handler.
pub type Handler = Box<dyn Fn(&Event)>;

/// Identifies one subscription, to remove it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionId(u64);

/// A single-threaded publish/subscribe bus.
#[derive(Default)]
pub struct EventBus {
    next_id: u64,
    subscribers: Vec<(SubscriptionId, Handler)>,
}

impl EventBus {
    /// A bus with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for every event; keep the id to unsubscribe.
    pub fn subscribe(&mut self, handler: Handler) -> SubscriptionId {
        let id = SubscriptionId(self.next_id);
        self.next_id += 1;
        self.subscribers.push((id, handler));
        id
    }

    /// Removes a subscription; returns whether it was registered.
    pub fn unsubscribe(&mut self, id: SubscriptionId) -> bool {
        let before = self.subscribers.len();
        self.subscribers.retain(|(sub, _)| *sub != id);
        self.subscribers.len() != before
    }

    /// Runs every handler on `event`; returns how many ran.
    pub fn publish(&self, event: &Event) -> usize {
        for (_, handler) in &self.subscribers {
            handler(event);
        }
        self.subscribers.len()
    }

    /// Handlers currently registered.
    pub fn subscriber_count(&self) -> usize {
        self.subscribers.len()
    }
}

/// What an audit service accumulates while it runs.
#[derive(Debug, Default)]
pub struct AuditLog {
    /// The service's name, as it appears in its log lines.
    pub service: String,
    /// Sign-ins seen.
    pub sign_ins: u64,
}

/// A service that counts sign-ins while it runs.
pub struct AuditService {
    log: Rc<RefCell<AuditLog>>,
    subscription: SubscriptionId,
}

impl AuditService {
    /// Starts the service: subscribes a handler that captures its log.
    pub fn start(bus: &mut EventBus, name: &str) -> Self {
        let log = Rc::new(RefCell::new(AuditLog {
            service: name.to_owned(),
            sign_ins: 0,
        }));
        let captured = Rc::clone(&log);
        let subscription = bus.subscribe(Box::new(move |event| {
            if let Event::SignedIn { .. } = event {
                captured.borrow_mut().sign_ins += 1;
            }
        }));
        AuditService { log, subscription }
    }

    /// Sign-ins seen so far.
    pub fn sign_ins(&self) -> u64 {
        self.log.borrow().sign_ins
    }

    /// LEAKY: stops the service but leaves its handler (and, through the
    /// closure, its whole log) registered on the bus.
    pub fn stop_without_unsubscribing(self, _bus: &mut EventBus) -> u64 {
        self.sign_ins()
    }

    /// FIXED: stops the service and removes its handler.
    pub fn stop(self, bus: &mut EventBus) -> u64 {
        bus.unsubscribe(self.subscription);
        self.sign_ins()
    }
}

/// LEAKY: one service lifetime (start, see one sign-in, stop) that forgets to
/// unsubscribe.
pub fn service_lifetime_without_unsubscribe(bus: &mut EventBus) -> u64 {
    let service = AuditService::start(bus, "audit");
    bus.publish(&Event::SignedIn { user: 7 });
    service.stop_without_unsubscribing(bus)
}

/// FIXED: the same lifetime, unsubscribing on stop.
pub fn service_lifetime(bus: &mut EventBus) -> u64 {
    let service = AuditService::start(bus, "audit");
    bus.publish(&Event::SignedIn { user: 7 });
    service.stop(bus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fixed_lifetime_leaves_the_bus_empty() {
        let mut bus = EventBus::new();
        assert_eq!(service_lifetime(&mut bus), 1);
        assert_eq!(bus.subscriber_count(), 0);
        service_lifetime_without_unsubscribe(&mut bus);
        service_lifetime_without_unsubscribe(&mut bus);
        assert_eq!(bus.subscriber_count(), 2);
        assert_eq!(bus.publish(&Event::ConfigReloaded), 2);
    }
}
