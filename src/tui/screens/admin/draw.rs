//! Drawing the admin console: the section bar, the section's list, its keys, popups.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Row, Tabs, Wrap};

use super::{AdminScreen, Popup, Section};
use crate::domain::audit::AuditEntry;
use crate::domain::clock::shop_time;
use crate::domain::etims::{DeviceStatus, InvoiceKind, InvoiceState, QueuedInvoice};
use crate::domain::order::short_id;
use crate::domain::payment::PaymentStatus;
use crate::domain::report::{MethodTotal, SalesReport};
use crate::tui::screens::orders::{detail_lines, local};
use crate::tui::screens::{Listing, fit};
use crate::tui::theme::Theme;
use crate::tui::view::popup_in;

impl AdminScreen {
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let [bar, warnings, main, keys] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(self.warnings.len() as u16),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(
                self.warnings
                    .iter()
                    .map(|w| Line::styled(format!("⚠ {w}"), theme.error()))
                    .collect::<Vec<_>>(),
            ),
            warnings,
        );
        // From the first title that leaves the selected one on screen (narrow terminals).
        let titles = Section::ALL.map(|s| s.title());
        let selected = self.section.index();
        let width = |from: usize| {
            titles[from..=selected]
                .iter()
                .map(|t| t.len() + 1)
                .sum::<usize>()
        };
        let first = (0..selected)
            .find(|&from| width(from) <= usize::from(bar.width))
            .unwrap_or(selected);
        frame.render_widget(
            Tabs::new(titles[first..].to_vec())
                .select(selected - first)
                .highlight_style(theme.selected())
                .padding("", " ")
                .divider(""),
            bar,
        );
        match self.section {
            Section::Reports => draw_report(self.report.as_deref(), frame, main, theme),
            Section::Etims => {
                let [device, list] =
                    Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(main);
                let lines = self.etims_device.as_ref().map(device_lines);
                frame.render_widget(
                    Paragraph::new(
                        lines
                            .into_iter()
                            .flatten()
                            .map(|l| Line::styled(l, theme.dim()))
                            .collect::<Vec<_>>(),
                    ),
                    device,
                );
                self.draw_list(frame, list, theme)
            }
            _ => self.draw_list(frame, main, theme),
        }
        frame.render_widget(
            Paragraph::new(Line::styled(hints(self.section), theme.dim())),
            keys,
        );
        if let Some(popup) = &self.popup {
            self.draw_popup(popup, frame, area, theme);
        }
    }

    fn draw_list(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let money = |m: crate::domain::Money| Line::raw(m.to_string()).right_aligned();
        let (title, header, widths, rows, selected, loaded): (
            String,
            &[&str],
            Vec<Constraint>,
            Vec<Row>,
            usize,
            bool,
        ) = match self.section {
            Section::Orders => (
                format!(" Orders{} ", describe_filter(self)),
                &["Placed", "Order", "Customer", "Items", "Total", "Status"],
                vec![
                    Constraint::Length(16),
                    Constraint::Length(8),
                    Constraint::Fill(1),
                    fit(5, self.orders.rows.iter().map(|o| o.item_count.to_string())),
                    fit(
                        13,
                        self.orders.rows.iter().map(|o| o.total_amount.to_string()),
                    ),
                    Constraint::Length(9),
                ],
                self.orders
                    .rows
                    .iter()
                    .map(|o| {
                        Row::new(vec![
                            Line::raw(local(o.created_at)),
                            Line::raw(short_id(o.id)),
                            Line::raw(o.username.clone()),
                            Line::raw(o.item_count.to_string()).right_aligned(),
                            money(o.total_amount),
                            Line::raw(o.status.to_string()),
                        ])
                    })
                    .collect(),
                self.orders.selected,
                self.orders.loaded,
            ),
            Section::Payments => (
                format!(" Payments{} ", describe_filter(self)),
                &[
                    "Created", "Order", "Customer", "Method", "Amount", "Status", "Ref",
                ],
                vec![
                    Constraint::Length(11),
                    Constraint::Length(8),
                    Constraint::Fill(1),
                    Constraint::Length(6),
                    fit(
                        13,
                        self.payments
                            .rows
                            .iter()
                            .map(|r| r.payment.amount.to_string()),
                    ),
                    Constraint::Length(10),
                    Constraint::Length(10),
                ],
                self.payments
                    .rows
                    .iter()
                    .map(|r| {
                        let p = &r.payment;
                        let status_style = match p.status {
                            PaymentStatus::Pending => theme.warn(),
                            PaymentStatus::Failed => theme.error(),
                            PaymentStatus::Successful | PaymentStatus::Refunded => Style::default(),
                        };
                        Row::new(vec![
                            Line::raw(shop_time(p.created_at).format("%d/%m %H:%M").to_string()),
                            Line::raw(short_id(p.order_id)),
                            Line::raw(r.username.clone()),
                            Line::raw(p.method.label()),
                            money(p.amount),
                            Line::styled(p.status.to_string(), status_style),
                            Line::raw(p.transaction_id.clone().unwrap_or_default()),
                        ])
                    })
                    .collect(),
                self.payments.selected,
                self.payments.loaded,
            ),
            Section::Alerts => (
                " Payment alerts: money that needs you, oldest first ".to_owned(),
                &["Raised", "What", "Order", "Amount", "Details"],
                vec![
                    Constraint::Length(11),
                    Constraint::Length(18),
                    Constraint::Length(8),
                    fit(
                        13,
                        self.alerts
                            .rows
                            .iter()
                            .map(|a| a.amount.map(|m| m.to_string()).unwrap_or_default()),
                    ),
                    Constraint::Fill(1),
                ],
                self.alerts
                    .rows
                    .iter()
                    .map(|a| {
                        Row::new(vec![
                            Line::raw(shop_time(a.raised_at).format("%d/%m %H:%M").to_string()),
                            Line::styled(a.kind.label(), theme.warn()),
                            Line::raw(a.order_id.map(short_id).unwrap_or_default()),
                            a.amount.map_or_else(|| Line::raw(""), money),
                            Line::raw(a.detail.clone()),
                        ])
                    })
                    .collect(),
                self.alerts.selected,
                self.alerts.loaded,
            ),
            Section::Products | Section::LowStock => {
                let list = self.product_list();
                let title = if self.section == Section::LowStock {
                    format!(" On sale with {} or fewer left ", self.low_threshold)
                } else {
                    let category = self
                        .product_category
                        .as_ref()
                        .map(|c| format!(" in {}", c.name))
                        .unwrap_or_default();
                    match self.product_search.as_str() {
                        "" => format!(" Products{category} (archived ones too) "),
                        text => format!(" Products{category} matching \"{text}\" "),
                    }
                };
                (
                    title,
                    &["Name", "SKU", "Category", "Stock", "Price", ""],
                    vec![
                        Constraint::Fill(2),
                        Constraint::Length(14),
                        Constraint::Fill(1),
                        fit(5, list.rows.iter().map(|p| p.stock_quantity.to_string())),
                        fit(13, list.rows.iter().map(|p| p.price.to_string())),
                        Constraint::Length(8),
                    ],
                    list.rows
                        .iter()
                        .map(|p| {
                            let stock_style = if p.stock_quantity <= self.low_threshold {
                                theme.warn()
                            } else {
                                Style::default()
                            };
                            Row::new(vec![
                                Line::raw(p.name.clone()),
                                Line::raw(p.sku.clone()),
                                Line::raw(p.category_name.clone()),
                                Line::styled(p.stock_quantity.to_string(), stock_style)
                                    .right_aligned(),
                                money(p.price),
                                Line::styled(
                                    if p.is_archived { "archived" } else { "" },
                                    theme.dim(),
                                ),
                            ])
                        })
                        .collect(),
                    list.selected,
                    list.loaded,
                )
            }
            Section::Categories => (
                " Categories ".to_owned(),
                &["Name", "Slug"],
                vec![Constraint::Fill(1), Constraint::Fill(1)],
                self.categories
                    .rows
                    .iter()
                    .map(|c| Row::new(vec![c.name.clone(), c.slug.clone()]))
                    .collect(),
                self.categories.selected,
                self.categories.loaded,
            ),
            Section::Users => (
                if self.user_search.is_empty() {
                    " Users ".to_owned()
                } else {
                    format!(" Users matching \"{}\" ", self.user_search)
                },
                &["Username", "Email", "Phone", "Role", ""],
                vec![
                    Constraint::Length(16),
                    Constraint::Fill(1),
                    Constraint::Length(13),
                    Constraint::Length(8),
                    Constraint::Length(11),
                ],
                self.users
                    .rows
                    .iter()
                    .map(|u| {
                        Row::new(vec![
                            Line::raw(u.username.clone()),
                            Line::raw(u.email.clone()),
                            Line::raw(u.phone.clone().unwrap_or_default()),
                            Line::raw(u.role().to_string()),
                            Line::styled(
                                if u.is_active { "" } else { "deactivated" },
                                theme.error(),
                            ),
                        ])
                    })
                    .collect(),
                self.users.selected,
                self.users.loaded,
            ),
            Section::Terminals => (
                " Terminals the shop's server lets in, by key ".to_owned(),
                &["Name", "Kind", "Key", "Added", "By", ""],
                vec![
                    Constraint::Length(12),
                    Constraint::Length(5),
                    Constraint::Fill(1),
                    Constraint::Length(10),
                    Constraint::Length(10),
                    Constraint::Length(7),
                ],
                self.terminals
                    .rows
                    .iter()
                    .map(|t| {
                        Row::new(vec![
                            Line::raw(t.name.clone()),
                            Line::raw(t.kind.to_string()),
                            Line::raw(t.fingerprint.clone()),
                            Line::raw(crate::domain::clock::shop_date(t.added_at).to_string()),
                            Line::raw(t.added_by.clone()),
                            Line::styled(
                                if t.revoked_at.is_some() {
                                    "revoked"
                                } else {
                                    ""
                                },
                                theme.error(),
                            ),
                        ])
                    })
                    .collect(),
                self.terminals.selected,
                self.terminals.loaded,
            ),
            Section::Audit => (
                if self.audit_filter.is_empty() {
                    " Audit log, newest first ".to_owned()
                } else {
                    format!(" Audit log: \"{}\" ", self.audit_filter)
                },
                &["When", "Who", "Action", "Details"],
                vec![
                    Constraint::Length(16),
                    Constraint::Length(12),
                    Constraint::Length(20),
                    Constraint::Fill(1),
                ],
                self.audit
                    .rows
                    .iter()
                    .map(|e| {
                        let details = match &e.subject {
                            Some(subject) => format!("{subject}: {}", e.details),
                            None => e.details.to_string(),
                        };
                        Row::new(vec![
                            local(e.occurred_at),
                            e.actor_username.clone(),
                            e.action.clone(),
                            details,
                        ])
                    })
                    .collect(),
                self.audit.selected,
                self.audit.loaded,
            ),
            Section::Shifts => (
                match self.shift_filter.cashier.is_empty() {
                    true => " Shifts, newest first ".to_owned(),
                    false => format!(" Shifts of \"{}\" ", self.shift_filter.cashier),
                },
                &[
                    "Opened",
                    "Cashier",
                    "Float",
                    "Expected",
                    "Counted",
                    "Difference",
                ],
                {
                    let shown = |m: Option<crate::domain::Money>| m.map(|m| m.to_string());
                    let rows = &self.shifts.rows;
                    vec![
                        Constraint::Length(16),
                        Constraint::Fill(1),
                        fit(5, rows.iter().map(|s| s.opening_float.to_string())),
                        fit(8, rows.iter().filter_map(|s| shown(s.expected_cash))),
                        fit(7, rows.iter().filter_map(|s| shown(s.counted_cash))),
                        fit(10, rows.iter().filter_map(|s| shown(s.difference()))),
                    ]
                },
                self.shifts
                    .rows
                    .iter()
                    .map(|s| {
                        let (counted, difference) = match (s.counted_cash, s.difference()) {
                            (Some(counted), Some(d)) => (money(counted), {
                                let style = match d.cmp(&crate::domain::Money::ZERO) {
                                    std::cmp::Ordering::Less => theme.error(),
                                    std::cmp::Ordering::Equal => theme.dim(),
                                    std::cmp::Ordering::Greater => theme.warn(),
                                };
                                Line::styled(d.to_string(), style).right_aligned()
                            }),
                            _ => (
                                Line::raw(""),
                                Line::styled("open", theme.ok()).right_aligned(),
                            ),
                        };
                        Row::new(vec![
                            Line::raw(local(s.opened_at)),
                            Line::raw(s.cashier.clone()),
                            money(s.opening_float),
                            s.expected_cash.map_or(Line::raw(""), money),
                            counted,
                            difference,
                        ])
                    })
                    .collect(),
                self.shifts.selected,
                self.shifts.loaded,
            ),
            Section::Refunds => (
                " Refunds to send back with M-Pesa or PayPal, oldest first ".to_owned(),
                &["Returned", "Receipt", "Customer", "Phone", "By", "Amount"],
                vec![
                    Constraint::Length(16),
                    Constraint::Length(9),
                    Constraint::Fill(1),
                    Constraint::Length(13),
                    Constraint::Length(7),
                    fit(6, self.refunds.rows.iter().map(|r| r.amount.to_string())),
                ],
                self.refunds
                    .rows
                    .iter()
                    .map(|r| {
                        Row::new(vec![
                            Line::raw(local(r.returned_at)),
                            Line::raw(short_id(r.order_id)),
                            Line::raw(r.customer.clone()),
                            Line::raw(r.phone.clone().unwrap_or_default()),
                            Line::raw(r.method.label()),
                            money(r.amount),
                        ])
                    })
                    .collect(),
                self.refunds.selected,
                self.refunds.loaded,
            ),
            Section::TillPayments => (
                " Paid to the till number and claimed by no sale, newest first ".to_owned(),
                &["Paid", "Code", "Phone", "Name", "Account", "Amount"],
                vec![
                    Constraint::Length(16),
                    Constraint::Length(11),
                    Constraint::Length(15),
                    Constraint::Fill(1),
                    Constraint::Length(9),
                    fit(
                        6,
                        self.till_payments.rows.iter().map(|r| r.amount.to_string()),
                    ),
                ],
                self.till_payments
                    .rows
                    .iter()
                    .map(|r| {
                        Row::new(vec![
                            Line::raw(local(r.paid_at)),
                            Line::raw(r.trans_id.clone()),
                            Line::raw(r.msisdn.clone()),
                            Line::raw(r.payer.clone()),
                            Line::raw(r.bill_ref.clone()),
                            money(r.amount),
                        ])
                    })
                    .collect(),
                self.till_payments.selected,
                self.till_payments.loaded,
            ),
            Section::Etims => (
                format!(" eTIMS: {} ", etims_status(&self.etims.rows)),
                &["No.", "Kind", "Issued", "Receipt", "State", "Tries", "KRA"],
                vec![
                    Constraint::Length(7),
                    Constraint::Length(6),
                    Constraint::Length(16),
                    Constraint::Length(9),
                    Constraint::Length(10),
                    Constraint::Length(5),
                    Constraint::Fill(1),
                ],
                self.etims
                    .rows
                    .iter()
                    .map(|i| {
                        let style = match i.state {
                            InvoiceState::Refused => theme.error(),
                            InvoiceState::Pending | InvoiceState::Received => theme.warn(),
                            InvoiceState::Signed => Style::default(),
                        };
                        Row::new(vec![
                            Line::raw(i.number.to_string()),
                            Line::raw(match i.kind {
                                InvoiceKind::Sale => "sale",
                                InvoiceKind::CreditNote => "credit",
                            }),
                            Line::raw(local(i.issued_at)),
                            Line::raw(short_id(i.order_id)),
                            Line::styled(i.state.label(), style),
                            Line::raw(i.attempts.to_string()),
                            Line::raw(
                                i.signature
                                    .clone()
                                    .or_else(|| i.last_error.clone())
                                    .unwrap_or_default(),
                            ),
                        ])
                    })
                    .collect(),
                self.etims.selected,
                self.etims.loaded,
            ),
            Section::Reports => return,
        };
        Listing {
            title: &title,
            header,
            widths: &widths,
            selected: Some(selected),
            empty: loaded.then_some(match self.section {
                Section::Alerts => "No money waits for you. r reloads.",
                _ => "Nothing here. / changes the filter, r reloads.",
            }),
        }
        .draw(frame, area, theme, rows);
    }

    fn draw_popup(&self, popup: &Popup, frame: &mut Frame, area: Rect, theme: Theme) {
        let (title, lines, width) = match popup {
            Popup::Form { form, .. } => return form.draw(frame, area, theme),
            Popup::Confirm { question, .. } => (
                "Are you sure?",
                vec![
                    Line::raw(question.clone()),
                    Line::raw(""),
                    Line::styled("y / Enter: yes   any other key: no", theme.dim()),
                ],
                60,
            ),
            Popup::Order(detail) => (
                "Order",
                match detail {
                    Some(detail) => detail_lines(detail, theme),
                    None => vec![Line::styled("Loading…", theme.dim())],
                },
                76,
            ),
            Popup::Audit(entry) => ("Audit entry", audit_lines(entry, theme), 76),
            Popup::ShiftReport(report) => (
                "Shift report",
                text_or_loading(report.as_ref().map(|r| r.lines()), theme),
                38,
            ),
            Popup::ShiftSummary(summary) => (
                "Shifts summed",
                text_or_loading(summary.as_ref().map(|s| s.lines()), theme),
                38,
            ),
            Popup::Product(found) => (
                "Product",
                match found {
                    None => vec![Line::styled("Loading…", theme.dim())],
                    Some((p, history)) => {
                        let mut lines = vec![
                            Line::styled(format!("{} ({})", p.name, p.sku), theme.title()),
                            Line::raw(format!(
                                "{} · {} · {} in stock{}",
                                p.category_name,
                                p.price,
                                p.stock_quantity,
                                if p.is_archived { " · archived" } else { "" }
                            )),
                            Line::raw(format!("slug {}", p.slug)),
                            Line::raw(""),
                            Line::styled("Price history", theme.title()),
                        ];
                        if history.is_empty() {
                            lines.push(Line::styled("No price changes.", theme.dim()));
                        }
                        lines.extend(history.iter().map(|h| {
                            Line::raw(format!(
                                "{}  {} → {}  by {}",
                                local(h.changed_at),
                                h.old_price,
                                h.new_price,
                                h.changed_by_username
                            ))
                        }));
                        lines
                    }
                },
                72,
            ),
        };
        // Taller than the screen: ↑ ↓ scroll it (forms and questions are never that tall).
        let room = usize::from(area.height.saturating_sub(2));
        let skip = usize::from(self.popup_scroll).min(lines.len().saturating_sub(room));
        let lines = lines.into_iter().skip(skip).collect();
        popup_in(frame, area, theme, title, lines, width);
    }
}

fn describe_filter(screen: &AdminScreen) -> String {
    let mut parts = Vec::new();
    match screen.section {
        Section::Orders => {
            let f = &screen.order_filter;
            if let Some(status) = f.status {
                parts.push(status.to_string());
            }
            match (f.from, f.to) {
                (Some(from), Some(to)) => parts.push(format!("{from} to {to}")),
                (Some(from), None) => parts.push(format!("from {from}")),
                (None, Some(to)) => parts.push(format!("until {to}")),
                (None, None) => {}
            }
            if !f.customer.is_empty() {
                parts.push(format!("customer \"{}\"", f.customer));
            }
        }
        Section::Payments => {
            if let Some(status) = screen.payment_status {
                parts.push(status.to_string());
            }
            if let Some(method) = screen.payment_method {
                parts.push(method.label().to_owned());
            }
        }
        _ => {}
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(", "))
    }
}

/// A report's lines, or that it is on its way.
fn text_or_loading(lines: Option<Vec<String>>, theme: Theme) -> Vec<Line<'static>> {
    match lines {
        None => vec![Line::styled("Loading…", theme.dim())],
        Some(lines) => lines.into_iter().map(Line::raw).collect(),
    }
}

/// Who signs, the control unit and branch; then KRA's last signature and its item classes
/// (each line fits 80 columns).
fn device_lines(d: &DeviceStatus) -> [String; 2] {
    let signed = d.last_signed.map_or("None signed yet".into(), |at| {
        format!("Last signed {}", local(at))
    });
    let classes = match (d.classes, d.classes_at.as_deref().and_then(kra_time)) {
        (0, _) => "KRA's item classes not fetched yet".to_owned(),
        (n, Some(at)) => format!("{n} KRA item classes (list {at})"),
        (n, None) => format!("{n} KRA item classes"),
    };
    [
        format!(" {} · CU {} · branch {}", d.signer, d.scu_id, d.branch),
        format!(" {signed} · {classes}"),
    ]
}

/// KRA's `YYYYMMDDhhmmss` (Nairobi time) as the console writes times.
fn kra_time(text: &str) -> Option<String> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%S")
        .ok()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
}

/// How the queue to KRA stands, from the invoices listed (those not yet answered come first,
/// in the order they go).
fn etims_status(invoices: &[QueuedInvoice]) -> String {
    let unsent = invoices
        .iter()
        .filter(|i| matches!(i.state, InvoiceState::Pending | InvoiceState::Refused))
        .count();
    match invoices.first() {
        None => "no invoices (eTIMS is off, or nothing was sold since it was turned on)".into(),
        Some(_) if unsent == 0 => "every invoice answered; the latest first".into(),
        Some(first) if first.state == InvoiceState::Refused => format!(
            "KRA REFUSED invoice {}: {unsent} unsent wait for it (Enter sends it again)",
            first.number
        ),
        Some(first) if first.attempts > 0 => format!(
            "KRA not reached for invoice {} after {} tries: {unsent} unsent wait, tried again by itself",
            first.number, first.attempts
        ),
        Some(_) => format!("{unsent} unsent, on their way to KRA in this order"),
    }
}

/// The keys of a section, in one line under it.
fn hints(section: Section) -> &'static str {
    match section {
        Section::Orders => {
            " Enter view · s ship · d deliver · c cancel · W write off · P reprint · / · Tab"
        }
        Section::Payments => " v verify · f reject · / filter · Tab next section",
        Section::Alerts => " Enter resolve (say how: returned, matched, checked) · r reload · Tab",
        Section::Products => {
            " Enter history · n new · e edit · + stock · a archive · D delete · / find · Tab"
        }
        Section::LowStock => " + stock · e edit · Enter history · r reload · Tab next section",
        Section::Categories => " n new · e rename · D delete (only empty) · Tab next section",
        Section::Users => " n new · m role · t (de)activate · p reset password · / find · Tab",
        Section::Terminals => " r reload · add and revoke: bytemtaani terminal … · Tab",
        Section::Audit => {
            " Enter in full · / filter by action or user · r reload · Tab next section"
        }
        Section::Shifts => " Enter X/Z report · S sum them · / filter (days, cashier) · Tab",
        Section::Refunds => " Enter record one sent back (its reference) · r reload · Tab",
        Section::TillPayments => {
            " r reload · a code typed at a till claims its payment here · Tab next section"
        }
        Section::Etims => " Enter send a refused one again · r reload · Tab next section",
        Section::Reports => " E export CSV · r reload · Tab next section",
    }
}

fn draw_report(report: Option<&SalesReport>, frame: &mut Frame, area: Rect, theme: Theme) {
    let Some(report) = report else {
        frame.render_widget(
            Paragraph::new(" Loading the report…").style(theme.dim()),
            area,
        );
        return;
    };
    let listed = |totals: &[MethodTotal]| -> Vec<String> {
        totals
            .iter()
            .map(|m| format!("{} {} ({})", m.method, m.amount, m.payments))
            .collect()
    };
    let today = report.today_total();
    let methods = listed(&report.methods_today);
    let refunds = listed(&report.refunds_today);
    let lost = report.written_off_today;
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Today ", theme.title()),
            Span::styled(today.amount.to_string(), theme.money()),
            Span::raw(format!(" from {} sale(s)", today.orders)),
        ]),
        Line::raw(if methods.is_empty() {
            "No payments yet today.".to_owned()
        } else {
            format!("Paid by: {}", methods.join(" · "))
        }),
    ];
    if !refunds.is_empty() {
        lines.push(Line::styled(
            format!("Refunded for returns: {}", refunds.join(" · ")),
            theme.warn(),
        ));
    }
    let off = report.discounted_today;
    if off.sales > 0 {
        lines.push(Line::raw(format!(
            "Discounts given: {} on {} sale(s)",
            off.amount, off.sales
        )));
    }
    if lost.sales > 0 {
        lines.push(Line::styled(
            format!(
                "Written off (goods gone, not paid): {} ({})",
                lost.amount, lost.sales
            ),
            theme.warn(),
        ));
    }
    let [summary, chart, top] = Layout::vertical([
        Constraint::Length(lines.len() as u16 + 2),
        Constraint::Fill(1),
        Constraint::Length(7),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(Line::styled(
                format!(
                    " {} · a sale counts when its payment settles ",
                    report.today
                ),
                theme.title(),
            ))),
        summary,
    );
    // Bars in whole shillings; one column each, so 30 days fit on an 80-column screen. The
    // days are named under them once a week, as day/month, where there is room to read them.
    let bars: Vec<Bar> = report
        .days
        .iter()
        .map(|d| {
            let shillings = d.amount.amount().trunc().try_into().unwrap_or(u64::MAX);
            Bar::default().value(shillings).text_value(String::new())
        })
        .collect();
    let bar_width = ((chart.width.saturating_sub(2)) / 30)
        .clamp(1, 3)
        .saturating_sub(1)
        .max(1);
    let block = Block::bordered().title(Line::styled(
        " Sales per day, last 30 days (KSh) ",
        theme.title(),
    ));
    let inner = block.inner(chart);
    frame.render_widget(block, chart);
    let [bars_area, axis] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(bar_width)
            .bar_gap(1)
            .bar_style(theme.money()),
        bars_area,
    );
    let days: Vec<_> = report.days.iter().map(|d| d.date).collect();
    frame.render_widget(
        Paragraph::new(day_axis(&days, usize::from(bar_width) + 1)).style(theme.dim()),
        axis,
    );
    let rows = report.top.iter().map(|p| {
        Row::new(vec![
            Line::raw(p.name.clone()),
            Line::raw(p.units.to_string()).right_aligned(),
            Line::raw(p.amount.to_string()).right_aligned(),
        ])
    });
    Listing {
        title: " Top products, 30 days ",
        header: &["Product", "Units", "Sales"],
        widths: &[
            Constraint::Fill(1),
            fit(5, report.top.iter().map(|p| p.units.to_string())),
            fit(13, report.top.iter().map(|p| p.amount.to_string())),
        ],
        selected: None,
        empty: Some("No sales in 30 days."),
    }
    .draw(frame, top, theme, rows.collect());
}

/// An audit entry in full: who, what, about what, and every detail on its own line.
fn audit_lines(entry: &AuditEntry, theme: Theme) -> Vec<Line<'static>> {
    let about = match (&entry.subject, entry.entity_id) {
        (Some(subject), _) => format!("{} {subject}", entry.entity),
        (None, Some(id)) => format!("{} {id}", entry.entity),
        (None, None) => entry.entity.clone(),
    };
    let mut lines = vec![
        Line::raw(format!(
            "{}  {}  {}",
            local(entry.occurred_at),
            entry.actor_username,
            entry.action
        )),
        Line::raw(format!("About: {about}")),
        Line::raw(""),
    ];
    let details = serde_json::to_string_pretty(&entry.details).unwrap_or_default();
    lines.extend(details.lines().map(|l| Line::raw(l.to_owned())));
    lines.push(Line::styled("Enter or Esc closes", theme.dim()));
    lines
}

/// The line under the chart: every seventh day as day/month, under its bar (`step` columns
/// apart), counted back from the last day so today is always named.
fn day_axis(days: &[chrono::NaiveDate], step: usize) -> String {
    let mut axis = vec![' '; days.len() * step + "dd/mm".len()];
    for (i, day) in days.iter().enumerate().rev().step_by(7) {
        for (k, c) in day.format("%d/%m").to_string().chars().enumerate() {
            axis[i * step + k] = c;
        }
    }
    axis.into_iter().collect::<String>().trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_names_a_day_a_week_back_from_today_under_its_bar() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let days: Vec<_> = (0..15)
            .rev()
            .map(|n| today - chrono::Days::new(n))
            .collect();
        let axis = day_axis(&days, 2);
        assert_eq!(axis, "16/11         23/11         30/11");
    }

    #[test]
    fn a_device_that_never_signed_nor_fetched_classes_says_so() {
        let device = DeviceStatus {
            signer: "The sandbox signs (nothing declared)",
            scu_id: "KRACU0100000001".into(),
            branch: "00".into(),
            classes: 0,
            classes_at: None,
            last_signed: None,
        };
        let [first, second] = device_lines(&device);
        assert!(first.starts_with(" The sandbox signs") && first.ends_with("branch 00"));
        assert_eq!(
            second,
            " None signed yet · KRA's item classes not fetched yet"
        );
        let fetched = DeviceStatus {
            classes: 8,
            classes_at: Some("not KRA's time".into()),
            ..device
        };
        assert_eq!(
            device_lines(&fetched)[1],
            " None signed yet · 8 KRA item classes"
        );
    }

    fn invoice(number: i64, state: InvoiceState, attempts: i32) -> QueuedInvoice {
        QueuedInvoice {
            id: uuid::Uuid::nil(),
            number,
            kind: InvoiceKind::Sale,
            order_id: uuid::Uuid::nil(),
            issued_at: chrono::Utc::now(),
            state,
            attempts,
            last_error: None,
            signature: None,
        }
    }

    #[test]
    fn the_etims_title_says_how_the_queue_to_kra_stands() {
        use InvoiceState::*;
        assert!(etims_status(&[]).starts_with("no invoices"));
        assert!(etims_status(&[invoice(3, Signed, 1)]).starts_with("every invoice answered"));
        let refused = etims_status(&[invoice(4, Refused, 1), invoice(5, Pending, 0)]);
        assert!(refused.contains("REFUSED invoice 4: 2 unsent"), "{refused}");
        let down = etims_status(&[invoice(4, Pending, 3), invoice(3, Signed, 1)]);
        assert!(
            down.contains("not reached for invoice 4 after 3 tries: 1 unsent"),
            "{down}"
        );
        let going = etims_status(&[invoice(4, Pending, 0), invoice(5, Pending, 0)]);
        assert!(going.starts_with("2 unsent"), "{going}");
    }
}
