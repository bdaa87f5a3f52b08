//! The operator's commands, run as the real binary against a fresh database.

mod common;

use std::process::{Command, Output};

use bytemtaani::domain::Error;
use common::*;
use sqlx::PgPool;

fn bytemtaani(pool: &PgPool, args: &[&str], password: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bytemtaani"));
    command.args(args);
    run(pool, command, password)
}

/// Runs `command` against the test's database, with BYTEMTAANI_PASSWORD when given.
fn run(pool: &PgPool, mut command: Command, password: Option<&str>) -> Output {
    let options = pool.connect_options();
    let url = format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    );
    command
        .env("DATABASE_URL", url)
        .env("HOME", std::env::temp_dir()) // keep test logs out of the real data directory
        .env_remove("BYTEMTAANI_PASSWORD");
    if let Some(password) = password {
        command.env("BYTEMTAANI_PASSWORD", password);
    }
    command.output().expect("run bytemtaani")
}

/// Runs the binary with `args` after `--config` naming a file that holds `toml`, removed after.
fn configured(pool: &PgPool, toml: &str, args: &[&str]) -> Output {
    let config = std::env::temp_dir().join(format!("bytemtaani-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&config, toml).unwrap();
    let mut all = vec!["--config", config.to_str().unwrap()];
    all.extend(args);
    let run = bytemtaani(pool, &all, None);
    std::fs::remove_file(&config).unwrap();
    run
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn migrate_seed_and_create_users_from_the_command_line(pool: PgPool) {
    let migrate = bytemtaani(&pool, &["migrate"], None);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    for _ in 0..2 {
        // Seeding twice adds nothing twice.
        let seed = bytemtaani(&pool, &["seed", "--demo", "--products", "200"], None);
        assert!(
            seed.status.success(),
            "{}",
            String::from_utf8_lossy(&seed.stderr)
        );
    }
    assert_eq!(
        count(&pool, "select count(*) from products where not open_price").await,
        200
    );
    assert_eq!(count(&pool, "select count(*) from categories").await, 8);
    // Every product, made by hand or generated, has one of the classes the sandbox lists:
    // with eTIMS on, KRA (and the sandbox) registers nothing without one.
    let classes: Vec<String> = bytemtaani::domain::etims::DEMO_ITEM_CLASSES
        .iter()
        .map(|(_, class, _)| class.to_string())
        .collect();
    let unclassed: i64 = sqlx::query_scalar(
        "select count(*) from products where not open_price and item_class <> all($1)",
    )
    .bind(&classes)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unclassed, 0);
    assert_eq!(
        count(
            &pool,
            "select count(*) from products where sku like 'GEN%' and name ilike '%flour%'
             and tax_type <> 'A'"
        )
        .await,
        0
    );
    assert_eq!(
        count(&pool, "select count(*) from users where is_active").await,
        3
    );

    let s = services(&pool);
    let admin = s.auth.login("admin", "duka-admin-2026").await.unwrap();
    assert_eq!(admin.role, bytemtaani::domain::user::Role::Admin);

    let create = |extra: &[&str], password| {
        let mut args = vec![
            "user",
            "create",
            "--username",
            "otieno",
            "--email",
            "otieno@example.co.ke",
        ];
        args.extend_from_slice(extra);
        bytemtaani(&pool, &args, password)
    };
    let weak = create(&["--staff"], Some("password"));
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too easy to guess"));
    let no_password = create(&["--staff"], None);
    assert!(
        !no_password.status.success(),
        "no terminal and no BYTEMTAANI_PASSWORD"
    );
    let made = create(&["--staff"], Some("till roll paper"));
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let otieno = s.auth.login("otieno", "till roll paper").await.unwrap();
    assert_eq!(otieno.role, bytemtaani::domain::user::Role::Staff);
    assert!(matches!(
        s.auth.login("otieno", "password").await,
        Err(Error::InvalidCredentials)
    ));

    // A real account now lives here: the demo's public logins are refused, unless asked
    // for by name.
    let refused = bytemtaani(&pool, &["seed", "--demo", "--products", "200"], None);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("1 account(s) the demo did not make (otieno)"),
        "{said}"
    );
    let forced = bytemtaani(
        &pool,
        &[
            "seed",
            "--demo",
            "--products",
            "200",
            "--add-demo-logins-beside-real-accounts",
        ],
        None,
    );
    assert!(forced.status.success());
    let demo: Vec<String> =
        sqlx::query_scalar("select username from users where is_demo order by username")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(demo, ["admin", "cashier", "wanjiku"]);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_callback_receiver_refuses_pretend_providers_unless_told(pool: PgPool) {
    // 192.0.2.1 (a documentation address) is not this machine's: listening fails there.
    let listen = ["callbacks", "--listen", "192.0.2.1:8089"];
    for (extra, expected) in [
        (None, "--allow-sandbox"),
        (Some("--allow-sandbox"), "listening on 192.0.2.1:8089"),
    ] {
        let mut args = listen.to_vec();
        args.extend(extra);
        let run = configured(&pool, "[payments]\nmpesa = \"sandbox\"\n", &args);
        assert!(!run.status.success());
        let said = String::from_utf8_lossy(&run.stderr);
        assert!(said.contains(expected), "{said}");
    }
}

/// Till payments confirmed by Safaricom need the secret end of their address where the
/// receiver runs (tills never need it): without it the receiver does not start.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_receiver_needs_the_till_payments_token(pool: PgPool) {
    let config = std::env::temp_dir().join(format!("bytemtaani-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&config, "[payments]\ntill_confirmations = \"daraja\"\n").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_bytemtaani"));
    command
        .args(["--config", config.to_str().unwrap()])
        .args(["callbacks", "--listen", "192.0.2.1:8089"])
        .env_remove("BYTEMTAANI_C2B_TOKEN");
    let run = run(&pool, command, None);
    std::fs::remove_file(&config).unwrap();
    assert!(!run.status.success());
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(said.contains("set BYTEMTAANI_C2B_TOKEN"), "{said}");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn migrate_hands_the_configured_login_policy_to_the_database(pool: PgPool) {
    let migrate = configured(
        &pool,
        "[login]\nmax_failures = 2\nlock_minutes = 7\n",
        &["migrate"],
    );
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let s = services(&pool);
    s.auth
        .register(bytemtaani::service::auth::NewAccount {
            username: "amina".into(),
            email: "amina@example.ke".into(),
            phone: String::new(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    for _ in 0..2 {
        let err = s.auth.login("amina", "guess guess").await.unwrap_err();
        assert_eq!(err, Error::InvalidCredentials);
    }
    let err = s.auth.login("amina", PASSWORD).await.unwrap_err();
    assert_eq!(err, Error::Locked { minutes: 7 });
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn migrate_gives_the_open_price_line_its_configured_kra_item_class(pool: PgPool) {
    let migrate_with = |class: &str| {
        let toml = format!("[etims]\nopen_price_item_class = \"{class}\"\n");
        configured(&pool, &toml, &["migrate"])
    };
    let open_price_class = || async {
        sqlx::query_scalar::<_, String>("select item_class from products where open_price")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let migrate = migrate_with("4713160000");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert_eq!(open_price_class().await, "4713160000");

    let refused = migrate_with("47-13");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("etims.open_price_item_class"), "{said}");
    assert_eq!(open_price_class().await, "4713160000", "left as it was");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn etims_init_speaks_of_kra_when_kra_cannot_be_reached(pool: PgPool) {
    // Nothing listens on port 9 here.
    let init = configured(
        &pool,
        "[etims]\nbase_url = \"http://127.0.0.1:9\"\n",
        &["etims", "init", "--serial", "DEV-1"],
    );
    assert!(!init.status.success());
    let said = String::from_utf8_lossy(&init.stderr);
    assert!(said.contains("KRA cannot be reached"), "{said}");
    assert!(!said.contains("payment provider"), "{said}");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn reconciliation_goes_by_the_database_clock_not_the_terminals(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let buyer = login_as(&s, "amina", bytemtaani::domain::user::Role::Customer).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let mut orders = Vec::new();
    for _ in 0..2 {
        s.cart.add(&buyer, bank.id, 1).await.unwrap();
        let placed = s
            .orders
            .place_from_cart(&buyer, uuid::Uuid::new_v4())
            .await
            .unwrap();
        orders.push(placed.order.id);
    }
    // The first order really is 31 minutes old; the second was placed a moment ago.
    sqlx::query("update orders set created_at = now() - interval '31 minutes' where id = $1")
        .bind(orders[0])
        .execute(&pool)
        .await
        .unwrap();

    // A terminal whose clock runs 31 minutes fast reconciles (faketime shifts its clock).
    let mut fast = Command::new("faketime");
    fast.args(["-f", "+31m", env!("CARGO_BIN_EXE_bytemtaani"), "reconcile"]);
    let reconciled = run(&pool, fast, None);
    let said = String::from_utf8_lossy(&reconciled.stdout);
    assert!(
        reconciled.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&reconciled.stderr)
    );
    assert!(said.contains("cancelled 1 unpaid order(s)"), "{said}");
    let statuses: Vec<String> = sqlx::query_scalar(
        "select status::text from orders where id = any($1) order by created_at",
    )
    .bind(&orders)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(statuses, ["cancelled", "pending"]);
}

/// Refused at start, each with what to do instead: a kiosk app holding this machine's own
/// database login; a terminal login with its role's rights without becoming the role
/// (INHERIT: the database's checks of the role would not hold for it); a shop server whose
/// login cannot become the terminal roles.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn unsafe_set_ups_are_refused_at_start(pool: PgPool) {
    let kiosk = bytemtaani(&pool, &["--kiosk"], None);
    assert!(!kiosk.status.success());
    let said = String::from_utf8_lossy(&kiosk.stderr);
    assert!(said.contains("bytemtaani serve"), "{said}");

    let login = format!("t_{}", uuid::Uuid::new_v4().simple());
    let options = pool.connect_options();
    let url = format!(
        "postgres://{login}@{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    );
    let as_login = |args: &[&str], role: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bytemtaani"));
        command
            .args(args)
            .env("DATABASE_URL", &url)
            .env("BYTEMTAANI_DB_ROLE", role)
            .env("HOME", std::env::temp_dir());
        command.output().expect("run bytemtaani")
    };
    sqlx::query(&format!(
        "create role {login} login inherit in role bytemtaani_till"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let till = as_login(&[], "till");
    let server = as_login(&["serve", "--listen", "127.0.0.1:0"], "");
    sqlx::query(&format!("drop role {login}"))
        .execute(&pool)
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&till.stderr);
    assert!(
        !till.status.success() && said.contains("noinherit"),
        "{said}"
    );
    let said = String::from_utf8_lossy(&server.stderr);
    assert!(
        !server.status.success() && said.contains("grant bytemtaani_kiosk"),
        "{said}"
    );
}

/// `bytemtaani backup` keeps the last N dumps, and a dump restored into an empty database
/// (the README's recipe: `createdb`, then `pg_restore`) holds the same rows, takes a login
/// and a sale.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_backup_restores_into_an_empty_database_that_logs_in_and_sells(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let cashier = at_till(&s, "cashier").await;
    let sale = |key| bytemtaani::service::pos::Sale {
        key,
        customer: None,
        lines: vec![bytemtaani::domain::order::OrderLine {
            product_id: radio.id,
            quantity: 1,
            agreed_price: radio.price,
        }],
        discounts: Vec::new(),
        approval: None,
        tender: bytemtaani::service::pos::Tender::Cash {
            handed: radio.price,
        },
    };
    s.pos
        .sell(&cashier, sale(uuid::Uuid::new_v4()))
        .await
        .unwrap();

    let dir = std::env::temp_dir().join(format!("backups-{}", uuid::Uuid::new_v4()));
    let to = dir.to_str().unwrap();
    for _ in 0..3 {
        let done = bytemtaani(&pool, &["backup", "--to", to, "--keep", "2"], None);
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        // Names go by the second.
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let mut dumps: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dumps.sort();
    assert_eq!(dumps.len(), 2, "{dumps:?}");

    // Restored into an empty database of the same server.
    let restored = format!("restored_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {restored}"))
        .execute(&pool)
        .await
        .unwrap();
    let options = (*pool.connect_options()).clone().database(&restored);
    let url = format!(
        "postgres://{}@{}:{}/{restored}",
        options.get_username(),
        options.get_host(),
        options.get_port()
    );
    let status = Command::new("pg_restore")
        .args(["--exit-on-error", "--dbname", &url])
        .arg(&dumps[1])
        .status()
        .unwrap();
    assert!(status.success());
    let copy = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    for table in ["products", "orders", "payments", "audit_log", "shifts"] {
        let sql = format!("select count(*) from {table}");
        assert_eq!(
            count(&copy, &sql).await,
            count(&pool, &sql).await,
            "{table}"
        );
    }
    let t = services(&copy);
    let again: bytemtaani::domain::user::Actor =
        t.auth.login("cashier", PASSWORD).await.unwrap().into();
    t.pos
        .sell(&again, sale(uuid::Uuid::new_v4()))
        .await
        .unwrap();
    assert_eq!(count(&copy, "select count(*) from orders").await, 2);
    copy.close().await;
    sqlx::query(&format!("drop database {restored} with (force)"))
        .execute(&pool)
        .await
        .unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

/// The operator's way back in: the shop's only admin is locked out and forgot the password;
/// `bytemtaani user` lists, unlocks, resets, changes a role and deactivates with no app login,
/// never leaving the shop without an admin, each change audited as the operator.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_operator_gets_an_admin_back_in_from_the_command_line(pool: PgPool) {
    let s = services(&pool);
    create_account(&s, "boss", bytemtaani::domain::user::Role::Admin).await;
    create_account(&s, "otieno", bytemtaani::domain::user::Role::Staff).await;
    for _ in 0..5 {
        assert!(s.auth.login("boss", "a wrong guess here").await.is_err());
    }
    assert!(matches!(
        s.auth.login("boss", PASSWORD).await,
        Err(Error::Locked { .. })
    ));
    let ok = |output: Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };

    let listed = ok(bytemtaani(&pool, &["user", "list"], None));
    let boss = listed.lines().find(|l| l.starts_with("boss")).unwrap();
    assert!(
        boss.contains("admin") && boss.contains("locked until"),
        "{listed}"
    );

    ok(bytemtaani(
        &pool,
        &["user", "unlock", "--username", "BOSS"],
        None,
    ));
    let new = "a fresh passphrase for the boss";
    ok(bytemtaani(
        &pool,
        &["user", "password", "--username", "boss"],
        Some(new),
    ));
    assert!(s.auth.login("boss", PASSWORD).await.is_err(), "the old one");
    assert!(s.auth.login("boss", new).await.is_ok());

    // The last admin stays: not deactivated, not demoted.
    let last = bytemtaani(&pool, &["user", "deactivate", "--username", "boss"], None);
    assert!(!last.status.success());
    assert!(String::from_utf8_lossy(&last.stderr).contains("last admin"));
    let demote = ["user", "role", "--username", "boss", "--role", "staff"];
    assert!(!bytemtaani(&pool, &demote, None).status.success());

    ok(bytemtaani(
        &pool,
        &["user", "role", "--username", "otieno", "--role", "admin"],
        None,
    ));
    ok(bytemtaani(
        &pool,
        &["user", "deactivate", "--username", "boss"],
        None,
    ));
    assert!(matches!(
        s.auth.login("boss", new).await,
        Err(Error::Inactive)
    ));
    let unknown = bytemtaani(&pool, &["user", "unlock", "--username", "nobody"], None);
    assert!(!unknown.status.success());

    let audited: Vec<(String, Option<String>, Option<uuid::Uuid>)> = sqlx::query_as(
        "select action, operator, actor_id from audit_log where entity = 'user'
         order by occurred_at, id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audited.iter().map(|(a, ..)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.unlock",
            "user.password_reset",
            "user.role",
            "user.deactivate"
        ]
    );
    assert!(
        audited
            .iter()
            .all(|(_, operator, actor)| operator.is_some() && actor.is_none()),
        "{audited:?}"
    );
    // The console's audit log names the operator.
    let admin = s.auth.login("otieno", PASSWORD).await.unwrap().into();
    let log = s.users.audit_log(&admin, "", 10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.actor_username.starts_with("operator "))
    );
}
