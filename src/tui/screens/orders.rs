//! The customer's orders, newest first; Enter shows one with its items and payment.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row};

use crate::domain::Money;
use crate::domain::etims::InvoiceState;
use crate::domain::order::{AfterSale, OrderDetail, OrderStatus, OrderSummary};
use crate::domain::payment::{PaymentStatus, PaymentSummary};
use crate::domain::receipt::fiscal_lines;
use crate::service::orders::HISTORY_PAGE;
use crate::tui::effect::Effect;
use crate::tui::keymap::{self, Command};
use crate::tui::screens::{Listing, Prompt, Reply, step};
use crate::tui::theme::Theme;

#[derive(Debug, Clone, Default)]
pub struct OrdersScreen {
    pub orders: Option<Vec<OrderSummary>>,
    pub selected: usize,
    /// The last page was full, so older orders may follow.
    more: bool,
    loading_more: bool,
}

/// Fetch older orders when the selection comes this close to the end.
const PREFETCH: usize = 5;

/// A time as the shop's clock shows it.
pub fn local(at: chrono::DateTime<chrono::Utc>) -> String {
    crate::domain::clock::shop_time(at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// What the customer should know about an order's state.
pub fn status_text(status: OrderStatus, payment: Option<PaymentStatus>) -> String {
    match (status, payment) {
        (OrderStatus::Pending, Some(PaymentStatus::Failed)) => "pending – payment failed".into(),
        (OrderStatus::Pending, _) => "pending – awaiting payment".into(),
        (status, _) => status.to_string(),
    }
}

impl OrdersScreen {
    /// The newest page (after opening the tab, a reload or a new order).
    pub fn set(&mut self, orders: Vec<OrderSummary>) {
        self.more = orders.len() as i64 == HISTORY_PAGE;
        self.loading_more = false;
        self.selected = self.selected.min(orders.len().saturating_sub(1));
        self.orders = Some(orders);
    }

    /// An older page, fetched as the selection reached the end.
    pub fn extend(&mut self, older: Vec<OrderSummary>) {
        self.more = older.len() as i64 == HISTORY_PAGE;
        self.loading_more = false;
        self.orders.get_or_insert_default().extend(older);
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> Reply {
        let orders = self.orders.as_deref().unwrap_or_default();
        match keymap::lookup(keymap::ORDERS, key) {
            Some(Command::Up) => self.selected = step(self.selected, -1, orders.len()),
            Some(Command::Down) => {
                self.selected = step(self.selected, 1, orders.len());
                if self.more
                    && !self.loading_more
                    && self.selected + PREFETCH >= orders.len()
                    && let Some(last) = orders.last()
                {
                    self.loading_more = true;
                    return Reply::Run(Effect::MoreOrders {
                        after: Box::new(last.clone()),
                    });
                }
            }
            Some(Command::Open) => {
                if let Some(order) = orders.get(self.selected) {
                    return Reply::Ask(Prompt::Order { order_id: order.id });
                }
            }
            Some(Command::Refresh) => return Reply::Run(Effect::LoadOrders),
            _ => {}
        }
        Reply::Nothing
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let Some(orders) = &self.orders else {
            frame.render_widget(
                Paragraph::new(" Loading your orders…").style(theme.dim()),
                area,
            );
            return;
        };
        let rows = orders.iter().map(|o| {
            Row::new(vec![
                Line::raw(local(o.created_at)),
                Line::raw(o.item_count.to_string()).right_aligned(),
                Line::raw(o.total_amount.to_string()).right_aligned(),
                Line::raw(status_text(o.status, None)),
            ])
        });
        Listing {
            title: " Your orders (Enter for details) ",
            header: &["Placed", "Items", "Total", "Status"],
            widths: &[
                Constraint::Length(16),
                Constraint::Length(6),
                Constraint::Length(16),
                Constraint::Fill(1),
            ],
            selected: Some(self.selected),
            empty: Some("No orders yet."),
        }
        .draw(frame, area, theme, rows.collect());
    }
}

/// The lines of one order's popup.
pub fn detail_lines(detail: &OrderDetail, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = order_lines(detail, theme);
    if let Some(fiscal) = &detail.fiscal {
        lines.push(Line::raw(""));
        lines.extend(fiscal_lines(fiscal).into_iter().map(Line::raw));
    }
    lines
}

/// The order with as much of its tax invoice as `rows` hold: all of it and KRA's QR code
/// (a kiosk's tall screen), else without the code, else the invoice in one line, so the
/// keys' line under it always shows.
pub fn fitted_detail_lines(detail: &OrderDetail, theme: Theme, rows: usize) -> Vec<Line<'static>> {
    let Some(fiscal) = &detail.fiscal else {
        return order_lines(detail, theme);
    };
    let mut full = detail_lines(detail, theme);
    let qr = crate::tui::qr::invoice(fiscal);
    if full.len() + qr.len() <= rows {
        full.extend(qr.into_iter().map(Line::raw));
        return full;
    }
    // Without the code, one line says where it is.
    let note = usize::from(!qr.is_empty());
    if full.len() + note <= rows {
        if !qr.is_empty() {
            full.push(Line::styled(
                format!(
                    "KRA's QR code ({} rows) shows in a taller window.",
                    qr.len()
                ),
                theme.dim(),
            ));
        }
        return full;
    }
    let mut lines = order_lines(detail, theme);
    let state = match (&fiscal.fiscal.signed, fiscal.fiscal.state) {
        _ if fiscal.sandbox => "sandbox, not declared to KRA",
        (Some(_), _) => "signed by KRA",
        (None, InvoiceState::Received) => "declared to KRA",
        (None, _) => "eTIMS pending",
    };
    lines.push(Line::raw(format!(
        "Tax invoice {} · {state}",
        fiscal.cu_invoice
    )));
    lines
}

/// The order, its items, payment and what happened after the sale.
fn order_lines(detail: &OrderDetail, theme: Theme) -> Vec<Line<'static>> {
    let order = &detail.order;
    let mut lines = vec![
        Line::styled(
            format!(
                "Order {} · {}",
                &order.id.to_string()[..8],
                local(order.created_at)
            ),
            theme.title(),
        ),
        Line::raw(format!(
            "Status: {}",
            match detail.claimed_code() {
                Some(code) => format!("pending – M-Pesa code {code} awaits the shop's check"),
                None => status_text(order.status, detail.payment.as_ref().map(|p| p.status)),
            }
        )),
        Line::raw(""),
    ];
    for item in &detail.items {
        lines.push(Line::raw(format!(
            "{:>3} × {:<28} {:>15} {:>16}",
            item.quantity,
            item.product_name.chars().take(28).collect::<String>(),
            item.price.to_string(),
            item.line_total().to_string()
        )));
        if item.discount > Money::ZERO {
            lines.push(Line::styled(
                format!("      discount {}", item.discount),
                theme.dim(),
            ));
        }
    }
    lines.push(Line::styled(
        format!("Total {}", order.total_amount),
        theme.money(),
    ));
    lines.push(Line::raw(""));
    let told = |p: &PaymentSummary| {
        format!(
            "{} {} – {}{}",
            p.method,
            p.amount,
            p.status,
            p.transaction_id
                .as_ref()
                .map(|t| format!(" (ref {t})"))
                .unwrap_or_default()
        )
    };
    match (&detail.payment, detail.parts.as_slice()) {
        (Some(p), _) => lines.push(Line::raw(format!("Payment: {}", told(p)))),
        (None, []) => lines.push(Line::raw("Payment: none yet")),
        (None, parts) => {
            lines.push(Line::raw("Paid in parts:"));
            lines.extend(parts.iter().map(|p| Line::raw(format!("  {}", told(p)))));
        }
    }
    for event in &detail.after_sale {
        lines.push(Line::styled(
            match event {
                AfterSale::Returned {
                    at,
                    units,
                    refund,
                    method,
                    restocked,
                    by,
                } => format!(
                    "Returned {}: {units} unit(s), {refund} back by {method}{}{}",
                    local(*at),
                    if *restocked {
                        ", restocked"
                    } else {
                        ", not restocked"
                    },
                    if by.is_empty() {
                        String::new()
                    } else {
                        format!(" · {by}")
                    }
                ),
                AfterSale::Tally { at, by, reason } => {
                    format!("Written off {} by {by}: {reason}", local(*at))
                }
            },
            theme.warn(),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;
    use crossterm::event::{KeyCode, KeyModifiers};
    use uuid::Uuid;

    fn orders(count: usize) -> Vec<OrderSummary> {
        (0..count)
            .map(|i| OrderSummary {
                id: Uuid::from_u128(i as u128),
                user_id: Uuid::nil(),
                username: "amina".into(),
                phone: None,
                status: OrderStatus::Pending,
                total_amount: Money::ZERO,
                served_by: None,
                item_count: 1,
                created_at: chrono::Utc::now(),
                updated_at: chrono::Utc::now(),
            })
            .collect()
    }

    fn down(s: &mut OrdersScreen) -> Reply {
        s.on_key(&KeyEvent::new(KeyCode::Down, KeyModifiers::NONE))
    }

    #[test]
    fn older_orders_load_as_the_selection_nears_the_end_of_a_full_page() {
        let mut s = OrdersScreen::default();
        s.set(orders(HISTORY_PAGE as usize));
        s.selected = HISTORY_PAGE as usize - 6;
        match down(&mut s) {
            Reply::Run(Effect::MoreOrders { after }) => assert_eq!(after.id, Uuid::from_u128(49)),
            other => panic!("{other:?}"),
        }
        assert_eq!(down(&mut s), Reply::Nothing, "one request at a time");
        s.extend(orders(3));
        assert_eq!(s.orders.as_ref().unwrap().len(), HISTORY_PAGE as usize + 3);
        s.selected = HISTORY_PAGE as usize;
        assert_eq!(down(&mut s), Reply::Nothing, "a short page was the last");
    }

    #[test]
    fn a_short_first_page_asks_for_nothing_more() {
        let mut s = OrdersScreen::default();
        s.set(orders(3));
        assert_eq!(down(&mut s), Reply::Nothing);
    }
}
