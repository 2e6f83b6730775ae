//! Issue 29's store: the accounts' buckets of failed logins, charged from two handles on one
//! throwaway PostgreSQL (two server instances) and on SQLite, through the public API the gate
//! uses. However many charges race, no bucket takes more than it has room for.

mod common;

use cti_server::security::AccountLimit;
use cti_server::store::{Store, sqlite_url};

/// 10 an hour: a stranger's charges fill four failures of the bucket, then wait 12 minutes.
fn limit() -> AccountLimit {
    AccountLimit::new(10)
}

/// How many of `n` charges at once, from each of `a` and `b`, the bucket let through.
async fn racing_charges(a: &Store, b: &Store, account: &str, n: usize) -> usize {
    let charge = |store: &Store| {
        let store = store.clone();
        let account = account.to_owned();
        async move {
            store
                .charge_login(&account, "a-stranger", |bucket, known, now| {
                    limit().charge(bucket, known, now)
                })
                .await
                .expect("the store answers")
                .is_ok()
        }
    };
    let charges = (0..n).flat_map(|_| [charge(a), charge(b)]);
    futures::future::join_all(charges)
        .await
        .into_iter()
        .filter(|ok| *ok)
        .count()
}

async fn the_bucket_holds_across_instances(a: &Store, b: &Store) {
    assert_eq!(racing_charges(a, b, "1001", 25).await, 4, "four of fifty");
    assert_eq!(
        racing_charges(a, b, "1001", 5).await,
        0,
        "the bucket is full"
    );
    // Another account has its own bucket.
    assert_eq!(racing_charges(a, b, "1002", 5).await, 4);
    // An attempt that did not fail gives its charge back, seen by the other instance.
    a.queue_login_settled("1001", limit().leak_ms(), None)
        .done()
        .await
        .unwrap();
    assert_eq!(racing_charges(b, b, "1001", 3).await, 1);
    // A login that succeeded makes its device and address known: the agent's lane is open.
    b.queue_login_settled("1001", limit().leak_ms(), Some("the-desk"))
        .done()
        .await
        .unwrap();
    let known = a
        .charge_login("1001", "the-desk", |bucket, known, now| {
            assert!(known, "the desk is known to the other instance");
            limit().charge(bucket, known, now)
        })
        .await
        .unwrap();
    assert!(known.is_ok());
    // Both instances hash with one key.
    let (ka, kb) = (
        a.login_secret("made-by-a").await.unwrap(),
        b.login_secret("made-by-b").await.unwrap(),
    );
    assert_eq!(ka, kb);
}

#[tokio::test]
async fn two_instances_on_postgresql_never_overrun_a_bucket() {
    let pg = common::cluster::Postgres::start().await;
    let a = Store::open(&pg.url).await.unwrap();
    let b = Store::open(&pg.url).await.unwrap();
    the_bucket_holds_across_instances(&a, &b).await;
}

#[tokio::test]
async fn on_sqlite_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&sqlite_url(dir.path())).await.unwrap();
    the_bucket_holds_across_instances(&store, &store).await;
}
