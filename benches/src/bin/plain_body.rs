//! The baseline of `benches/real_test.rs`: one process that calls the same
//! body as plain code would, `N` times (first argument, default 100).

fn main() {
    let iterations: u64 = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(100);
    for round in 0..iterations {
        if let Err(message) = leaktest_benches::realistic_body(round) {
            eprintln!("round {round}: {message}");
            std::process::exit(1);
        }
    }
}
