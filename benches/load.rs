//! Load on a seeded database, through the service layer, for scripts/bench.sh (which seeds
//! the million products, runs pgbench beside it, and prints the ratios).
//!
//!   cargo bench --bench load -- checkout TERMINALS SECONDS HOT [etims]   (HOT: 0, or 20
//!                                       products; etims: receipts read their invoice)
//!   cargo bench --bench load -- search TERMINALS ROUNDS
//!   cargo bench --bench load -- startup BINARY CONFIG
//!   cargo bench --bench load -- scan BINARY CONFIG SCANS
//!   cargo bench --bench load -- flood BINARY CONFIG REQUESTS
//!   cargo bench --bench load -- sessions BINARY CONFIG SESSIONS SECONDS
//!   cargo bench --bench load -- openssh BINARY CONFIG SESSIONS SECONDS   (one app per session)
//!
//! DATABASE_URL names the seeded database. Each line of output is `key=value` pairs.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytemtaani::config::Settings;
use bytemtaani::db;
use bytemtaani::domain::Money;
use bytemtaani::domain::catalog::{Cursor, ProductQuery, Sort};
use bytemtaani::domain::order::OrderLine;
use bytemtaani::domain::user::Actor;
use bytemtaani::service::Services;
use bytemtaani::service::pos::{Sale, Tender};
use bytemtaani::tui::effect::SEARCH_DEBOUNCE;
use sqlx::PgPool;
use uuid::Uuid;

fn main() -> Result<()> {
    // cargo bench appends `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.is_empty() {
        // `cargo test --all-targets` runs every bench once without arguments: there is
        // nothing to measure without a seeded database (scripts/bench.sh brings one).
        println!("load: nothing to do without arguments; see scripts/bench.sh");
        return Ok(());
    }
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL names the bench database")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["checkout", terminals, seconds, hot, ref etims @ ..] => runtime.block_on(checkout(
            &url,
            terminals.parse()?,
            Duration::from_secs(seconds.parse()?),
            hot.parse()?,
            etims == ["etims"],
        )),
        ["search", terminals, rounds, pace] => runtime.block_on(search(
            &url,
            terminals.parse()?,
            rounds.parse()?,
            Pace::parse(pace)?,
        )),
        ["startup", binary, config] => startup(binary, config),
        ["scan", binary, config, scans] => {
            runtime.block_on(scan(&url, binary, config, scans.parse()?))
        }
        ["flood", binary, config, requests] => {
            runtime.block_on(flood(binary, config, requests.parse()?))
        }
        ["sessions", binary, config, n, seconds] => runtime.block_on(sessions(
            &url,
            binary,
            config,
            n.parse()?,
            Duration::from_secs(seconds.parse()?),
            Front::Serve,
        )),
        ["openssh", binary, config, n, seconds] => runtime.block_on(sessions(
            &url,
            binary,
            config,
            n.parse()?,
            Duration::from_secs(seconds.parse()?),
            Front::OpenSsh,
        )),
        _ => bail!(
            "usage: load checkout N SECONDS HOT | search N ROUNDS flat-out|typing | startup BINARY CONFIG | scan BINARY CONFIG SCANS | flood BINARY CONFIG REQUESTS | sessions BINARY CONFIG SESSIONS SECONDS | openssh BINARY CONFIG SESSIONS SECONDS"
        ),
    }
}

/// A terminal: its own services on its own single connection, like one till process,
/// working as the till role.
/// A till; with `etims`, one of a shop with eTIMS on (each receipt reads its invoice).
async fn terminal(url: &str, etims: bool) -> Result<(Services, PgPool)> {
    let pool = db::connect(url, 1).await?;
    // As a till works: every transaction becomes the till role and names its session.
    let till = db::Db::from(pool.clone()).working_as(db::TerminalRole::Till);
    let mut settings = Settings::built_in();
    if etims {
        settings.etims.mode = "sandbox".into();
    }
    Ok((Services::new(till, settings.setup()?), pool))
}

/// Products to sell: the 20 hot ones (`bench_ids.n` 1..20) or the well-stocked rest.
async fn products(pool: &PgPool, hot: i64) -> Result<Vec<(Uuid, Money)>> {
    let rows: Vec<(Uuid, rust_decimal::Decimal)> = sqlx::query_as(
        "select p.id, p.price from bench_ids b join products p on p.id = b.id
         where ($1 > 0 and b.n <= $1) or ($1 = 0 and b.n > 20) order by b.n",
    )
    .bind(hot)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, price)| (id, Money::new(price)))
        .collect())
}

/// Three different products, picked the way the pgbench script picks them.
fn three(pick: &[(Uuid, Money)], r: u64) -> [(Uuid, Money); 3] {
    let n = pick.len() as u64;
    let a = r % n;
    let b = (a + 1 + (r / n) % (n / 2 - 1)) % n;
    let c = (a + n / 2 + (r / n / n) % (n / 2)) % n;
    [pick[a as usize], pick[b as usize], pick[c as usize]]
}

async fn checkout(url: &str, terminals: usize, run: Duration, hot: i64, etims: bool) -> Result<()> {
    let pool = db::connect(url, 2).await?;
    let pick = products(&pool, hot).await?;
    let mut tills = Vec::new();
    for _ in 0..terminals {
        let (s, _) = terminal(url, etims).await?;
        let cashier: Actor = s.auth.login("cashier", "duka-till-2026").await?.into();
        // The terminals share the cashier's one shift: no till sale without it.
        if s.shifts.current(&cashier).await?.is_none() {
            s.shifts.open(&cashier, "0").await?;
        }
        tills.push((s, cashier));
    }
    let started = Instant::now() + Duration::from_millis(500);
    let deadline = started + run;
    let mut tasks = Vec::new();
    for (t, (s, cashier)) in tills.into_iter().enumerate() {
        let pick = pick.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(started.into()).await;
            let mut latencies = Vec::new();
            let mut refused = 0u64;
            let mut r = (t as u64 + 1) * 0x9E37_79B9_7F4A_7C15;
            while Instant::now() < deadline {
                r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let lines: Vec<OrderLine> = three(&pick, r >> 11)
                    .into_iter()
                    .map(|(product_id, price)| OrderLine {
                        product_id,
                        quantity: 1,
                        agreed_price: price,
                    })
                    .collect();
                let total = lines.iter().map(|l| l.agreed_price).sum();
                let sale = Sale {
                    key: Uuid::new_v4(),
                    customer: None,
                    lines,
                    discounts: Vec::new(),
                    approval: None,
                    tender: Tender::Cash { handed: total },
                };
                let began = Instant::now();
                match s.pos.sell(&cashier, sale).await {
                    Ok(_) => latencies.push(began.elapsed()),
                    Err(_) => refused += 1,
                }
            }
            (latencies, refused)
        }));
    }
    let mut latencies = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let (mine, no) = task.await?;
        latencies.extend(mine);
        refused += no;
    }
    let tps = latencies.len() as f64 / run.as_secs_f64();
    println!(
        "checkout terminals={terminals} hot={hot} etims={etims} sales={} refused={refused} tps={tps:.0} p50_ms={:.2} p99_ms={:.2}",
        latencies.len(),
        quantile(&mut latencies, 0.50),
        quantile(&mut latencies, 0.99),
    );
    Ok(())
}

fn quantile(samples: &mut [Duration], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    let at = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[at].as_secs_f64() * 1000.0
}

/// What customers type, a keystroke at a time (the screen searches from the second letter).
const PHRASES: [&str; 4] = [
    "tecno smartphone",
    "oraimo power bank",
    "ketepa tea leaves",
    "sunking solar lamp",
];

/// How fast a terminal sends its queries.
#[derive(Clone, Copy, PartialEq)]
enum Pace {
    /// Each query as soon as the last one answered: a stress test, far more queries than
    /// four people type.
    FlatOut,
    /// As a person typing quickly: the catalog screen sends at most one query per search
    /// debounce (keystrokes closer together are one query).
    Typing,
}

impl Pace {
    /// As given on the command line and printed in the results.
    fn name(self) -> &'static str {
        match self {
            Pace::FlatOut => "flat-out",
            Pace::Typing => "typing",
        }
    }

    fn parse(s: &str) -> Result<Pace> {
        match [Pace::FlatOut, Pace::Typing]
            .into_iter()
            .find(|p| p.name() == s)
        {
            Some(pace) => Ok(pace),
            None => bail!("pace: flat-out or typing, not {s}"),
        }
    }

    /// Waits out the rest of a query's turn.
    async fn rest(self, took: Duration) {
        if self == Pace::Typing {
            tokio::time::sleep(SEARCH_DEBOUNCE.saturating_sub(took)).await;
        }
    }
}

/// Every keystroke's query through the service layer, then the same queries sent bare by
/// the db layer (the statement the service sends, without it), each by `terminals` at once.
async fn search(url: &str, terminals: usize, rounds: usize, pace: Pace) -> Result<()> {
    let pool = db::connect(url, 1).await?;
    let categories: Vec<Uuid> = sqlx::query_scalar("select id from categories order by name")
        .fetch_all(&pool)
        .await?;
    for bare in [false, true] {
        let mut one_word = Vec::new();
        let mut more_words = Vec::new();
        let mut pages = Vec::new();
        let mut tasks = Vec::new();
        for t in 0..terminals {
            let (s, pool) = terminal(url, false).await?;
            let phrase = PHRASES[t % PHRASES.len()];
            let category = categories[t % categories.len()];
            tasks.push(tokio::spawn(async move {
                let mut typed = Vec::new();
                let mut paged = Vec::new();
                // A new connection plans the search once (BENCHMARKS.md); that first query
                // is reported on its own and a warm-up round goes unmeasured.
                let first = ProductQuery {
                    text: phrase[..2].to_owned(),
                    ..Default::default()
                };
                let cold = timed(&s, &pool, &first, bare, pace).await?.0;
                for round in 0..=rounds {
                    if round == 1 {
                        typed.clear();
                        paged.clear();
                    }
                    for end in 2..=phrase.len() {
                        let text = phrase[..end].to_owned();
                        let several = text.trim().contains(' ');
                        let query = ProductQuery {
                            text,
                            ..Default::default()
                        };
                        typed.push((several, timed(&s, &pool, &query, bare, pace).await?.0));
                    }
                    // A category browsed by price, ten pages on through keyset cursors.
                    let mut after: Option<Cursor> = None;
                    for _ in 0..10 {
                        let query = ProductQuery {
                            category_id: Some(category),
                            sort: Sort::PriceLowHigh,
                            after: after.clone(),
                            ..Default::default()
                        };
                        let (took, next) = timed(&s, &pool, &query, bare, pace).await?;
                        paged.push(took);
                        after = next;
                    }
                }
                anyhow::Ok((cold, typed, paged))
            }));
        }
        let mut colds = Vec::new();
        for task in tasks {
            let (cold, typed, paged) = task.await??;
            colds.push(cold);
            for (several, took) in typed {
                if several {
                    &mut more_words
                } else {
                    &mut one_word
                }
                .push(took);
            }
            pages.extend(paged);
        }
        let via = if bare { "bare" } else { "service" };
        let paced = pace.name();
        println!(
            "search via={via} pace={paced} kind=first_query_of_a_connection terminals={terminals} worst_ms={:.2}",
            quantile(&mut colds, 1.0)
        );
        for (what, samples) in [
            ("one_word", &mut one_word),
            ("more_words", &mut more_words),
            ("category_pages", &mut pages),
        ] {
            println!(
                "search via={via} pace={paced} kind={what} terminals={terminals} queries={} p50_ms={:.2} p99_ms={:.2}",
                samples.len(),
                quantile(samples, 0.50),
                quantile(samples, 0.99),
            );
        }
    }
    Ok(())
}

/// One query's time, and the cursor to the page after it.
async fn timed(
    s: &Services,
    pool: &PgPool,
    query: &ProductQuery,
    bare: bool,
    pace: Pace,
) -> Result<(Duration, Option<Cursor>)> {
    let began = Instant::now();
    let next = if bare {
        let probe = ProductQuery {
            limit: query.limit + 1,
            ..query.clone()
        };
        let rows = db::products::search(&mut *pool.acquire().await?, &probe).await?;
        rows.get(query.limit as usize - 1)
            .map(|last| Cursor::after(last, query.sort))
    } else {
        s.catalog.search(query).await?.next
    };
    let took = began.elapsed();
    pace.rest(took).await;
    Ok((took, next))
}

/// Start to first frame, and the most memory the app held after logging in and paging
/// through the catalog. The baseline: the same pseudo-terminal showing a shell's `printf`.
fn startup(binary: &str, config: &str) -> Result<()> {
    let mut shell = Pty::spawn("sh", &["-c", "printf 'Log in'; sleep 5"])?;
    let baseline = shell.until("Log in", Duration::from_secs(5))?;
    let mut app = Pty::spawn(binary, &["--config", config])?;
    let first_frame = app.until("Log in", Duration::from_secs(5))?;
    app.send("wanjiku\tduka-kiosk-2026\r")?;
    app.until("KSh", Duration::from_secs(10))?;
    for _ in 0..20 {
        app.send("\x1b[6~")?; // PgDn: pages load as the selection nears the end
        std::thread::sleep(Duration::from_millis(100));
        app.pump();
    }
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "startup first_frame_ms={:.1} baseline_ms={:.1} peak_rss_mb={:.1} rss_after_browsing_mb={:.1}",
        first_frame.as_secs_f64() * 1000.0,
        baseline.as_secs_f64() * 1000.0,
        mb(app.memory_kb("VmHWM:")?),
        mb(app.memory_kb("VmRSS:")?),
    );
    Ok(())
}

/// Scan to line on screen: the release binary in a pseudo-terminal, the cashier logged in at
/// the till; each SKU is written as a barcode scanner types it (the code and Enter in one
/// burst) and timed until the till shows one more item. The sale is voided every 20 scans.
/// Beside it, in the same run, the bare SKU lookup (`db::products::by_sku`) of the same SKUs.
async fn scan(url: &str, binary: &str, config: &str, scans: usize) -> Result<()> {
    let pool = db::connect(url, 1).await?;
    let skus: Vec<String> = sqlx::query_scalar(
        "select sku from products where not is_archived and stock_quantity >= 100
         order by random() limit $1",
    )
    .bind(i64::try_from(scans)?)
    .fetch_all(&pool)
    .await?;
    let mut app = Pty::spawn(binary, &["--config", config])?;
    app.until("Log in", Duration::from_secs(5))?;
    app.send("cashier\tduka-till-2026\r")?;
    app.until("Scan or type SKU", Duration::from_secs(10))?;
    let mut on_screen = Vec::with_capacity(skus.len());
    for (i, sku) in skus.iter().enumerate() {
        let items = i % 20 + 1;
        let sent = Instant::now();
        app.send(&format!("{sku}\r"))?;
        app.until_since(sent, Duration::from_secs(5), |s| {
            items_shown(s) == Some(items)
        })?;
        on_screen.push(sent.elapsed());
        if items == 20 {
            app.send("\x1b[20~")?; // F9: void the sale
            app.send("y")?;
            app.until_since(Instant::now(), Duration::from_secs(5), |s| {
                items_shown(s) == Some(0)
            })?;
        }
    }
    let mut lookups = Vec::with_capacity(skus.len());
    for sku in &skus {
        let began = Instant::now();
        db::products::by_sku(&pool, sku)
            .await?
            .context("a bench SKU vanished")?;
        lookups.push(began.elapsed());
    }
    let (scan_p99, lookup_p99) = (quantile(&mut on_screen, 0.99), quantile(&mut lookups, 0.99));
    println!(
        "scan scans={} screen_p50_ms={:.2} screen_p99_ms={scan_p99:.2} lookup_p50_ms={:.2} lookup_p99_ms={lookup_p99:.2} ratio_p99={:.1}",
        skus.len(),
        quantile(&mut on_screen, 0.50),
        quantile(&mut lookups, 0.50),
        scan_p99 / lookup_p99,
    );
    Ok(())
}

/// The callback receiver's memory under a flood: `requests` clients at once, each posting a
/// 1.9 MB JSON body (Daraja's callbacks are about 1 KB), against the receiver's memory
/// before the flood, in the same run; then its memory once the flood is over.
async fn flood(binary: &str, config: &str, requests: usize) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = "127.0.0.1:18089";
    let mut receiver = std::process::Command::new(binary)
        .args(["--config", config, "callbacks", "--listen", address])
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let pid = receiver.id();
    let kb = |field: &str| -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .context("no such field")?;
        Ok(line.split_whitespace().nth(1).context("kB")?.parse()?)
    };
    while tokio::net::TcpStream::connect(address).await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle = kb("VmRSS:")?;
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(1_900_000));
    let head = format!(
        "POST /mpesa/callback HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let began = Instant::now();
    let clients: Vec<_> = (0..requests)
        .map(|_| {
            let (head, body) = (head.clone(), body.clone());
            tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(address).await?;
                stream.write_all(head.as_bytes()).await?;
                let _ = stream.write_all(body.as_bytes()).await; // cut off at the limit
                let mut answer = Vec::new();
                let _ = stream.read_to_end(&mut answer).await;
                anyhow::Ok(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 413"))
            })
        })
        .collect();
    let mut refused = 0;
    for client in clients {
        refused += usize::from(client.await?.unwrap_or(false));
    }
    let took = began.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "flood requests={requests} refused_413={refused} seconds={:.1} idle_rss_mb={:.1} peak_rss_mb={:.1} after_rss_mb={:.1}",
        took.as_secs_f64(),
        mb(idle),
        mb(kb("VmHWM:")?),
        mb(kb("VmRSS:")?),
    );
    receiver.kill()?;
    Ok(())
}

/// The till's item count ("Items    3") on a screen.
fn items_shown(screen: &str) -> Option<usize> {
    let (_, rest) = screen.split_once("Items    ")?;
    rest.split_whitespace().next()?.parse().ok()
}

struct Pty {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    parser: vt100::Parser,
    output: mpsc::Receiver<Vec<u8>>,
    input: Box<dyn Write + Send>,
    started: Instant,
}

impl Pty {
    fn spawn(program: &str, args: &[&str]) -> Result<Pty> {
        use portable_pty::{CommandBuilder, PtySize, native_pty_system};
        let pair = native_pty_system().openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })?;
        let mut command = CommandBuilder::new(program);
        command.args(args);
        for (name, value) in std::env::vars() {
            command.env(name, value);
        }
        command.env("TERM", "xterm-256color");
        let started = Instant::now();
        let child = pair.slave.spawn_command(command)?;
        let mut reader = pair.master.try_clone_reader()?;
        let (sender, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || sender.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let input = pair.master.take_writer()?;
        // The master must outlive the child's use of the terminal.
        std::mem::forget(pair.master);
        Ok(Pty {
            child,
            parser: vt100::Parser::new(30, 100, 0),
            output,
            input,
            started,
        })
    }

    fn pump(&mut self) {
        while let Ok(bytes) = self.output.try_recv() {
            // crossterm asks where the cursor is; answer like a terminal would.
            if bytes.windows(4).any(|w| w == b"\x1b[6n") {
                let _ = self.input.write_all(b"\x1b[1;1R");
            }
            self.parser.process(&bytes);
        }
    }

    /// Time from spawning until the screen shows `text`.
    fn until(&mut self, text: &str, limit: Duration) -> Result<Duration> {
        let since = self.started;
        self.until_since(since, limit + Duration::from_secs(30), |screen| {
            screen.contains(text)
        })
    }

    /// Time from `since` until the screen is `done`, watched closely (every 100 µs).
    fn until_since(
        &mut self,
        since: Instant,
        limit: Duration,
        done: impl Fn(&str) -> bool,
    ) -> Result<Duration> {
        while since.elapsed() < limit {
            self.pump();
            if done(&self.parser.screen().contents()) {
                return Ok(since.elapsed());
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        bail!("never showed:\n{}", self.parser.screen().contents())
    }

    fn send(&mut self, keys: &str) -> Result<()> {
        self.input.write_all(keys.as_bytes())?;
        self.input.flush()?;
        Ok(())
    }

    /// A memory figure of the child from /proc (VmHWM: the peak resident set).
    fn memory_kb(&mut self, field: &str) -> Result<u64> {
        let pid = self.child.process_id().context("no pid")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .with_context(|| format!("no {field}"))?;
        Ok(line
            .split_whitespace()
            .nth(1)
            .context("a number of kB")?
            .parse()?)
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A process's resident memory (kB) and CPU time so far, from /proc.
fn process_use(pid: u32) -> Result<(u64, Duration)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .context("VmRSS")?
        .parse()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // utime and stime are the 14th and 15th fields, after the command in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok((rss, Duration::from_millis(ticks * 10)))
}

struct Trusting;

impl russh::client::Handler for Trusting {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One kiosk's SSH session as the bench drives it.
struct Session {
    channel: russh::Channel<russh::client::Msg>,
    screen: vt100::Parser,
    _handle: russh::client::Handle<Trusting>,
}

impl Session {
    async fn open(
        port: u16,
        user: &str,
        key: std::sync::Arc<russh::keys::PrivateKey>,
    ) -> Result<Session> {
        let config = std::sync::Arc::new(russh::client::Config::default());
        let mut handle = russh::client::connect(config, ("127.0.0.1", port), Trusting).await?;
        let key = russh::keys::PrivateKeyWithHashAlg::new(key, None);
        if !handle.authenticate_publickey(user, key).await?.success() {
            bail!("the kiosk key was refused");
        }
        let channel = handle.channel_open_session().await?;
        channel
            .request_pty(false, "xterm", 100, 30, 0, 0, &[])
            .await?;
        channel.request_shell(false).await?;
        Ok(Session {
            channel,
            screen: vt100::Parser::new(30, 100, 0),
            _handle: handle,
        })
    }

    /// The next bytes the server sends.
    async fn next_frame(&mut self) -> Result<()> {
        loop {
            match tokio::time::timeout(Duration::from_secs(30), self.channel.wait()).await {
                Ok(Some(russh::ChannelMsg::Data { data })) => {
                    self.screen.process(&data);
                    return Ok(());
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => bail!("the session ended or stalled"),
            }
        }
    }

    async fn until(&mut self, wanted: &str) -> Result<()> {
        while !self.screen.screen().contents().contains(wanted) {
            self.next_frame().await?;
        }
        Ok(())
    }

    /// Sends one key and waits until the search box shows `text`: keystroke to frame, at
    /// the client. What came before it (the last search's results, the spinner) is taken in
    /// first, so it is never mistaken for this key's frame.
    async fn key(&mut self, bytes: &[u8], text: &str) -> Result<Duration> {
        while let Ok(Some(msg)) =
            tokio::time::timeout(Duration::from_millis(1), self.channel.wait()).await
        {
            if let russh::ChannelMsg::Data { data } = msg {
                self.screen.process(&data);
            }
        }
        let sent = Instant::now();
        self.channel.data_bytes(bytes.to_vec()).await?;
        let shown = format!("Search: {text}").trim_end().to_owned();
        while !self
            .screen
            .screen()
            .contents()
            .lines()
            .any(|line| line.trim_end().ends_with(&shown))
        {
            self.next_frame().await?;
        }
        Ok(sent.elapsed())
    }
}

/// The SSH server the kiosks reach: the app's own shop server, or OpenSSH starting one
/// app process per session (the README's alternative set-up, each process with its own pool).
enum Front {
    Serve,
    OpenSsh,
}

/// A front running on a loopback port, and how to read its processes' use.
struct Running {
    port: u16,
    user: String,
    /// The processes whose memory and CPU count: the server, or all OpenSSH runs for the
    /// sessions (its per-connection processes and the apps).
    processes: Box<dyn Fn() -> Vec<u32>>,
    child: std::process::Child,
    /// OpenSSH's own files, removed at the end.
    dir: Option<std::path::PathBuf>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

const BENCH_APP: &str = "bytemtaani-bench-front";

async fn start_front(
    front: &Front,
    url: &str,
    binary: &str,
    config: &str,
    public: &str,
) -> Result<Running> {
    let port = 12222;
    let database = format!("{url}?application_name={BENCH_APP}");
    let (child, user, dir) = match front {
        Front::Serve => {
            let child = std::process::Command::new(binary)
                .args(["--config", config, "serve", "--listen"])
                .arg(format!("127.0.0.1:{port}"))
                .env("DATABASE_URL", &database)
                .stdout(std::process::Stdio::null())
                .spawn()?;
            (child, "kiosk".to_owned(), None)
        }
        Front::OpenSsh => {
            let dir = std::env::temp_dir().join(format!("bench-openssh-{}", Uuid::new_v4()));
            std::fs::create_dir(&dir)?;
            let d = dir.display();
            let host = dir.join("host_key");
            let keygen = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&host)
                .status()?;
            anyhow::ensure!(keygen.success(), "ssh-keygen failed");
            let forced = format!(
                "env HOME={d} NO_COLOR=1 DATABASE_URL={database} {binary} --config {config} --kiosk"
            );
            std::fs::write(
                dir.join("authorized_keys"),
                format!("restrict,pty,command=\"{forced}\" {public}\n"),
            )?;
            std::fs::write(
                dir.join("sshd_config"),
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\n\
                     AuthorizedKeysFile {d}/authorized_keys\nPidFile {d}/sshd.pid\n\
                     PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                     PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n\
                     MaxStartups 1000\nLogLevel QUIET\n"
                ),
            )?;
            let _ = std::fs::create_dir_all("/run/sshd");
            let child = std::process::Command::new("/usr/sbin/sshd")
                .args(["-D", "-f"])
                .arg(dir.join("sshd_config"))
                .spawn()?;
            let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
            (child, user, Some(dir))
        }
    };
    let processes: Box<dyn Fn() -> Vec<u32>> = match front {
        Front::Serve => {
            let pid = child.id();
            Box::new(move || vec![pid])
        }
        Front::OpenSsh => {
            let sshd = child.id();
            Box::new(move || descendants(sshd))
        }
    };
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Running {
        port,
        user,
        processes,
        child,
        dir,
    })
}

/// Every process below `pid` (OpenSSH's per-connection processes, their shells and apps).
fn descendants(pid: u32) -> Vec<u32> {
    let children: Vec<u32> = std::process::Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .map(|o| {
            let out = String::from_utf8_lossy(&o.stdout);
            out.lines().filter_map(|l| l.parse().ok()).collect()
        })
        .unwrap_or_default();
    children
        .iter()
        .flat_map(|&child| std::iter::once(child).chain(descendants(child)))
        .collect()
}

/// Memory (kB) and CPU time of several processes together; one that ended counts nothing.
fn processes_use(pids: &[u32]) -> (u64, Duration) {
    pids.iter()
        .filter_map(|&pid| process_use(pid).ok())
        .fold((0, Duration::ZERO), |(kb, cpu), (k, c)| (kb + k, cpu + c))
}

/// `n` kiosks through `front`, each a real SSH client: all log in, then for `run` each
/// types into the catalog search a letter at a time at a person's pace (a key every
/// 250–450 ms, words of five letters then cleared). Keystroke to frame is timed at the
/// client; memory and CPU come from /proc (the shop server's, or every app process's behind
/// OpenSSH), connections from PostgreSQL. Sessions that could not log in or broke off are
/// counted, not fatal: OpenSSH's set-up is measured as far as it goes.
async fn sessions(
    url: &str,
    binary: &str,
    config: &str,
    n: usize,
    run: Duration,
    front: Front,
) -> Result<()> {
    use std::sync::Arc;
    let pool = db::connect(url, 2).await?;
    let owner = Services::new(pool.clone(), Settings::built_in().setup()?);
    let key = Arc::new(russh::keys::PrivateKey::random(
        &mut rand::rng(),
        russh::keys::Algorithm::Ed25519,
    )?);
    let name = format!("bench-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let public = key.public_key().to_openssh()?;
    if let Front::Serve = front {
        let kiosk = bytemtaani::domain::terminal::TerminalKind::Kiosk;
        owner.terminals.add("admin", &name, kiosk, &public).await?;
    }
    let server = start_front(&front, url, binary, config, &public).await?;
    let (idle_kb, _) = processes_use(&(server.processes)());
    let began = Instant::now();
    let opening: Vec<_> = (0..n)
        .map(|_| {
            let (key, port, user) = (key.clone(), server.port, server.user.clone());
            tokio::spawn(async move {
                let mut s = Session::open(port, &user, key).await?;
                s.until("Log in").await?;
                s.channel
                    .data_bytes(b"wanjiku\tduka-kiosk-2026\r".to_vec())
                    .await?;
                s.until("Welcome, wanjiku").await?;
                s.channel.data_bytes(b"/".to_vec()).await?;
                anyhow::Ok(s)
            })
        })
        .collect();
    let mut open = Vec::with_capacity(n);
    let mut first_failure = None;
    for session in opening {
        match session.await? {
            Ok(s) => open.push(s),
            Err(err) => {
                first_failure.get_or_insert(err);
            }
        }
    }
    let logged_in = began.elapsed();
    let opened = open.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (loaded_kb, cpu_before) = processes_use(&(server.processes)());
    let connections = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from pg_stat_activity where application_name = $1",
        )
        .bind(BENCH_APP)
        .fetch_one(&pool)
        .await
    };
    let typing: Vec<_> = open
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            tokio::spawn(async move {
                let mut took = Vec::new();
                let words = ["radio", "phone", "sugar", "bread", "lampx"];
                let stop = Instant::now() + run;
                let mut k = i;
                while Instant::now() < stop {
                    let word = words[k % words.len()];
                    let typed = (1..=5).map(|n| (word.as_bytes()[n - 1], &word[..n]));
                    let cleared = (0..5).rev().map(|n| (0x7f, &word[..n]));
                    for (key, text) in typed.chain(cleared) {
                        // 250-450 ms apart, spread by session and key.
                        let pause = 250 + (k * 37 % 200) as u64;
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                        match s.key(&[key], text).await {
                            Ok(t) => took.push(t),
                            Err(_) => return (took, None),
                        }
                        k += 1;
                    }
                }
                (took, Some(s))
            })
        })
        .collect();
    let mut most_connections = connections().await?;
    while typing.iter().any(|t| !t.is_finished()) {
        most_connections = most_connections.max(connections().await?);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let pids = (server.processes)();
    let (_, cpu_after) = processes_use(&pids);
    let mut latencies = Vec::new();
    let mut still_open = Vec::new();
    for t in typing {
        let (took, s) = t.await?;
        latencies.extend(took);
        still_open.extend(s);
    }
    let keys = latencies.len();
    let per_session_kb = loaded_kb.saturating_sub(idle_kb) as f64 / opened.max(1) as f64;
    let front_name = match front {
        Front::Serve => "serve",
        Front::OpenSsh => "openssh",
    };
    println!(
        "sessions front={front_name} n={n} logged_in={opened} typed_to_end={} login_all_s={:.1} keys={keys} frame_p50_ms={:.2} frame_p99_ms={:.2} rss_idle_mb={:.1} rss_per_session_kb={per_session_kb:.0} cpu_per_key_ms={:.3} pg_connections_max={most_connections}",
        still_open.len(),
        logged_in.as_secs_f64(),
        quantile(&mut latencies.clone(), 0.50),
        quantile(&mut latencies, 0.99),
        idle_kb as f64 / 1024.0,
        (cpu_after - cpu_before).as_secs_f64() * 1000.0 / keys.max(1) as f64,
    );
    if let Some(err) = first_failure {
        println!("sessions front={front_name} first_failure={err:#}");
    }
    drop(still_open);
    drop(server);
    if let Front::Serve = front {
        owner.terminals.revoke("admin", &name).await?;
    }
    Ok(())
}
