//! Connection reuse: one client keeps one TCP connection for sequential
//! calls.

mod support;

use support::{golden, page_backend, KeepAliveServer};

#[tokio::test]
async fn a_hundred_sequential_calls_use_one_connection() {
    let server = KeepAliveServer::start(200, &golden().response);
    let client = support::client(&server.base_url());
    for _ in 0..100 {
        client
            .update_backend("42", "my-backend", page_backend())
            .await
            .unwrap();
    }
    assert_eq!(server.connections(), 1);
}

/// Clones share the pool.
#[tokio::test]
async fn clones_share_the_connection() {
    let server = KeepAliveServer::start(200, &golden().response);
    let client = support::client(&server.base_url());
    for _ in 0..10 {
        let clone = client.clone();
        clone
            .update_backend("42", "my-backend", page_backend())
            .await
            .unwrap();
    }
    assert_eq!(server.connections(), 1);
}
