mod common;

use bytemtaani::db;
use bytemtaani::domain::Error;
use bytemtaani::domain::user::Role;
use bytemtaani::service::auth::NewAccount;
use common::*;
use sqlx::PgPool;

fn account(username: &str, password: &str) -> NewAccount {
    NewAccount {
        username: username.into(),
        email: format!("{username}@example.co.ke"),
        phone: "0712 345 678".into(),
        password: password.into(),
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn register_logs_in_a_customer_and_stores_only_an_argon2id_hash(pool: PgPool) {
    let s = services(&pool);
    let session = s.auth.register(account("Amina", PASSWORD)).await.unwrap();
    assert_eq!(session.username, "amina");
    assert_eq!(session.role, Role::Customer);
    let (hash, phone): (String, String) =
        sqlx::query_as("select password_hash, phone from users where username = 'amina'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
    assert_eq!(phone, "254712345678");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn usernames_and_emails_are_unique_whatever_the_case(pool: PgPool) {
    let s = services(&pool);
    s.auth.register(account("amina", PASSWORD)).await.unwrap();
    let again = s
        .auth
        .register(account("AMINA", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(again, Error::invalid("Username", "is already taken"));
    let mut same_email = account("amina2", PASSWORD);
    same_email.email = "AMINA@example.co.ke".into();
    let err = s.auth.register(same_email).await.unwrap_err();
    assert_eq!(err, Error::invalid("Email", "already has an account"));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn weak_passwords_are_refused_at_registration(pool: PgPool) {
    let s = services(&pool);
    for weak in ["short", "password123", "kenya2024", "amina-shop"] {
        let mut a = account("amina", weak);
        a.username = if weak == "amina-shop" {
            "amina-shop".into()
        } else {
            "amina".into()
        };
        let err = s.auth.register(a).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid {
                    field: "Password",
                    ..
                }
            ),
            "{weak}: {err:?}"
        );
    }
    let count = count(&pool, "select count(*) from users where is_active").await;
    assert_eq!(count, 0);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn wrong_and_unknown_logins_look_the_same_and_are_recorded(pool: PgPool) {
    let s = services(&pool);
    s.auth.register(account("amina", PASSWORD)).await.unwrap();
    assert_eq!(
        s.auth.login("amina", "not the password").await.unwrap_err(),
        Error::InvalidCredentials
    );
    assert_eq!(
        s.auth.login("nobody", PASSWORD).await.unwrap_err(),
        Error::InvalidCredentials
    );
    assert_eq!(
        db::login::count(&pool, "amina", "wrong_password")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db::login::count(&pool, "nobody", "unknown_user")
            .await
            .unwrap(),
        1
    );
    // Login is case-insensitive on the username, exact on the password.
    assert!(s.auth.login(" AMINA ", PASSWORD).await.is_ok());
    assert!(
        s.auth
            .login("amina", &PASSWORD.to_uppercase())
            .await
            .is_err()
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn five_failures_lock_the_username_even_for_the_right_password(pool: PgPool) {
    let s = services(&pool);
    s.auth.register(account("amina", PASSWORD)).await.unwrap();
    for _ in 0..5 {
        assert_eq!(
            s.auth.login("amina", "guess guess").await.unwrap_err(),
            Error::InvalidCredentials
        );
    }
    let err = s.auth.login("amina", PASSWORD).await.unwrap_err();
    assert_eq!(err, Error::Locked { minutes: 15 });
    // The lock ends by itself: move it into the past.
    sqlx::query("update login_throttle set locked_until = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(s.auth.login("amina", PASSWORD).await.is_ok());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_success_resets_the_failure_count(pool: PgPool) {
    let s = services(&pool);
    s.auth.register(account("amina", PASSWORD)).await.unwrap();
    for _ in 0..4 {
        s.auth.login("amina", "guess guess").await.unwrap_err();
    }
    s.auth.login("amina", PASSWORD).await.unwrap();
    for _ in 0..4 {
        assert_eq!(
            s.auth.login("amina", "guess guess").await.unwrap_err(),
            Error::InvalidCredentials
        );
    }
    assert!(s.auth.login("amina", PASSWORD).await.is_ok());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn parallel_guessing_gets_no_more_than_five_tries(pool: PgPool) {
    let s = services(&pool);
    s.auth.register(account("amina", PASSWORD)).await.unwrap();
    let guesses = (0..20).map(|i| {
        let s = s.clone();
        tokio::spawn(async move { s.auth.login("amina", &format!("guess number {i}")).await })
    });
    let results = futures::future::join_all(guesses).await;
    let checked = results
        .iter()
        .filter(|r| matches!(r.as_ref().unwrap(), Err(Error::InvalidCredentials)))
        .count();
    let locked = results
        .iter()
        .filter(|r| matches!(r.as_ref().unwrap(), Err(Error::Locked { .. })))
        .count();
    println!("parallel guessing: 20 attempts, {checked} checked, {locked} refused as locked");
    assert_eq!(checked, 5);
    assert_eq!(locked, 15);
    assert!(matches!(
        s.auth.login("amina", PASSWORD).await,
        Err(Error::Locked { .. })
    ));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn inactive_users_cannot_log_in(pool: PgPool) {
    let s = services(&pool);
    let admin = login_as(&s, "admin", Role::Admin).await;
    let user = s.auth.register(account("amina", PASSWORD)).await.unwrap();
    s.users
        .set_active(&admin, user.user_id, false)
        .await
        .unwrap();
    assert_eq!(
        s.auth.login("amina", PASSWORD).await.unwrap_err(),
        Error::Inactive
    );
    // A wrong password still says only "wrong", revealing nothing about the account.
    assert_eq!(
        s.auth.login("amina", "wrong one!").await.unwrap_err(),
        Error::InvalidCredentials
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn logout_ends_the_session(pool: PgPool) {
    let s = services(&pool);
    let me: bytemtaani::domain::user::Actor = s
        .auth
        .register(account("amina", PASSWORD))
        .await
        .unwrap()
        .into();
    assert!(s.cart.view(&me).await.is_ok());
    s.auth.logout(&me).await.unwrap();
    assert_eq!(s.cart.view(&me).await.unwrap_err(), Error::Unauthenticated);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn change_password_needs_the_current_one(pool: PgPool) {
    let s = services(&pool);
    let me: bytemtaani::domain::user::Actor = s
        .auth
        .register(account("amina", PASSWORD))
        .await
        .unwrap()
        .into();
    let err = s
        .auth
        .change_password(&me, "not it at all", "a brand new phrase")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Invalid {
            field: "Current password",
            ..
        }
    ));
    let err = s
        .auth
        .change_password(&me, PASSWORD, "12345678")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Invalid {
            field: "Password",
            ..
        }
    ));
    s.auth
        .change_password(&me, PASSWORD, "a brand new phrase")
        .await
        .unwrap();
    assert!(s.auth.login("amina", PASSWORD).await.is_err());
    assert!(s.auth.login("amina", "a brand new phrase").await.is_ok());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn guessing_the_current_password_is_throttled_like_a_login(pool: PgPool) {
    let s = services(&pool);
    let me: bytemtaani::domain::user::Actor = s
        .auth
        .register(account("amina", PASSWORD))
        .await
        .unwrap()
        .into();
    for guess in 0..5 {
        let err = s
            .auth
            .change_password(&me, &format!("guess number {guess}"), "a brand new phrase")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    }
    // Locked now: the right password is not even looked at, here or at the login screen.
    let err = s
        .auth
        .change_password(&me, PASSWORD, "a brand new phrase")
        .await
        .unwrap_err();
    assert_eq!(err, Error::Locked { minutes: 15 });
    assert_eq!(
        s.auth.login("amina", PASSWORD).await.unwrap_err(),
        Error::Locked { minutes: 15 }
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn only_an_admin_password_closes_a_kiosk(pool: PgPool) {
    let s = services(&pool);
    login_as(&s, "admin", Role::Admin).await;
    at_till(&s, "cashier").await;
    assert_eq!(
        s.auth.authorize_exit("admin", "not it at all").await,
        Err(Error::InvalidCredentials)
    );
    assert_eq!(
        s.auth.authorize_exit("cashier", PASSWORD).await,
        Err(Error::Forbidden("admins"))
    );
    assert_eq!(s.auth.authorize_exit("admin", PASSWORD).await, Ok(()));
    let open = count(
        &pool,
        "select count(*) from user_sessions where ended_at is null",
    )
    .await;
    // login_as left one session per user open; the exit checks left none.
    assert_eq!(open, 2);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_kiosk_login_is_for_customers_and_opens_nothing_for_staff(pool: PgPool) {
    let s = services(&pool);
    login_as(&s, "admin", Role::Admin).await;
    at_till(&s, "cashier").await;
    login_as(&s, "amina", Role::Customer).await;
    let open = "select count(*) from user_sessions where ended_at is null";
    let before = count(&pool, open).await;
    for staff in ["admin", "cashier"] {
        // Answered like a wrong password (the kiosk's screen says staff log in at a till).
        let refused = s.auth.login_customer(staff, PASSWORD).await.unwrap_err();
        assert!(matches!(refused, Error::InvalidCredentials), "{refused:?}");
    }
    assert_eq!(
        count(&pool, open).await,
        before,
        "no staff session is opened"
    );
    let amina = s.auth.login_customer("amina", PASSWORD).await.unwrap();
    assert_eq!(amina.role, Role::Customer);
}

/// A cashier whose earlier sessions were never ended (a till switched off, a dropped SSH
/// link) still has every request's session check look at one session, not all of them: it
/// ran before every till sale and slowed down with each open session the cashier had.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_session_check_reads_one_session_however_many_are_left_open(pool: PgPool) {
    let s = services(&pool);
    let cashier = login_as(&s, "otieno", Role::Staff).await;
    let session = cashier.session().unwrap().clone();
    sqlx::query("insert into user_sessions (user_id) select $1 from generate_series(1, 2000)")
        .bind(session.user_id)
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let fetched = "select coalesce(sum(idx_tup_fetch + seq_tup_read), 0)::bigint
                   from pg_stat_xact_user_tables where relname = 'user_sessions'";
    let before: i64 = sqlx::query_scalar(fetched)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let user = db::sessions::user(&mut *tx, session.id, session.user_id)
        .await
        .unwrap()
        .expect("the session is open");
    let after: i64 = sqlx::query_scalar(fetched)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(user.username, "otieno");
    assert!(
        after - before <= 1,
        "{} sessions read for one",
        after - before
    );
}
