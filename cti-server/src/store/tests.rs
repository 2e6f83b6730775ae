//! The store on SQLite (the leases on PostgreSQL too: `tests/store_leases.rs`).

use std::time::Duration;

use super::db::*;
use super::logins::LoginBucket;

fn row(agent: &str) -> SessionRow {
    SessionRow {
        agent: agent.into(),
        device: format!("SIP/{agent}"),
        verifier: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        snapshot: "{}".into(),
        pending_writes: 0,
        started_at: 1_764_000_000,
    }
}

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn sessions_and_tokens_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    {
        let store = Store::open(&url).await.unwrap();
        let g1 = store
            .create_session(&row("1001"), "a", LEASE)
            .await
            .unwrap()
            .unwrap();
        let g2 = store
            .create_session(&row("1002"), "a", LEASE)
            .await
            .unwrap()
            .unwrap();
        store
            .put_snapshot("1001", g1, r#"{"v":1}"#, 1)
            .await
            .unwrap();
        let token = TokenRow {
            hash: "ab".repeat(32),
            agent: "1001".into(),
            expires_at: 2_000_000_000,
        };
        store.put_token(&token, g1).await.unwrap();
        store
            .put_token(
                &TokenRow {
                    hash: "cd".repeat(32),
                    expires_at: 1,
                    ..token
                },
                g1,
            )
            .await
            .unwrap();
        store
            .put_settings("1001", r#"{"widthPx":300}"#)
            .await
            .unwrap();
        store.remove_session("1002", g2).await.unwrap();
    }
    // Opened again (a restart): the migrations are already there, the rows too.
    let store = Store::open(&url).await.unwrap();
    let sessions = store.sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].snapshot, r#"{"v":1}"#);
    assert_eq!(sessions[0].pending_writes, 1);
    store.purge(1_764_000_000).await.unwrap();
    let tokens = store.tokens_of("1001", 1_764_000_000).await.unwrap();
    assert_eq!(tokens.len(), 1, "the expired token is gone: {tokens:?}");
    assert_eq!(tokens[0].hash, "ab".repeat(32));
    assert_eq!(
        store.token(&"ab".repeat(32), 1_764_000_000).await.unwrap(),
        Some(tokens[0].clone())
    );
    assert!(store.settings_of("1001").await.unwrap().is_some());
    // A restarted server takes every session of its SQLite file, whatever the lease says.
    let all = store.claim_free("b", LEASE, 100, true).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].row.snapshot, r#"{"v":1}"#);
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let _first = Store::open(&url).await.unwrap();
    let e = Store::open(&url).await.unwrap_err();
    assert!(matches!(e, StoreError::Locked { .. }), "{e}");
    assert!(e.to_string().contains("PostgreSQL"), "{e}");
}

#[tokio::test]
async fn a_write_naming_an_old_generation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&sqlite_url(dir.path())).await.unwrap();
    let old = store
        .create_session(&row("1001"), "a", LEASE)
        .await
        .unwrap()
        .unwrap();
    let new = store.claim_free("b", LEASE, 10, true).await.unwrap();
    assert_eq!(new[0].generation, old + 1);
    for e in [
        store.put_snapshot("1001", old, "{}", 0).await.unwrap_err(),
        store.release("1001", old).await.unwrap_err(),
        store.remove_session("1001", old).await.unwrap_err(),
        store
            .put_token(
                &TokenRow {
                    hash: "ef".repeat(32),
                    agent: "1001".into(),
                    expires_at: 2_000_000_000,
                },
                old,
            )
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, StoreError::Fenced { .. }), "{e}");
    }
    assert!(store.renew("a", LEASE).await.unwrap().is_empty());
    // A session logged out and in again goes on counting: an old owner stays fenced.
    store.remove_session("1001", old + 1).await.unwrap();
    let again = store
        .create_session(&row("1001"), "a", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, old + 2);
    let history = store.history().await.unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    assert!(history[1].released_at.is_some());
}

#[test]
fn a_password_in_the_url_is_never_shown() {
    assert_eq!(
        redacted("postgres://cti:s3cret@db:5432/cti"),
        "postgres://cti:***@db:5432/cti"
    );
    assert_eq!(
        redacted("sqlite://data/sessions.db"),
        "sqlite://data/sessions.db"
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_created_is_a_clear_error() {
    let e = Store::open("sqlite:///proc/cti-nope/sessions.db?mode=rwc")
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("cannot open the session store"), "{text}");
    assert!(
        text.contains("/proc/cti-nope"),
        "it names the database: {text}"
    );
}

/// What the bucket of `account` is, and whether `pair` is known, as a charge sees them.
async fn seen(store: &Store, account: &str, pair: &str) -> (LoginBucket, bool) {
    let seen = std::cell::Cell::new(None);
    let _ = store
        .charge_login(account, pair, |bucket, known, _| {
            seen.set(Some((bucket, known)));
            Err::<LoginBucket, ()>(())
        })
        .await
        .unwrap();
    seen.get().expect("the judge was asked")
}

#[tokio::test]
async fn empty_login_buckets_and_devices_unused_for_90_days_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&sqlite_url(dir.path())).await.unwrap();
    let now = crate::clock::wall().timestamp();
    let bucket = |empty_at| LoginBucket {
        empty_at,
        last_at: 1,
    };
    for (account, empty_at) in [("empty", now * 1000 - 1), ("full", now * 1000 + 60_000)] {
        let charged = store
            .charge_login(account, "p", |_, _, _| Ok::<_, ()>(bucket(empty_at)))
            .await
            .unwrap();
        assert_eq!(charged, Ok(()));
    }
    store
        .queue_login_settled("full", 0, Some("desk"))
        .done()
        .await
        .unwrap();
    store.purge(now).await.unwrap();
    assert_eq!(seen(&store, "empty", "x").await.0, LoginBucket::default());
    assert_eq!(
        seen(&store, "full", "desk").await,
        (bucket(now * 1000 + 60_000), true)
    );
    store.purge(now + 91 * 24 * 3600).await.unwrap();
    assert_eq!(
        seen(&store, "full", "desk").await,
        (LoginBucket::default(), false)
    );
}
