//! Time to draw a frame: the catalog (50 products) and the till, beside a bare ratatui
//! screen of the same shape (tab bar, category list, 50-row table, status line) drawn into
//! the same TestBackend size in the same run. `cargo bench --bench render`.

#[path = "../tests/common/screens.rs"]
#[allow(dead_code)]
mod screens;

use bytemtaani::domain::catalog::Page;
use bytemtaani::tui::app::{App, done};
use bytemtaani::tui::effect::Outcome;
use bytemtaani::tui::view;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::{Constraint, Layout};
use ratatui::widgets::{Block, Borders, List, Paragraph, Row, Table, Tabs};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

/// The customer's catalog holding a full page of 50 products.
fn catalog() -> App {
    let mut app = screens::logged_in();
    let items = (0..50)
        .map(|n| {
            let name = format!("Oraimo Power Bank {n}0000mAh Fast Charge");
            screens::product(5 + n, &name, 299_900 + n as i64 * 100, n as i32)
        })
        .collect();
    let generation = app.catalog.generation;
    app.update(done(Outcome::Products {
        generation,
        append: false,
        result: Ok(Page { items, next: None }),
    }));
    app
}

/// What performance.md's baseline draws: no app state, only widgets.
fn bare(frame: &mut ratatui::Frame) {
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let [left, right] =
        Layout::horizontal([Constraint::Length(20), Constraint::Min(0)]).areas(body);
    frame.render_widget(Tabs::new(["1 Catalog", "2 Cart", "3 Orders"]), tabs);
    frame.render_widget(
        List::new(["Phones", "Groceries", "Household"])
            .block(Block::default().borders(Borders::ALL).title("Categories")),
        left,
    );
    let rows = (0..50).map(|n| {
        Row::new([
            format!("Oraimo Power Bank {n}0000mAh Fast Charge"),
            format!("KES {}.00", 2_999 + n),
            n.to_string(),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(20),
            Constraint::Length(14),
            Constraint::Length(6),
        ],
    )
    .header(Row::new(["Name", "Price", "Stock"]))
    .block(Block::default().borders(Borders::ALL).title("Products"));
    frame.render_widget(table, right);
    frame.render_widget(Paragraph::new("wanjiku · customer · db ok"), status);
}

fn draw(c: &mut Criterion) {
    let catalog = catalog();
    let till = screens::till();
    for (width, height) in SIZES {
        let mut group = c.benchmark_group(format!("draw {width}x{height}"));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        group.bench_function("bare table", |b| {
            b.iter(|| terminal.draw(bare).unwrap().area)
        });
        group.bench_function("catalog", |b| {
            b.iter(|| terminal.draw(|f| view::draw(&catalog, f)).unwrap().area)
        });
        group.bench_function("till", |b| {
            b.iter(|| terminal.draw(|f| view::draw(&till, f)).unwrap().area)
        });
        group.finish();
    }
}

criterion_group!(benches, draw);
criterion_main!(benches);
