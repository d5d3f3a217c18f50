//! Every valid form of `#[leak_test]` compiles.

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

fn main() {}
