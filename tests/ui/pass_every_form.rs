//! Every valid form of `#[leak_test]` compiles and registers its test with the
//! configuration written in the attribute.

use leaktest_core::leak_test;

pub struct Server {
    connections: Vec<u32>,
}

impl Server {
    pub async fn start() -> Server {
        Server {
            connections: Vec::new(),
        }
    }

    pub async fn connect_and_close(&mut self) {
        self.connections.push(1);
        self.connections.pop();
    }
}

pub struct Cache {
    keys: Vec<u64>,
}

impl Cache {
    pub fn new() -> Cache {
        Cache { keys: Vec::new() }
    }

    pub fn insert_new_key(&mut self) {
        self.keys.push(self.keys.len() as u64);
    }
}

fn sync_state() -> Vec<u8> {
    Vec::new()
}

pub struct Lru {
    capacity: usize,
    keys: Vec<u64>,
}

impl Lru {
    pub fn new(capacity: usize) -> Lru {
        Lru {
            capacity,
            keys: Vec::new(),
        }
    }

    pub fn insert(&mut self, key: u64) {
        if self.keys.len() == self.capacity {
            self.keys.remove(0);
        }
        self.keys.push(key);
    }
}

#[leak_test]
fn a() {
    let _ = format!("{}", 1);
}

#[leak_test(iterations = 200, warmup = 20)]
fn b() -> Result<(), String> {
    Ok(())
}

#[leak_test(iterations = 50, should_leak)]
fn c() {
    std::mem::forget(vec![0u8; 16]);
}

#[leak_test(ignore = "needs a database")]
fn d() {}

#[leak_test(ignore)]
fn d_bare() {}

#[leak_test(timeout = "30s", settle = "200ms")]
fn e() {}

#[leak_test(timeout = "2m", settle = "0ms", warmup = 99)]
fn e_minutes() {}

#[leak_test(memory_limit = "512 MiB")]
fn e_memory_limit() {}

#[leak_test(iterations = 100)]
async fn f() {
    tokio_free_yield().await;
}

#[leak_test(iterations = 100, flavor = "multi_thread", worker_threads = 2)]
async fn g() {}

#[leak_test(flavor = "multi_thread")]
async fn g_default_workers() {}

#[leak_test(flavor = "current_thread")]
async fn g_current_thread() -> Result<(), std::io::Error> {
    Ok(())
}

#[leak_test(iterations = 500, setup = Server::start)]
async fn h(server: &mut Server) {
    server.connect_and_close().await;
}

#[leak_test(setup = sync_state)]
async fn h_sync_setup(state: &mut Vec<u8>) -> Result<(), String> {
    state.clear();
    Ok(())
}

#[leak_test(iterations = 200, setup = Cache::new)]
fn i(cache: &mut Cache) {
    cache.insert_new_key();
}

#[leak_test(setup = sync_state)]
fn i_shared(state: &Vec<u8>) {
    let _ = state.len();
}

#[leak_test(
    max_peak = "24 MiB",
    max_growth = "64 B",
    max_blocks_growth = 1,
    max_native_growth = "2 KiB",
    max_fds_growth = 1,
    max_threads_growth = 0,
    max_children_growth = 0,
    max_tasks_growth = 2,
    max_alloc_per_iter = "4 KB",
    max_allocs_per_iter = 12
)]
async fn j_budgets() {}

#[leak_test(max_peak = 1048576, max_alloc_per_iter = "1.5 KiB")]
fn j_bare_bytes() {}

// `setup` as a closure, to build the state with arguments.
#[leak_test(setup = || Lru::new(64))]
fn k_closure(lru: &mut Lru) {
    lru.insert(1);
}

#[leak_test(iterations = 50, setup = move || async move { Server::start().await })]
async fn k_closure_returning_a_future(server: &mut Server) {
    server.connect_and_close().await;
}

#[leak_test(setup = async || Server::start().await)]
async fn k_async_closure(server: &mut Server) {
    server.connect_and_close().await;
}

#[leak_test(setup = (|| Lru::new(8)))]
fn k_parenthesised_closure(lru: &mut Lru) {
    lru.insert(2);
}

// Names the expansion also uses internally must not clash with the test's.
#[leak_test(setup = sync_state)]
fn driver(state: &mut Vec<u8>) {
    state.clear();
}

/// Doc comments and other attributes stay on the function.
#[leak_test]
#[allow(unused_variables)]
fn state() {}

mod nested {
    use leaktest_core::leak_test;

    #[leak_test]
    pub fn r#loop() {}
}

async fn tokio_free_yield() {}

fn main() {
    use leaktest_core::__private::{all_tests, Budget, Flavor, Resource};

    let tests = all_tests();
    let names: Vec<String> = tests.iter().map(|test| test.full_name()).collect();
    assert_eq!(
        names,
        [
            "a",
            "b",
            "c",
            "d",
            "d_bare",
            "driver",
            "e",
            "e_memory_limit",
            "e_minutes",
            "f",
            "g",
            "g_current_thread",
            "g_default_workers",
            "h",
            "h_sync_setup",
            "i",
            "i_shared",
            "j_bare_bytes",
            "j_budgets",
            "k_async_closure",
            "k_closure",
            "k_closure_returning_a_future",
            "k_parenthesised_closure",
            "nested::loop",
            "state",
        ]
    );
    let config = |name: &str| {
        let test = tests.iter().find(|test| test.full_name() == name);
        test.expect("registered").config
    };

    let b = config("b");
    assert_eq!((b.iterations, b.warmup), (Some(200), Some(20)));
    assert!(config("c").should_leak);
    assert_eq!(config("d").ignore, Some("needs a database"));
    assert_eq!(config("d_bare").ignore, Some(""));
    let e = config("e");
    assert_eq!((e.timeout_ms, e.settle_ms), (Some(30_000), Some(200)));
    assert_eq!(config("e_minutes").timeout_ms, Some(120_000));
    assert_eq!(config("e_memory_limit").memory_limit_bytes, Some(512 << 20));
    assert_eq!(config("e").settings().memory_limit_bytes, 2 << 30, "the default");
    assert_eq!(config("a").runtime, None);
    assert_eq!(config("f").runtime, Some(Flavor::CurrentThread));
    let g = config("g");
    assert_eq!((g.runtime, g.worker_threads), (Some(Flavor::MultiThread), Some(2)));
    let g_default_workers = config("g_default_workers");
    assert_eq!(
        (g_default_workers.runtime, g_default_workers.worker_threads),
        (Some(Flavor::MultiThread), None)
    );
    let settings = g.settings();
    assert_eq!(
        (settings.runtime, settings.worker_threads),
        (Some(Flavor::MultiThread), Some(2))
    );
    assert!(config("h").has_setup && config("i").has_setup && !config("a").has_setup);
    assert!(config("k_closure").has_setup && config("k_async_closure").has_setup);
    assert_eq!(config("k_closure_returning_a_future").iterations, Some(50));
    assert_eq!(
        config("j_budgets").budgets,
        [
            (Budget::Peak, 24 << 20),
            (Budget::Growth(Resource::HeapBytes), 64),
            (Budget::Growth(Resource::HeapBlocks), 1),
            (Budget::Growth(Resource::NativeHeapBytes), 2048),
            (Budget::Growth(Resource::Fds), 1),
            (Budget::Growth(Resource::Threads), 0),
            (Budget::Growth(Resource::ChildProcesses), 0),
            (Budget::Growth(Resource::TokioTasks), 2),
            (Budget::AllocationBytesPerIteration, 4000),
            (Budget::AllocationsPerIteration, 12),
        ]
    );
    assert_eq!(
        config("j_bare_bytes").budgets,
        [(Budget::Peak, 1 << 20), (Budget::AllocationBytesPerIteration, 1536)]
    );
    assert!(config("a").budgets.is_empty());
}
