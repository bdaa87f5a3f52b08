//! The terminals the shop's server lets in: added and revoked for a named admin, refused
//! with a clear reason, listed for admins only, found by the key a connection proves.

mod common;

use bytemtaani::domain::Error;
use bytemtaani::domain::terminal::TerminalKind;
use common::*;
use russh::keys::{Algorithm, PrivateKey, PublicKey};
use sqlx::PgPool;

fn new_key() -> PublicKey {
    PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
        .unwrap()
        .public_key()
        .clone()
}

fn text(key: &PublicKey, comment: &str) -> String {
    format!("{} {comment}", key.to_openssh().unwrap())
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn terminals_are_added_found_by_key_and_revoked(pool: PgPool) {
    let s = services(&pool);
    let (admin, _) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let key = new_key();
    let t = &s.terminals;

    let fingerprint = t
        .add(
            "admin",
            "kiosk-3",
            TerminalKind::Kiosk,
            &text(&key, "kiosk-3@shop"),
        )
        .await
        .unwrap();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    // The key is known whatever its comment says.
    let found = t.by_key(&key).await.unwrap().expect("found by its key");
    assert_eq!(
        (found.name.as_str(), found.kind),
        ("kiosk-3", TerminalKind::Kiosk)
    );
    assert_eq!(found.fingerprint, fingerprint);
    assert!(t.by_key(&new_key()).await.unwrap().is_none());

    // Refused, each with its reason.
    let refused = [
        t.add(
            "cashier",
            "till-1",
            TerminalKind::Till,
            &text(&new_key(), ""),
        )
        .await,
        t.add("admin", "Till 1", TerminalKind::Till, &text(&new_key(), ""))
            .await,
        t.add(
            "admin",
            "till-1",
            TerminalKind::Till,
            "ssh-ed25519 AAAAnot-a-key",
        )
        .await,
        t.add(
            "admin",
            "kiosk-3",
            TerminalKind::Till,
            &text(&new_key(), ""),
        )
        .await,
        t.add(
            "admin",
            "kiosk-4",
            TerminalKind::Kiosk,
            &text(&key, "again"),
        )
        .await,
    ];
    let reasons: Vec<String> = refused
        .iter()
        .map(|r| r.as_ref().unwrap_err().to_string())
        .collect();
    assert!(reasons[0].contains("not an active admin"), "{reasons:?}");
    assert!(reasons[1].starts_with("name:"), "{reasons:?}");
    assert!(reasons[2].starts_with("key:"), "{reasons:?}");
    assert!(reasons[3].contains("already named kiosk-3"), "{reasons:?}");
    assert!(reasons[4].contains("already has this key"), "{reasons:?}");

    // Only admins see the list.
    assert_eq!(t.list(&admin).await.unwrap().len(), 1);
    assert!(matches!(t.list(&cashier).await, Err(Error::Forbidden(_))));

    t.revoke("admin", "kiosk-3").await.unwrap();
    assert!(
        t.by_key(&key).await.unwrap().is_none(),
        "a revoked key is let in"
    );
    assert!(matches!(
        t.revoke("admin", "kiosk-3").await,
        Err(Error::NotFound(_))
    ));
    // Its name and key may serve a new terminal; the old one stays listed, revoked.
    t.add("admin", "kiosk-3", TerminalKind::Kiosk, &text(&key, ""))
        .await
        .unwrap();
    let listed = t.list(&admin).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|t| t.revoked_at.is_some()).count(), 1);
}
