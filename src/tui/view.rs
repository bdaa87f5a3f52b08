//! Drawing: reads the app's state, changes nothing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Tabs, Wrap};

use crate::domain::receipt::SANDBOX_WARNING;
use crate::tui::app::{App, Level, Overlay, Tab};
use crate::tui::console_font;
use crate::tui::keymap::{self, Binding};
use crate::tui::screens::orders::fitted_detail_lines;
use crate::tui::screens::{self, payment};
use crate::tui::theme::Theme;

const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

/// The smallest terminal the screens are drawn in; below it the app says what it needs.
pub const MIN_SIZE: (u16, u16) = (60, 16);

pub fn draw(app: &App, frame: &mut Frame) {
    let theme = app.theme;
    let size = frame.area();
    if size.width < MIN_SIZE.0 || size.height < MIN_SIZE.1 {
        let text = format!(
            "Make this terminal at least {}×{} (it is {}×{}).",
            MIN_SIZE.0, MIN_SIZE.1, size.width, size.height
        );
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.warn())
                .wrap(Wrap { trim: true }),
            size,
        );
        return;
    }
    // A message longer than the status line wraps onto more lines: what it says (a refund
    // due, where a file went) is never cut.
    let status_line = status_line(app);
    let status_width = usize::from(size.width.saturating_sub(HELP_HINT_WIDTH)).max(1);
    let status_rows = status_line
        .width()
        .div_ceil(status_width)
        .clamp(1, MAX_STATUS_ROWS) as u16;
    let [top, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(status_rows),
    ])
    .areas(frame.area());
    if app.session.is_none() {
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {}", app.shop_name), theme.title())),
            top,
        );
        // A kiosk checks no staff password at all: say so where staff would try.
        let greeting = if app.kiosk.is_some() {
            "Welcome. Customers log in here; staff at a till."
        } else {
            "Welcome. Please log in."
        };
        app.login.draw(frame, main, theme, greeting);
    } else {
        draw_tabs(app, frame, top);
        match app.tab {
            Tab::Catalog => app.catalog.draw(frame, main, theme),
            Tab::Cart => app.cart.draw(frame, main, theme),
            Tab::Orders => app.orders.draw(frame, main, theme),
            Tab::Pos => app.pos.draw(frame, main, theme),
            Tab::Admin => app.admin.draw(frame, main, theme),
        }
    }
    draw_status(app, status_line, frame, status);
    if let Some(overlay) = &app.overlay {
        draw_overlay(app, overlay, frame);
    }
    if theme.console_font() {
        console_font::rewrite(frame.buffer_mut());
    }
}

fn draw_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let tabs = app.tabs();
    let titles = tabs.iter().enumerate().map(|(i, tab)| {
        let extra = match tab {
            Tab::Cart if app.cart.line_count() > 0 => format!(" ({})", app.cart.line_count()),
            _ => String::new(),
        };
        Line::from(vec![
            Span::styled(format!("{}", i + 1), theme.key()),
            Span::raw(format!(" {}{extra}", tab.title())),
        ])
    });
    let selected = tabs.iter().position(|t| *t == app.tab);
    // The tabs come first; the shop's name takes what is left (each tab is its title, a
    // space either side and a divider).
    let needed: usize = titles.clone().map(|t| t.width() + 3).sum();
    let [tabs, shop] =
        Layout::horizontal([Constraint::Length(needed as u16), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(theme.selected()),
        tabs,
    );
    let name = screens::head(&app.shop_name, usize::from(shop.width));
    frame.render_widget(
        Paragraph::new(Line::styled(name, theme.title())).right_aligned(),
        shop,
    );
}

const HELP_HINT_WIDTH: u16 = 8;
const MAX_STATUS_ROWS: usize = 4;

/// Who is logged in, the database, the sandbox warning, and the last message.
fn status_line(app: &App) -> Line<'static> {
    let theme = app.theme;
    let who = match &app.session {
        Some(s) => format!(" {} ({}) ", s.username, s.role),
        None => " not logged in ".to_owned(),
    };
    let mut spans = vec![Span::styled(who, theme.selected())];
    spans.push(if app.database_ok {
        Span::styled(" db ok ", theme.ok())
    } else {
        Span::styled(" db offline ", theme.error())
    });
    if app.payments.pretend {
        spans.push(Span::styled(
            format!(" {SANDBOX_WARNING} "),
            theme
                .error()
                .add_modifier(ratatui::style::Modifier::REVERSED),
        ));
    }
    if app.busy > 0 {
        let frame = app.ticks / crate::tui::event::ANIMATION_TICKS % 4;
        spans.push(Span::raw(format!("{} ", SPINNER[frame as usize])));
    }
    if let Some(seconds) = app.idle_countdown() {
        spans.push(Span::styled(
            format!(" Still there? Logging out in {seconds} s: press any key. "),
            theme
                .warn()
                .add_modifier(ratatui::style::Modifier::REVERSED),
        ));
    }
    if let Some((message, level)) = &app.status {
        let style = match level {
            Level::Info => theme.ok(),
            Level::Error => theme.error(),
        };
        spans.push(Span::styled(message.clone(), style));
    }
    Line::from(spans)
}

fn draw_status(app: &App, line: Line<'static>, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(HELP_HINT_WIDTH)]).areas(area);
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), left);
    if app.session.is_some() {
        // On the till `?` is text for the scan line; F1 is its help.
        let key = if app.tab == Tab::Pos { "F1" } else { "?" };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(key, theme.key()),
                Span::raw(" help"),
            ]))
            .right_aligned(),
            right,
        );
    }
}

pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

fn popup(frame: &mut Frame, theme: Theme, title: &str, lines: Vec<Line<'static>>, width: u16) {
    popup_in(frame, frame.area(), theme, title, lines, width);
}

/// A titled box of `lines` centred in `area`, as tall as its wrapped lines need.
pub(crate) fn popup_in(
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
    title: &str,
    lines: Vec<Line<'_>>,
    width: u16,
) {
    let inner = usize::from(width.min(area.width).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let popup = centered(area, width, (rows as u16).saturating_add(2));
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(Line::styled(format!(" {title} "), theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}

const HELP_WIDTH: u16 = 72;

/// The help, scrolled by `scroll` lines when it is taller than the screen (the first line
/// then says how to scroll; the last says when the end is reached).
fn draw_help(app: &App, scroll: u16, frame: &mut Frame) {
    let theme = app.theme;
    let lines = help_lines(app);
    let room = usize::from(frame.area().height.saturating_sub(4)).max(3);
    if lines.len() <= room {
        return popup(frame, theme, "Keys", lines, HELP_WIDTH);
    }
    let shown = room - 1;
    let last_start = lines.len() - shown;
    let start = usize::from(scroll).min(last_start);
    let hint = if start == last_start {
        "↑ ↓ PgUp PgDn scroll · end of the list"
    } else {
        "↑ ↓ PgUp PgDn scroll · more below"
    };
    let mut visible = vec![Line::styled(hint, theme.dim())];
    visible.extend(lines.into_iter().skip(start).take(shown));
    popup(frame, theme, "Keys", visible, HELP_WIDTH);
}

fn help_lines(app: &App) -> Vec<Line<'static>> {
    let screen: &[Binding] = match (app.session.is_some(), app.tab) {
        (false, _) => keymap::LOGIN,
        (true, Tab::Catalog) => keymap::CATALOG,
        (true, Tab::Cart) => keymap::CART,
        (true, Tab::Orders) => keymap::ORDERS,
        (true, Tab::Pos) => keymap::POS,
        (true, Tab::Admin) => keymap::ADMIN,
    };
    screen
        .iter()
        .chain(keymap::GLOBAL)
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>10}  ", b.label), app.theme.key()),
                Span::raw(b.help),
            ])
        })
        .chain(std::iter::once(Line::styled(
            "Esc closes this help.",
            app.theme.dim(),
        )))
        .collect()
}

pub(crate) fn field_lines(
    theme: Theme,
    prompt: String,
    value: &str,
    error: &Option<String>,
) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::raw(prompt),
        Line::styled(format!("{value:<30}"), theme.selected()),
    ];
    lines.push(match error {
        Some(e) => Line::styled(e.clone(), theme.error()),
        None => Line::styled("Enter to confirm, Esc to cancel", theme.dim()),
    });
    lines
}

/// What quitting keeps and what it loses: a cart is saved; a sale on the till is not.
/// The question before quitting or logging out (`verb`): what stays and what is lost.
fn leave_lines(app: &App, question: &str, verb: &str) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw(question.to_owned())];
    if !app.pos.sale.lines.is_empty() {
        lines.push(Line::styled(
            format!(
                "The sale on the till ({}) will be lost: F4 holds it.",
                app.pos.sale.total()
            ),
            app.theme.warn(),
        ));
    }
    if !app.pos.held.is_empty() {
        lines.push(Line::raw(format!(
            "{} held sale(s) are kept for you (F5 after logging in).",
            app.pos.held.len()
        )));
    }
    lines.push(Line::raw(format!("y / Enter: {verb}   n / Esc: stay")));
    lines
}

fn draw_overlay(app: &App, overlay: &Overlay, frame: &mut Frame) {
    let theme = app.theme;
    match overlay {
        Overlay::Help { scroll } => draw_help(app, *scroll, frame),
        Overlay::ConfirmQuit => popup(
            frame,
            theme,
            "Quit?",
            leave_lines(app, "Leave ByteMtaani Terminal? Your cart is kept.", "quit"),
            58,
        ),
        Overlay::ConfirmCancel(_) => popup(
            frame,
            theme,
            "Cancel the order?",
            vec![
                Line::raw("Its items go back on the shelf; a payment waiting is ended."),
                Line::raw("y / Enter: cancel it   n / Esc: keep it"),
            ],
            64,
        ),
        Overlay::ConfirmLogout => popup(
            frame,
            theme,
            "Log out?",
            leave_lines(app, "Log out of this terminal?", "log out"),
            58,
        ),
        Overlay::Quantity {
            name, input, error, ..
        } => popup(
            frame,
            theme,
            "Add to cart",
            field_lines(theme, format!("How many {name}?"), input.value(), error),
            50,
        ),
        Overlay::PriceRange { input, error } => popup(
            frame,
            theme,
            "Price range",
            field_lines(
                theme,
                "From-to in KSh, e.g. 100-5000, -500 or 1000-".into(),
                input.value(),
                error,
            ),
            54,
        ),
        Overlay::Checkout {
            method, placing, ..
        } => {
            let total = app
                .cart
                .cart
                .as_ref()
                .map(|c| c.total())
                .unwrap_or_default();
            let mut lines = vec![
                Line::from(vec![
                    Span::raw("Total "),
                    Span::styled(total.to_string(), theme.money()),
                ]),
                Line::raw(""),
                Line::raw(if app.payments.offered.is_empty() {
                    "No way to pay on this screen: the order waits for the till.".to_owned()
                } else {
                    format!("Pay with:  {}", payment::choices(&app.payments.offered))
                }),
            ];
            if !app.payments.offered.is_empty() {
                lines.push(Line::from(vec![
                    Span::raw("Chosen:    "),
                    Span::styled(method.label(), theme.selected()),
                ]));
            }
            lines.push(Line::raw(""));
            lines.push(if *placing {
                Line::styled("Placing the order…", theme.dim())
            } else {
                Line::styled(
                    "Enter: place the order   Esc: back to the cart",
                    theme.dim(),
                )
            });
            popup(frame, theme, "Check out", lines, 56);
        }
        Overlay::Payment(flow) => popup(frame, theme, "Pay", flow.lines(theme), 66),
        Overlay::KioskExit(screen) => {
            let area = centered(frame.area(), 64, 14);
            frame.render_widget(Clear, area);
            screen.draw(frame, area, theme, "An admin's password closes the kiosk.");
        }
        Overlay::Order(detail) => {
            let lines = match detail {
                Some(detail) => {
                    // Borders and the keys' line take three rows.
                    let rows = usize::from(frame.area().height).saturating_sub(3);
                    let mut lines = fitted_detail_lines(detail, theme, rows);
                    let pending = detail.order.status == crate::domain::order::OrderStatus::Pending;
                    lines.push(Line::styled(
                        match (detail.payable(), pending) {
                            (true, _) => "p: pay   c: cancel the order   Esc: close",
                            (false, true) => "c: cancel the order   Esc: close",
                            _ => "Esc: close",
                        },
                        theme.dim(),
                    ));
                    lines
                }
                None => vec![Line::styled("Loading…", theme.dim())],
            };
            popup(frame, theme, "Order", lines, 76);
        }
    }
}
