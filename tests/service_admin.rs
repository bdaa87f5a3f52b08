mod common;

use bytemtaani::domain::Error;
use bytemtaani::domain::catalog::StockReason;
use bytemtaani::domain::user::Role;
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

async fn audit_count(pool: &PgPool, action: &str) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where action = $1")
        .bind(action)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn slugs_come_from_names_and_stay_unique(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let first = s
        .admin
        .create_product(&admin, &form(&phones, "Tecno Spark 20", "SKU1", "100"), 1)
        .await
        .unwrap();
    let second = s
        .admin
        .create_product(&admin, &form(&phones, "Tecno Spark 20!", "SKU2", "100"), 1)
        .await
        .unwrap();
    assert_eq!(first.slug, "tecno-spark-20");
    assert_eq!(second.slug, "tecno-spark-20-2");
    let dup_sku = s
        .admin
        .create_product(&admin, &form(&phones, "Other", "sku1", "1"), 1)
        .await;
    assert_eq!(
        dup_sku.unwrap_err(),
        Error::Conflict("A product with that SKU already exists.".into())
    );
    assert_eq!(audit_count(&pool, "product.create").await, 2);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn price_changes_are_kept_in_history(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let p = product(&s, &admin, &phones, "Power Bank", "2999", 3).await;
    let mut edit = form(&phones, "Power Bank", "POWER-BANK", "2799");
    let v2 = s
        .admin
        .update_product(&admin, p.id, p.version, &edit)
        .await
        .unwrap();
    edit.description = "Now with USB-C".into();
    let v3 = s
        .admin
        .update_product(&admin, p.id, v2.version, &edit)
        .await
        .unwrap();
    assert_eq!(v3.description, "Now with USB-C");

    let history = s.admin.price_history(&admin, p.id).await.unwrap();
    assert_eq!(
        history.len(),
        1,
        "a save without a price change adds no history"
    );
    assert_eq!(history[0].old_price.to_string(), "KSh 2,999.00");
    assert_eq!(history[0].new_price.to_string(), "KSh 2,799.00");
    assert_eq!(history[0].changed_by_username, "admin");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_second_of_two_edits_from_one_version_is_a_conflict(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let other_admin = login_as(&s, "admin2", Role::Admin).await;
    let p = product(&s, &admin, &phones, "Power Bank", "2999", 3).await;
    s.admin
        .update_product(
            &admin,
            p.id,
            p.version,
            &form(&phones, "Power Bank 20k", "POWER-BANK", "2999"),
        )
        .await
        .unwrap();
    let late = s
        .admin
        .update_product(
            &other_admin,
            p.id,
            p.version,
            &form(&phones, "Power Bank X", "POWER-BANK", "1"),
        )
        .await;
    assert!(matches!(late, Err(Error::Conflict(_))), "{late:?}");
    let now = s.catalog.product(p.id).await.unwrap();
    assert_eq!(now.name, "Power Bank 20k");
    assert_eq!(now.price.to_string(), "KSh 2,999.00");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_ordered_product_is_archived_not_deleted(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let ordered = product(&s, &admin, &phones, "Ordered", "100", 5).await;
    let never = product(&s, &admin, &phones, "Never Ordered", "100", 5).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&buyer, ordered.id, 1).await.unwrap();
    s.orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap();

    let refused = s.admin.delete_product(&admin, ordered.id).await;
    assert!(
        matches!(&refused, Err(Error::Conflict(m)) if m.contains("archive")),
        "{refused:?}"
    );
    s.admin.delete_product(&admin, never.id).await.unwrap();
    assert!(matches!(
        s.catalog.product(never.id).await,
        Err(Error::NotFound(_))
    ));

    let archived = s
        .admin
        .set_archived(&admin, ordered.id, true)
        .await
        .unwrap();
    assert!(archived.is_archived);
    assert!(matches!(
        s.catalog.by_sku("ORDERED").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.cart.add(&buyer, ordered.id, 1).await,
        Err(Error::NotFound(_))
    ));
    // The database refuses a direct delete too.
    let raw = sqlx::query("delete from products where id = $1")
        .bind(ordered.id)
        .execute(&pool)
        .await;
    assert!(raw.is_err());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn stock_adjustments_never_go_below_zero_and_are_audited(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let p = product(&s, &admin, &phones, "Earphones", "899", 3).await;
    assert_eq!(
        s.admin
            .adjust_stock(&admin, p.id, 10, StockReason::Received, "delivery")
            .await
            .unwrap(),
        13
    );
    let too_many = s
        .admin
        .adjust_stock(&admin, p.id, -14, StockReason::Damaged, "")
        .await;
    assert!(
        matches!(
            too_many,
            Err(Error::Invalid {
                field: "Change",
                ..
            })
        ),
        "{too_many:?}"
    );
    assert_eq!(
        s.admin
            .adjust_stock(&admin, p.id, -13, StockReason::CountCorrection, "")
            .await
            .unwrap(),
        0
    );
    assert!(
        !s.catalog.product(p.id).await.unwrap().in_stock,
        "in_stock follows the count"
    );
    // No change, a slip of the finger, or more than a shop holds: refused, nothing written.
    for delta in [0, 2_000_000_000] {
        let refused = s
            .admin
            .adjust_stock(&admin, p.id, delta, StockReason::Received, "")
            .await;
        assert!(
            matches!(
                refused,
                Err(Error::Invalid {
                    field: "Change",
                    ..
                })
            ),
            "{delta}: {refused:?}"
        );
    }
    let phones = s.catalog.categories().await.unwrap().remove(0);
    let huge = s
        .admin
        .create_product(&admin, &form(&phones, "Bulk", "BULK-1", "1"), 2_000_000_000)
        .await;
    assert!(
        matches!(huge, Err(Error::Invalid { field: "Stock", .. })),
        "{huge:?}"
    );
    let full = s
        .admin
        .adjust_stock(&admin, p.id, 1_000_000, StockReason::Received, "")
        .await
        .unwrap();
    let over = s
        .admin
        .adjust_stock(&admin, p.id, 1, StockReason::Received, "")
        .await;
    assert!(
        matches!(&over, Err(Error::Invalid { message, .. }) if message.contains("at most")),
        "{full} then {over:?}"
    );
    assert_eq!(audit_count(&pool, "stock.adjust").await, 3);
    let rows = count(&pool, "select count(*) from stock_adjustments").await;
    assert_eq!(rows, 3);
    let raw = sqlx::query("update products set stock_quantity = -1 where id = $1")
        .bind(p.id)
        .execute(&pool)
        .await;
    assert!(raw.is_err(), "the database refuses negative stock");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn categories_rename_with_their_slug_and_delete_only_when_empty(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let renamed = s
        .admin
        .rename_category(&admin, phones.id, "Mobile Phones", "")
        .await
        .unwrap();
    assert_eq!(renamed.slug, "mobile-phones");
    let custom = s
        .admin
        .rename_category(&admin, phones.id, "Mobile Phones", "simu")
        .await
        .unwrap();
    assert_eq!(custom.slug, "simu");
    let dup = s.admin.create_category(&admin, "Mobile Phones").await;
    assert!(matches!(dup, Err(Error::Conflict(_))));

    let p = product(&s, &admin, &phones, "Nokia 105", "2299", 1).await;
    s.admin.set_archived(&admin, p.id, true).await.unwrap();
    let refused = s.admin.delete_category(&admin, phones.id).await;
    assert!(
        matches!(refused, Err(Error::Conflict(_))),
        "archived products still count"
    );
    let empty = s.admin.create_category(&admin, "Stationery").await.unwrap();
    s.admin.delete_category(&admin, empty.id).await.unwrap();
    assert_eq!(s.catalog.categories().await.unwrap().len(), 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_last_admin_stays_and_nobody_locks_themselves_out(pool: PgPool) {
    let s = services(&pool);
    let admin = login_as(&s, "admin", Role::Admin).await;
    let me = admin.session().unwrap().user_id;
    assert!(matches!(
        s.users.set_role(&admin, me, Role::Staff).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        s.users.set_active(&admin, me, false).await,
        Err(Error::Conflict(_))
    ));

    let second = login_as(&s, "admin2", Role::Admin).await;
    let second_id = second.session().unwrap().user_id;
    // Two admins demoting each other at the same moment: one must be refused.
    let (a, b) = tokio::join!(
        s.users.set_role(&admin, second_id, Role::Customer),
        s.users.set_role(&second, me, Role::Customer)
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    let admins = count(
        &pool,
        "select count(*) from users where is_admin and is_active",
    )
    .await;
    assert_eq!(admins, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn deactivating_ends_open_sessions_at_their_next_action(pool: PgPool) {
    let s = services(&pool);
    let admin = login_as(&s, "admin", Role::Admin).await;
    let cashier = at_till(&s, "cashier").await;
    let cashier_id = cashier.session().unwrap().user_id;
    assert!(s.pos.find_customer(&cashier, "").await.is_ok());
    let off = s.users.set_active(&admin, cashier_id, false).await.unwrap();
    assert!(!off.is_active);
    assert_eq!(
        s.pos.find_customer(&cashier, "").await.unwrap_err(),
        Error::Unauthenticated
    );
    s.users.set_active(&admin, cashier_id, true).await.unwrap();
    assert!(s.auth.login("cashier", PASSWORD).await.is_ok());
    assert_eq!(audit_count(&pool, "user.deactivate").await, 1);
    assert_eq!(audit_count(&pool, "user.reactivate").await, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn role_changes_apply_to_open_sessions_at_once(pool: PgPool) {
    let s = services(&pool);
    let admin = login_as(&s, "admin", Role::Admin).await;
    let cashier = at_till(&s, "cashier").await;
    let id = cashier.session().unwrap().user_id;
    s.users.set_role(&admin, id, Role::Customer).await.unwrap();
    assert_eq!(
        s.pos.find_customer(&cashier, "").await.unwrap_err(),
        Error::Forbidden("staff")
    );
    let found = s.users.search(&admin, "cash").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].role(), Role::Customer);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_admin_reset_password_replaces_the_old_one(pool: PgPool) {
    let s = services(&pool);
    let admin = login_as(&s, "admin", Role::Admin).await;
    let user = login_as(&s, "amina", Role::Customer).await;
    let id = user.session().unwrap().user_id;
    assert!(
        s.users
            .reset_password(&admin, id, "123456789")
            .await
            .is_err()
    );
    s.users
        .reset_password(&admin, id, "fresh start phrase")
        .await
        .unwrap();
    assert_eq!(
        s.cart.view(&user).await.unwrap_err(),
        Error::Unauthenticated
    );
    assert!(s.auth.login("amina", PASSWORD).await.is_err());
    assert!(s.auth.login("amina", "fresh start phrase").await.is_ok());
    let log = s
        .users
        .audit_log(&admin, "user.password_reset", 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor_username, "admin");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn updated_at_moves_on_every_update_whoever_writes(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let p = product(&s, &admin, &phones, "Power Bank", "2999", 3).await;
    // Even a client that bypasses the app gets updated_at maintained by the trigger.
    sqlx::query("update products set created_at = created_at - interval '1 day', updated_at = now() - interval '1 day' where id = $1")
        .bind(p.id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update products set description = 'raw edit' where id = $1")
        .bind(p.id)
        .execute(&pool)
        .await
        .unwrap();
    let after = s.catalog.product(p.id).await.unwrap();
    assert!(
        after.updated_at > after.created_at + chrono::Duration::hours(23),
        "{after:?}"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_console_warns_while_demo_accounts_can_log_in(pool: PgPool) {
    let s = services(&pool);
    let (admin, _) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    assert!(s.users.warnings(&admin).await.unwrap().is_empty());
    assert!(matches!(
        s.users.warnings(&cashier).await,
        Err(Error::Forbidden(_))
    ));
    // As `seed --demo` marks its accounts.
    sqlx::query("update users set is_demo = true where username = 'cashier'")
        .execute(&pool)
        .await
        .unwrap();
    let warned = s.users.warnings(&admin).await.unwrap();
    assert_eq!(warned.len(), 1);
    assert!(
        warned[0].contains("public passwords: cashier."),
        "{warned:?}"
    );
    let cashier_id = cashier.session().unwrap().user_id;
    s.users.set_active(&admin, cashier_id, false).await.unwrap();
    assert!(s.users.warnings(&admin).await.unwrap().is_empty());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_admin_adds_staff_from_the_console_checked_like_any_account(pool: PgPool) {
    let s = services(&pool);
    let (admin, _) = shop(&s).await;
    let account = |username: &str, password: &str| bytemtaani::service::auth::NewAccount {
        username: username.into(),
        email: format!("{username}@example.co.ke"),
        phone: "0722 123 456".into(),
        password: password.into(),
    };
    let made = s
        .users
        .create(&admin, account("otieno", PASSWORD), Role::Staff)
        .await
        .unwrap();
    assert_eq!(made.phone.as_deref(), Some("254722123456"));
    assert!(s.auth.login("otieno", PASSWORD).await.is_ok());
    assert_eq!(audit_count(&pool, "user.create").await, 1);
    // The same checks as everywhere: a taken name, a weak password.
    let taken = s
        .users
        .create(&admin, account("OTIENO", PASSWORD), Role::Staff)
        .await;
    assert!(
        matches!(
            taken,
            Err(Error::Invalid {
                field: "Username",
                ..
            })
        ),
        "{taken:?}"
    );
    let weak = s
        .users
        .create(&admin, account("wairimu", "123"), Role::Customer)
        .await;
    assert!(matches!(weak, Err(Error::Invalid { .. })), "{weak:?}");
    assert_eq!(audit_count(&pool, "user.create").await, 1);
}
