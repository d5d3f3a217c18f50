//! The baseline of `benches/real_test.rs`: one process that calls the same
//! body as plain code would: `plain_body ITERATIONS [TIMES]` runs
//! [`leaktest_benches::realistic_body_repeated`] `ITERATIONS` times (default
//! 100), each doing the body `TIMES` times over (default 1).

fn main() {
    let mut arguments = std::env::args()
        .skip(1)
        .map(|text| text.parse::<u64>().ok());
    let iterations = arguments.next().flatten().unwrap_or(100);
    let times = arguments.next().flatten().unwrap_or(1);
    for round in 0..iterations {
        if let Err(message) = leaktest_benches::realistic_body_repeated(round, times) {
            eprintln!("round {round}: {message}");
            std::process::exit(1);
        }
    }
}
