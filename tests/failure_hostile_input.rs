//! Hostile text in every field the services take: 10 kB, control characters, SQL
//! metacharacters, right-to-left overrides, emoji. Each call either works (storing the text
//! exactly, never running it) or is refused with a message naming the field; none panics
//! or fails with an internal error.

mod common;

use bytemtaani::domain::Error;
use bytemtaani::domain::catalog::{ProductForm, ProductQuery};
use bytemtaani::domain::order::OrderFilter;
use bytemtaani::domain::user::Role;
use bytemtaani::service::auth::NewAccount;
use common::*;
use sqlx::PgPool;

fn hostile() -> Vec<String> {
    vec![
        "x".repeat(10 * 1024),
        "tab\tnew\nline\r\u{7}bell\u{1b}[31mred".into(),
        "'; drop table products; --".into(),
        "Robert'); DELETE FROM users WHERE ('1'='1".into(),
        "100% _wild_ \\ card".into(),
        "\u{202e}gnp.exe\u{202c} مرحبا".into(),
        "😀🛒 chai ☕ مرحبا".into(),
        "\0nul".into(),
        "zero\u{200b}width".into(),
    ]
}

/// Ok, or a refusal people can read; never an internal error.
fn acceptable<T: std::fmt::Debug>(what: &str, input: &str, result: Result<T, Error>) -> bool {
    match result {
        Ok(_) => true,
        Err(Error::Internal(reference)) => {
            panic!(
                "{what} with {:?}: internal error {reference}",
                &input[..input.len().min(40)]
            )
        }
        Err(_) => false,
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn hostile_text_is_stored_as_text_or_refused_by_name(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let customer = login_as(&s, "amina", Role::Customer).await;
    let cashier = at_till(&s, "cashier").await;
    let (mut accepted, mut refused) = (0, 0);
    let mut tally = |ok: bool| {
        if ok {
            accepted += 1;
        } else {
            refused += 1;
        }
    };
    for (i, text) in hostile().iter().enumerate() {
        let account = NewAccount {
            username: text.clone(),
            email: text.clone(),
            phone: text.clone(),
            password: text.clone(),
        };
        tally(acceptable("register", text, s.auth.register(account).await));
        tally(acceptable("login", text, s.auth.login(text, text).await));
        let query = ProductQuery {
            text: text.clone(),
            ..Default::default()
        };
        tally(acceptable("search", text, s.catalog.search(&query).await));
        tally(acceptable("sku lookup", text, s.catalog.by_sku(text).await));
        tally(acceptable(
            "till lookup",
            text,
            s.pos.lookup(&cashier, text).await,
        ));
        tally(acceptable(
            "find customer",
            text,
            s.pos.find_customer(&cashier, text).await,
        ));
        tally(acceptable(
            "user search",
            text,
            s.users.search(&admin, text).await,
        ));
        tally(acceptable(
            "audit filter",
            text,
            s.users.audit_log(&admin, text, 10).await,
        ));
        let filter = OrderFilter {
            customer: text.clone(),
            ..Default::default()
        };
        tally(acceptable(
            "order filter",
            text,
            s.orders.list(&admin, &filter, 10).await,
        ));
        tally(acceptable(
            "category",
            text,
            s.admin.create_category(&admin, text).await,
        ));
        let form = ProductForm {
            name: text.clone(),
            slug: text.clone(),
            sku: format!("H{i}"),
            description: text.clone(),
            price: "100".into(),
            category_id: Some(phones.id),
            image_url: text.clone(),
            tax_type: text.clone(),
            item_class: text.clone(),
        };
        tally(acceptable(
            "product",
            text,
            s.admin.create_product(&admin, &form, 1).await,
        ));
        let described = ProductForm {
            name: format!("Hostile {i}"),
            sku: format!("D{i}"),
            description: text.clone(),
            price: "100".into(),
            category_id: Some(phones.id),
            ..Default::default()
        };
        tally(acceptable(
            "description",
            text,
            s.admin.create_product(&admin, &described, 1).await,
        ));
        tally(acceptable("mpesa phone", text, {
            s.payments
                .pay_by_mpesa(&customer, uuid::Uuid::new_v4(), text)
                .await
        }));
    }
    println!(
        "hostile input: {accepted} calls worked, {refused} refused with a reason, 0 internal errors"
    );
    // The tables are all still there, and the metacharacters, Arabic and emoji are stored
    // exactly as written; the 10 kB text, the control characters, the right-to-left
    // override and the zero-width space (text showing one thing, holding another) were
    // refused.
    let stored: Vec<String> =
        sqlx::query_scalar("select description from products where sku like 'D%' order by sku")
            .fetch_all(&pool)
            .await
            .unwrap();
    let hostile = hostile();
    let expected = [2, 3, 4, 6].map(|i| hostile[i].clone());
    assert_eq!(stored, expected);
    assert!(refused > 0 && accepted > 0);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_nul_byte_that_reaches_the_database_is_a_refusal_not_an_internal_error(pool: PgPool) {
    let err: Error = sqlx::query("select $1::text")
        .bind("chai\0")
        .execute(&pool)
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(err, Error::Invalid { field: "Text", .. }),
        "{err:?}"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn huge_or_hidden_text_is_refused_by_every_search_and_account_field(pool: PgPool) {
    use bytemtaani::domain::user::Role;
    use bytemtaani::service::auth::NewAccount;
    let s = services(&pool);
    let (admin, _) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let megabyte = "a".repeat(1 << 20);
    let refused = |result: Result<usize, Error>| matches!(result, Err(Error::Invalid { .. }));
    assert!(refused(
        s.pos
            .find_customer(&cashier, &megabyte)
            .await
            .map(|v| v.len())
    ));
    assert!(refused(
        s.users.search(&admin, &megabyte).await.map(|v| v.len())
    ));
    assert!(refused(
        s.users
            .audit_log(&admin, &megabyte, 10)
            .await
            .map(|v| v.len())
    ));
    assert!(refused(
        s.users
            .search(&admin, "ad\u{202e}min")
            .await
            .map(|v| v.len())
    ));
    let reversed = s
        .auth
        .create_account(
            NewAccount {
                username: "mallory".into(),
                email: "mallory\u{202e}ek.oc@x.ke".into(),
                phone: String::new(),
                password: PASSWORD.into(),
            },
            Role::Customer,
        )
        .await;
    assert!(
        matches!(reversed, Err(Error::Invalid { field: "Email", .. })),
        "{reversed:?}"
    );
}
