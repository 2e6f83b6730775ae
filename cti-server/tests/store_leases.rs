//! Issue 14's store: leases and fencing on a throwaway PostgreSQL (started by the test in a
//! temporary folder) and on SQLite, through the same public API the server uses. Two handles
//! on one PostgreSQL stand for two server instances.

mod common;

use std::time::Duration;

use common::cluster::{Postgres, assert_never_owned_twice};
use cti_server::store::{Claim, SessionRow, Store, StoreError};

const LEASE: Duration = Duration::from_millis(800);

fn row(agent: &str) -> SessionRow {
    SessionRow {
        agent: agent.into(),
        device: format!("SIP/{agent}"),
        verifier: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        snapshot: "null".into(),
        pending_writes: 0,
        started_at: 1_764_000_000,
    }
}

/// What two instances `a` and `b` (and a third, `c`, on `a`'s handle) see of one session.
async fn leases_fence_and_hand_over(a: &Store, b: &Store) {
    let g1 = a
        .create_session(&row("1001"), "A", LEASE)
        .await
        .unwrap()
        .expect("a new session is A's");
    // A holds it: A claiming it again (two paths of one instance at once) starts nothing twice.
    assert_eq!(
        a.claim("1001", "A", LEASE).await.unwrap(),
        Claim::Held { owner: "A".into() }
    );
    // B cannot take it or log the agent in again while A's lease runs.
    assert_eq!(
        b.claim("1001", "B", LEASE).await.unwrap(),
        Claim::Held { owner: "A".into() }
    );
    assert_eq!(
        b.create_session(&row("1001"), "B", LEASE).await.unwrap(),
        None
    );
    a.put_snapshot("1001", g1, r#"{"A":1}"#, 1).await.unwrap();
    // B asks for it; A learns it at its next renewal.
    b.want("1001", "B").await.unwrap();
    let held = a.renew("A", LEASE).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(held[0].wanted && held[0].generation == g1, "{held:?}");

    // A stops renewing (paused, dead): once the lease ran out on the database's clock, B and C
    // race for it and exactly one wins, starting from A's last snapshot.
    tokio::time::sleep(LEASE + Duration::from_millis(300)).await;
    let (by_b, by_c) = tokio::join!(b.claim("1001", "B", LEASE), a.claim("1001", "C", LEASE));
    let (winner, store) = match (by_b.unwrap(), by_c.unwrap()) {
        (Claim::Claimed(c), Claim::Held { owner }) => {
            assert_eq!(owner, "B");
            (c, b)
        }
        (Claim::Held { owner }, Claim::Claimed(c)) => {
            assert_eq!(owner, "C");
            (c, a)
        }
        other => panic!("exactly one claim wins: {other:?}"),
    };
    assert_eq!(winner.generation, g1 + 1);
    assert_eq!(winner.row.snapshot, r#"{"A":1}"#);

    // A wakes up: every write it tries is refused, and its renewal holds nothing.
    let late = a
        .put_snapshot("1001", g1, r#"{"A":2}"#, 0)
        .await
        .unwrap_err();
    assert!(matches!(late, StoreError::Fenced { .. }), "{late}");
    assert!(matches!(
        a.remove_session("1001", g1).await.unwrap_err(),
        StoreError::Fenced { .. }
    ));
    assert!(a.renew("A", LEASE).await.unwrap().is_empty());
    let (now, _) = store.session("1001").await.unwrap().unwrap();
    assert_eq!(now.snapshot, r#"{"A":1}"#, "A's late write changed nothing");

    // D asks for it and the winner hands it over: for a lease nobody else takes it when
    // looking for free sessions (the winner, which let it go, included); D does at once.
    b.want("1001", "D").await.unwrap();
    store.release("1001", winner.generation).await.unwrap();
    for other in ["A", "B", "C"] {
        let taken = a.claim_free(other, LEASE, 10, false).await.unwrap();
        assert!(taken.is_empty(), "{other} took D's: {taken:?}");
    }
    let to_d = b.claim_free("D", LEASE, 10, false).await.unwrap();
    assert_eq!(to_d.len(), 1);
    assert_eq!(to_d[0].generation, g1 + 2);

    // D lets go (a stop) with nobody asking: A takes it at once, no lease to wait for.
    b.release("1001", to_d[0].generation).await.unwrap();
    let free = a.claim_free("A", LEASE, 10, false).await.unwrap();
    assert_eq!(free.len(), 1);
    assert_eq!(free[0].generation, g1 + 3);
    a.remove_session("1001", free[0].generation).await.unwrap();

    let history = b.history().await.unwrap();
    assert_eq!(history.len(), 4, "{history:?}");
    assert_never_owned_twice(&history);
}

#[tokio::test]
async fn leases_fence_and_hand_over_on_postgresql() {
    let pg = Postgres::start().await;
    let a = Store::open(&pg.url).await.unwrap();
    let b = Store::open(&pg.url).await.unwrap();
    assert!(!a.is_sole(), "a PostgreSQL store is shared");
    leases_fence_and_hand_over(&a, &b).await;
}

#[tokio::test]
async fn leases_fence_and_hand_over_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&cti_server::store::sqlite_url(dir.path()))
        .await
        .unwrap();
    leases_fence_and_hand_over(&store, &store).await;
}
