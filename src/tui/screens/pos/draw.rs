//! Drawing the till: the scan line, the sale or the matches, the big total, a popup.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row};

use crate::domain::Money;
use crate::domain::clock::shop_time;
use crate::domain::order::short_id;
use crate::domain::receipt::Receipt;
use crate::service::pos::Tender;
use crate::tui::big_digits;
use crate::tui::screens::{Listing, fit};
use crate::tui::theme::Theme;
use crate::tui::view::{field_lines, popup_in};

use super::{PosPopup, PosScreen, TenderKind};

impl PosScreen {
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let [scan_area, lines_area, total_area] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(5),
        ])
        .areas(area);
        self.draw_scan(frame, scan_area, theme);
        if self.matches.is_empty() {
            self.draw_lines(frame, lines_area, theme);
        } else {
            self.draw_matches(frame, lines_area, theme);
        }
        self.draw_total(frame, total_area, theme);
        if let Some(popup) = &self.popup {
            self.draw_popup(popup, frame, area, theme);
        }
    }

    pub(super) fn draw_scan(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let (text, style) = match (&self.error, &self.notice) {
            (Some(e), _) => (e.as_str(), theme.error()),
            (None, Some(n)) => (n.as_str(), theme.ok()),
            (None, None) => ("", theme.dim()),
        };
        let title = if self.scan_focused {
            " Scan or type SKU / name, Enter (3*SKU for three) "
        } else {
            " Scan line (Enter or / to type) "
        };
        let mut block = Block::bordered().title(Line::styled(title, theme.title()));
        if !text.is_empty() {
            block = block.title_bottom(Line::styled(format!(" {text} "), style));
        }
        let cursor = if self.scan_focused { "▏" } else { "" };
        frame.render_widget(
            Paragraph::new(format!("{}{cursor}", self.scan.value())).block(block),
            area,
        );
    }

    pub(super) fn draw_lines(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let units: Vec<String> = self
            .sale
            .lines
            .iter()
            .map(|line| match line.new_price {
                Some(new) => format!("now {new}"),
                None => line.price.to_string(),
            })
            .collect();
        // A line's own discount shows beside its name and comes off its total; the sale's
        // shows by the total.
        let own = self
            .sale
            .worked()
            .map_or_else(|_| vec![Money::ZERO; self.sale.lines.len()], |w| w.own);
        let totals: Vec<String> = self
            .sale
            .lines
            .iter()
            .zip(&own)
            .map(|(line, off)| (line.total() - *off).to_string())
            .collect();
        let rows = self
            .sale
            .lines
            .iter()
            .zip(&units)
            .zip(&totals)
            .map(|((line, unit), total)| {
                let style = if line.new_price.is_some() {
                    theme.warn()
                } else {
                    Default::default()
                };
                let name = match self.sale.discount_on(Some(line.product_id)) {
                    Some(d) => Line::from(vec![
                        Span::raw(line.name.clone()),
                        Span::styled(format!("  -{}", d.off.label()), theme.warn()),
                    ]),
                    None => Line::raw(line.name.clone()),
                };
                Row::new(vec![
                    name,
                    Line::raw(line.quantity.to_string()).right_aligned(),
                    Line::styled(unit.clone(), style).right_aligned(),
                    Line::raw(total.clone()).right_aligned(),
                ])
            });
        let title = match self.sale.recorded {
            Some(_) => " Unpaid sale, recorded: F12 pay, F9 void, F4 aside ",
            None => " Sale ",
        };
        Listing {
            title,
            header: &["Item", "Qty", "Unit", "Line total"],
            widths: &[
                Constraint::Fill(1),
                fit(3, self.sale.lines.iter().map(|l| l.quantity.to_string())),
                fit(13, &units),
                fit(13, &totals),
            ],
            selected: Some(self.selected),
            empty: Some("Scan an item to start a sale. F1 lists the keys."),
        }
        .draw(frame, area, theme, rows.collect());
    }

    pub(super) fn draw_matches(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let rows = self.matches.iter().map(|p| {
            Row::new(vec![
                Line::raw(p.name.clone()),
                Line::raw(p.sku.clone()),
                Line::raw(p.stock_quantity.to_string()).right_aligned(),
                Line::raw(p.price.to_string()).right_aligned(),
            ])
        });
        Listing {
            title: " Matches: ↑ ↓ Enter adds, Esc back to the sale ",
            header: &["Product", "SKU", "Stock", "Price"],
            widths: &[
                Constraint::Fill(1),
                Constraint::Length(14),
                fit(5, self.matches.iter().map(|p| p.stock_quantity.to_string())),
                fit(13, self.matches.iter().map(|p| p.price.to_string())),
            ],
            selected: Some(self.match_selected),
            empty: None,
        }
        .draw(frame, area, theme, rows.collect());
    }

    pub(super) fn draw_total(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let total = self.sale.total().to_string();
        let digits = total.trim_start_matches("KSh ");
        let block = Block::bordered().title(Line::styled(" Total KSh ", theme.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let big = big_digits::width(digits) as u16;
        let [number, info] =
            Layout::horizontal([Constraint::Length(big + 1), Constraint::Fill(1)]).areas(inner);
        let big_lines: Vec<Line> = big_digits::lines(digits)
            .into_iter()
            .map(|l| l.style(theme.money()))
            .collect();
        frame.render_widget(Paragraph::new(big_lines), number);
        let held = match self.held.len() {
            0 => String::new(),
            n => format!("   {n} held (F5)"),
        };
        let off = self.sale.gross() - self.sale.total();
        let off = match off > Money::ZERO {
            true => format!("   {off} off"),
            false => String::new(),
        };
        let lines = vec![
            Line::from(vec![
                Span::styled(" Customer ", theme.dim()),
                Span::raw(self.sale.customer_name().to_owned()),
            ]),
            Line::from(vec![
                Span::styled(" Items    ", theme.dim()),
                Span::raw(format!("{}{held}", self.sale.units())),
                Span::styled(off, theme.warn()),
            ]),
            match (&self.shift, self.shift_known) {
                (None, true) => Line::styled(" No shift open: F10 opens one", theme.warn()),
                _ => Line::styled(
                    if self.sale.recorded.is_some() {
                        " F12 pay  F9 void  F4 aside  F1 keys"
                    } else {
                        " F12 pay  F3 customer  F4 hold  F1 keys"
                    },
                    theme.dim(),
                ),
            },
        ];
        frame.render_widget(Paragraph::new(lines), info);
    }

    pub(super) fn draw_popup(&self, popup: &PosPopup, frame: &mut Frame, area: Rect, theme: Theme) {
        let (title, lines, width) = match popup {
            PosPopup::Quantity { input, error } => {
                let name = self
                    .sale
                    .lines
                    .get(self.selected)
                    .map_or("", |l| l.name.as_str());
                (
                    "Quantity",
                    field_lines(theme, format!("How many {name}?"), input.value(), error),
                    50,
                )
            }
            PosPopup::NewCustomer { form }
            | PosPopup::OpenPrice { form }
            | PosPopup::Discount { form, .. }
            | PosPopup::DiscountApproval { form, .. } => return form.draw(frame, area, theme),
            PosPopup::Customer {
                input,
                found,
                searched,
                selected,
            } => {
                let mut lines = field_lines(
                    theme,
                    "Phone or username, Enter to find:".into(),
                    input.value(),
                    &None,
                );
                if let Some(text) = searched.as_ref().filter(|_| found.is_empty()) {
                    lines.push(Line::styled(
                        format!("Nobody matches \"{text}\"."),
                        theme.warn(),
                    ));
                }
                let names =
                    std::iter::once("walk-in customer".to_owned())
                        .chain(found.iter().map(|u| {
                            format!("{}  {}", u.username, u.phone.as_deref().unwrap_or(""))
                        }))
                        .chain(std::iter::once("+ add a new customer".to_owned()));
                for (i, name) in names.enumerate() {
                    let style = if i == *selected {
                        theme.selected()
                    } else {
                        theme.dim()
                    };
                    lines.push(Line::styled(format!(" {name}"), style));
                }
                ("Customer", lines, 50)
            }
            PosPopup::Held { selected } => {
                let rows = self.held.iter().map(|sale| {
                    let at = shop_time(sale.held_at).format("%H:%M");
                    let label: String = sale.label.chars().take(36).collect();
                    format!(" {at} {label:<36} {:>14}", sale.total().to_string())
                });
                let hint = "Enter recalls (this sale is held), Esc closes";
                ("Held sales", pick_list(rows, *selected, hint, theme), 62)
            }
            PosPopup::Unpaid { orders, selected } => {
                let rows = orders.iter().map(|order| {
                    let at = shop_time(order.created_at).format("%d/%m %H:%M");
                    let who: String = order.customer.chars().take(14).collect();
                    let why: String = order.why.chars().take(24).collect();
                    format!(" {at} {who:<14} {:>14} {why}", order.total.to_string())
                });
                let hint = "Enter: take it up to pay or void (F9)   Esc closes";
                ("Unpaid sales", pick_list(rows, *selected, hint, theme), 72)
            }
            PosPopup::ConfirmVoid if self.sale.recorded.is_some() => (
                "Void the unpaid sale?",
                vec![
                    Line::raw(format!(
                        "Cancel the order ({}) and put its stock back?",
                        self.sale.total()
                    )),
                    Line::raw("y / Enter: void   any other key: keep"),
                ],
                56,
            ),
            PosPopup::ConfirmVoid => (
                "Void the sale?",
                vec![
                    Line::raw(format!(
                        "Clear all {} lines ({})?",
                        self.sale.lines.len(),
                        self.sale.total()
                    )),
                    Line::raw("y / Enter: void   any other key: keep"),
                ],
                44,
            ),
            PosPopup::NewPrices => {
                let mut lines = vec![Line::raw("Changed since they were rung up:")];
                lines.extend(
                    self.sale
                        .price_changes()
                        .into_iter()
                        .map(|c| Line::styled(c, theme.warn())),
                );
                lines.push(Line::raw("y / Enter: charge the new prices   Esc: back"));
                ("New prices", lines, 60)
            }
            PosPopup::Pay {
                kind,
                input,
                error,
                sending,
                parts,
                ..
            } => {
                let due = self.sale.total() - parts.iter().map(|p| p.amount).sum();
                let mut lines = vec![Line::from(vec![
                    Span::raw("Total "),
                    Span::styled(self.sale.total().to_string(), theme.money()),
                    Span::raw(format!("   for {}", self.sale.customer_name())),
                ])];
                if !parts.is_empty() {
                    let taken: Vec<String> = parts
                        .iter()
                        .map(|p| format!("{} {}", p.tender.method(), p.amount))
                        .collect();
                    lines.push(Line::raw(format!("Parts: {}", taken.join(" · "))));
                    lines.push(Line::from(vec![
                        Span::raw("Left to pay "),
                        Span::styled(due.to_string(), theme.money()),
                    ]));
                }
                match kind {
                    None => {
                        lines.push(Line::raw(""));
                        lines.push(Line::raw("c  Cash"));
                        lines.push(Line::raw("m  M-Pesa code (customer paid to the till)"));
                        lines.push(Line::raw("k  Card (terminal reference)"));
                        // A push pays a whole sale, never what parts leave.
                        if self.push_offered && parts.is_empty() {
                            lines.push(Line::raw("p  M-Pesa push to the customer's phone"));
                        }
                        lines.push(Line::styled(
                            match parts.is_empty() {
                                true => "Esc: back to the sale",
                                false => "Esc: drop the parts, back to the sale",
                            },
                            theme.dim(),
                        ));
                    }
                    Some(kind) => {
                        lines.extend(field_lines(
                            theme,
                            kind.label().into(),
                            input.value(),
                            error,
                        ));
                        if *kind == TenderKind::Cash && input.value().is_empty() {
                            lines.push(Line::styled(
                                "Enter alone: exact cash · an amount, Tab: part of it in cash",
                                theme.dim(),
                            ));
                        }
                        if *kind == TenderKind::Cash
                            && let Ok(Tender::Cash { handed }) = kind.parse(input.value(), due)
                        {
                            lines.push(Line::from(vec![
                                Span::raw("Change "),
                                Span::styled((handed - due).to_string(), theme.money()),
                            ]));
                        }
                        if *sending {
                            lines.push(Line::styled("Recording the sale…", theme.dim()));
                        }
                    }
                }
                ("Pay", lines, 58)
            }
            PosPopup::Push { flow, .. } => {
                let mut lines = flow.lines(theme);
                if !flow.is_done() {
                    lines.push(Line::styled(
                        "Esc: cancel the sale (its lines come back to take another payment)",
                        theme.dim(),
                    ));
                }
                ("M-Pesa push", lines, 66)
            }
            PosPopup::Recent { sales, selected } => {
                let rows = sales.iter().map(|sale| {
                    let at = shop_time(sale.created_at).format("%d/%m %H:%M");
                    let who: String = sale.customer.chars().take(14).collect();
                    let back = match sale.refunded {
                        none if none == crate::domain::Money::ZERO => String::new(),
                        refunded => format!(", {refunded} back"),
                    };
                    format!(
                        " {at} {} {who:<14} {:>14} {}{back}",
                        short_id(sale.order_id),
                        sale.total.to_string(),
                        sale.status
                    )
                });
                let hint = "Enter: print its receipt again, marked COPY   Esc closes";
                (
                    "Your last sales",
                    pick_list(rows, *selected, hint, theme),
                    // Wide enough for a partly returned sale's line at 80 columns.
                    76,
                )
            }
            PosPopup::ShiftOpen { input, error } => (
                "Open your shift",
                field_lines(
                    theme,
                    "No shift is open. Cash counted into the drawer (the float):".into(),
                    input.value(),
                    error,
                ),
                62,
            ),
            PosPopup::ShiftMenu => {
                let since = self.shift.as_ref().map_or(String::new(), |s| {
                    shop_time(s.opened_at).format(" since %H:%M").to_string()
                });
                (
                    "Shift",
                    vec![
                        Line::raw(format!("Your shift is open{since}.")),
                        Line::raw(""),
                        Line::raw("i  cash into the drawer"),
                        Line::raw("o  cash out of the drawer"),
                        Line::raw("x  X report (the shift so far)"),
                        Line::raw("z  close the shift: count the cash (Z report)"),
                        Line::styled("Esc: back to the sale", theme.dim()),
                    ],
                    52,
                )
            }
            PosPopup::CashMove { form, .. } => return form.draw(frame, area, theme),
            PosPopup::ShiftClose { input, error } => (
                "Close the shift",
                field_lines(
                    theme,
                    "Cash counted in the drawer (notes and coins):".into(),
                    input.value(),
                    error,
                ),
                56,
            ),
            PosPopup::ShiftReport {
                report,
                issued,
                scroll,
            } => {
                let mut lines = vec![
                    Line::styled("Enter: close   ↑ ↓ scroll", theme.dim()),
                    Line::styled(
                        issued
                            .clone()
                            .unwrap_or_else(|| "Saving the report…".into()),
                        theme.dim(),
                    ),
                    Line::raw(""),
                ];
                lines.extend(
                    report
                        .lines()
                        .into_iter()
                        .skip(usize::from(*scroll))
                        .map(Line::raw),
                );
                ("Shift report", lines, 38)
            }
            PosPopup::ReturnFind { input, error } => (
                "Return goods",
                field_lines(
                    theme,
                    "Receipt number (type, or scan the receipt's code):".into(),
                    input.value(),
                    error,
                ),
                56,
            ),
            PosPopup::Return(draft) => ("Return goods", draft.lines(theme), 62),
            PosPopup::Receipt {
                receipt,
                issued,
                scroll,
            } => {
                // What the cashier needs now comes first; the receipt scrolls below it.
                let mut lines = vec![
                    Line::styled("Enter: next sale   ↑ ↓ scroll", theme.dim()),
                    Line::styled(
                        issued.clone().unwrap_or_else(|| {
                            if self.shown_awaits_kra() {
                                "Printing once KRA signs the invoice…".into()
                            } else {
                                "Saving the receipt…".into()
                            }
                        }),
                        theme.dim(),
                    ),
                ];
                if let Some(change) = receipt.change() {
                    lines.push(Line::from(vec![
                        Span::raw("Change "),
                        Span::styled(change.to_string(), theme.money()),
                    ]));
                }
                lines.push(Line::raw(""));
                let shown = receipt_lines(receipt);
                let width = shown.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16;
                lines.extend(shown.into_iter().skip(usize::from(*scroll)).map(Line::raw));
                ("Receipt", lines, (width + 2).max(38))
            }
        };
        popup_in(frame, area, theme, title, lines, width);
    }
}

/// A receipt as the till shows it: its lines, then KRA's checker link as a QR code once
/// eTIMS signed the sale (for the customer's phone).
pub(super) fn receipt_lines(receipt: &Receipt) -> Vec<String> {
    let qr = receipt
        .fiscal
        .as_ref()
        .map(crate::tui::qr::invoice)
        .unwrap_or_default();
    receipt.lines().into_iter().chain(qr).collect()
}

/// Rows to pick one from (the one at `selected` highlighted), then how to pick.
fn pick_list(
    rows: impl Iterator<Item = String>,
    selected: usize,
    hint: &str,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = rows
        .enumerate()
        .map(|(i, row)| match i == selected {
            true => Line::styled(row, theme.selected()),
            false => Line::raw(row),
        })
        .collect();
    lines.push(Line::styled(hint.to_owned(), theme.dim()));
    lines
}
