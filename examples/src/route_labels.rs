//! Metric labels interned per request path, next to route tables built on
//! first use.
//!
//! **Incident shape.** A metrics layer wanted `&'static str` label values, so
//! it interned the path of each request with `Box::leak`. Paths carry ids
//! (`/users/1234/orders`): every new id interned a new label, and the service
//! grew by a few dozen bytes per request, forever. A heap profile of it also
//! shows the route tables, built once on first use (the admin one only when
//! the first admin request arrives, well into the run): memory that stays, but
//! does not grow. Only the interned labels do.
//!
//! **Fix.** Label a request by the route it matched (`/users/{id}/orders`):
//! the patterns are static, so the set of labels is bounded.

use std::sync::OnceLock;

/// A route: its label, and the fixed segments a path must have (`None` where
/// any segment matches, such as an id).
#[derive(Debug)]
struct Route {
    pattern: &'static str,
    segments: Vec<Option<String>>,
}

impl Route {
    fn parse(pattern: &'static str) -> Route {
        let segments = pattern
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| (!segment.starts_with('{')).then(|| segment.to_owned()))
            .collect();
        Route { pattern, segments }
    }

    fn matches(&self, path: &str) -> bool {
        let mut segments = path.split('/').filter(|segment| !segment.is_empty());
        let mut expected = self.segments.iter();
        loop {
            match (segments.next(), expected.next()) {
                (None, None) => return true,
                (Some(segment), Some(Some(fixed))) if segment == fixed => {}
                (Some(_), Some(None)) => {}
                _ => return false,
            }
        }
    }
}

/// The public routes, parsed on first use and kept for the process's life.
fn user_routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        [
            "/users/{id}",
            "/users/{id}/orders",
            "/orders/{id}",
            "/health",
        ]
        .into_iter()
        .map(Route::parse)
        .collect()
    })
}

/// The admin routes, parsed when the first admin request arrives.
fn admin_routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        ["/admin/audit/{id}", "/admin/users/{id}", "/admin/reload"]
            .into_iter()
            .map(Route::parse)
            .collect()
    })
}

/// The route `path` matches, if any.
fn matching_route(path: &str) -> Option<&'static Route> {
    let routes = if path.starts_with("/admin/") {
        admin_routes()
    } else {
        user_routes()
    };
    routes.iter().find(|route| route.matches(path))
}

/// The path of the `n`th request of a sample of traffic: a user's orders,
/// and every sixteenth request an admin audit.
pub fn sample_request_path(n: u64) -> String {
    if n % 16 == 15 {
        format!("/admin/audit/{n}")
    } else {
        format!("/users/{n}/orders")
    }
}

/// LEAKY: the metric label of a request is its path, interned forever.
pub fn request_label_leaked(path: &str) -> &'static str {
    match matching_route(path) {
        Some(_) => Box::leak(path.to_owned().into_boxed_str()),
        None => "other",
    }
}

/// FIXED: the metric label of a request is the pattern of its route.
pub fn request_label(path: &str) -> &'static str {
    matching_route(path).map_or("other", |route| route.pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_labelled_by_route() {
        assert_eq!(request_label("/users/7/orders"), "/users/{id}/orders");
        assert_eq!(request_label("/admin/audit/15"), "/admin/audit/{id}");
        assert_eq!(request_label("/nowhere"), "other");
        assert_eq!(request_label_leaked("/users/7"), "/users/7");
        assert_eq!(sample_request_path(15), "/admin/audit/15");
        assert_eq!(sample_request_path(3), "/users/3/orders");
    }
}
