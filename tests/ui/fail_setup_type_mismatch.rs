use leaktest_core::leak_test;

pub struct Server;
pub struct Cache;

impl Cache {
    pub fn new() -> Cache {
        Cache
    }
}

impl Server {
    pub async fn start() -> Server {
        Server
    }
}

#[leak_test(setup = Cache::new)]
fn sync_mismatch(server: &mut Server) {
    let _ = server;
}

#[leak_test(setup = Cache::new)]
async fn async_mismatch(server: &mut Server) {
    let _ = server;
}

#[leak_test(setup = Server::start)]
async fn async_setup_mismatch(cache: &mut Cache) {
    let _ = cache;
}

fn main() {}
