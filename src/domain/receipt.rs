//! A till receipt: what was sold, for how much, how it was paid, by whom. Laid out as plain
//! text lines of one width, so the screen, the saved file and the printer show the same.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::clock::shop_time;
use crate::domain::etims::{FiscalPrint, InvoiceKind, InvoiceState};
use crate::domain::order::{OrderItem, short_id};
use crate::domain::payment::PaymentMethod;

/// The shop's details printed at the top of every receipt (from the config).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shop {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub kra_pin: String,
    /// Prices include VAT at this rate; the receipt shows the VAT part.
    pub vat_percent: Decimal,
}

/// How a sale was paid, as the receipt tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tendered {
    pub method: PaymentMethod,
    pub transaction_id: String,
    /// Cash handed over (cash sales only).
    pub cash: Option<Money>,
    /// False while a payment waits for verification (an M-Pesa code typed at the till).
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub shop: Shop,
    pub order_id: Uuid,
    pub at: DateTime<Utc>,
    pub cashier: String,
    /// None for a walk-in customer.
    pub customer: Option<String>,
    pub items: Vec<OrderItem>,
    pub total: Money,
    pub payment: Tendered,
    /// A sale paid in parts: each part's method, amount and reference. Then `payment.cash`
    /// is the cash handed over for the cash parts.
    pub parts: Vec<PaidPart>,
    /// Printed while any payment provider is the sandbox: no money moved through it.
    pub sandbox: bool,
    /// Set on a return's slip: the items came back, the total goes back to the customer.
    pub refund: Option<Refund>,
    /// A reprint: marked COPY at its top and bottom, so it is never taken for a second sale.
    pub copy: bool,
    /// The sale's eTIMS invoice (a return's credit note), where the shop has eTIMS on.
    pub fiscal: Option<FiscalPrint>,
}

/// A part of a sale paid in parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidPart {
    pub method: PaymentMethod,
    pub amount: Money,
    pub transaction_id: String,
}

/// What a return's slip says beside its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The receipt number of the sale the goods came from.
    pub of_sale: String,
    pub restocked: bool,
    /// Why the goods were not put back on the shelf.
    pub reason: String,
    /// M-Pesa and PayPal refunds wait for an admin to send them.
    pub awaiting_reversal: bool,
}

/// What a receipt and every screen say while pretend providers are on.
pub const SANDBOX_WARNING: &str = "SANDBOX — NO MONEY";

/// Characters per line: what a 58 mm thermal printer fits.
pub const WIDTH: usize = 32;

impl Receipt {
    /// The receipt number: the order id's first eight hex digits, upper case.
    pub fn number(&self) -> String {
        short_id(self.order_id)
    }

    pub fn change(&self) -> Option<Money> {
        let due = match self.parts.is_empty() {
            true => self.total,
            false => self
                .parts
                .iter()
                .filter(|p| p.method == PaymentMethod::Cash)
                .map(|p| p.amount)
                .sum(),
        };
        self.payment.cash.map(|cash| cash - due)
    }

    /// The VAT contained in the total (prices include VAT).
    pub fn vat(&self) -> Money {
        let rate = self.shop.vat_percent;
        Money::new(self.total.amount() * rate / (Decimal::ONE_HUNDRED + rate))
    }

    /// The receipt as lines of at most [`WIDTH`] characters. Times are East Africa Time.
    pub fn lines(&self) -> Vec<String> {
        let rule = "-".repeat(WIDTH);
        let mut out = Vec::new();
        if self.sandbox {
            out.push(centre(SANDBOX_WARNING));
        }
        if self.copy {
            out.push(centre("*** COPY ***"));
        }
        for text in [&self.shop.name, &self.shop.address] {
            out.extend(wrap(text).into_iter().map(|l| centre(&l)));
        }
        out.push(centre(&format!("Tel {}", self.shop.phone)));
        out.push(centre(&format!("PIN {}", self.shop.kra_pin)));
        out.push(rule.clone());
        if let Some(refund) = &self.refund {
            out.push(centre("RETURN"));
            out.push(pair("Return", &self.number()));
            out.push(pair("Of receipt", &refund.of_sale));
        } else {
            out.push(pair("Receipt", &self.number()));
        }
        out.push(pair(
            "Date",
            &shop_time(self.at).format("%d/%m/%Y %H:%M").to_string(),
        ));
        out.push(pair("Cashier", &self.cashier));
        out.push(pair(
            "Customer",
            self.customer.as_deref().unwrap_or("walk-in"),
        ));
        out.push(rule.clone());
        for item in &self.items {
            out.extend(wrap(&item.product_name));
            out.push(pair(
                &format!("  {} x {}", item.quantity, plain(item.price)),
                &plain(item.gross()),
            ));
            if item.discount > Money::ZERO {
                out.push(pair("  discount", &format!("-{}", plain(item.discount))));
            }
        }
        out.push(rule.clone());
        let discounts: Money = self.items.iter().map(|i| i.discount).sum();
        if discounts > Money::ZERO {
            let gross: Money = self.items.iter().map(OrderItem::gross).sum();
            out.push(pair("Subtotal", &plain(gross)));
            out.push(pair("Discounts", &format!("-{}", plain(discounts))));
        }
        let (total, by) = match self.refund {
            Some(_) => ("REFUND", "Refund by"),
            None => ("TOTAL", "Paid by"),
        };
        out.push(pair(total, &self.total.to_string()));
        match &self.fiscal {
            // The invoice's own figures, per tax type, as KRA has them.
            Some(fiscal) => {
                for t in fiscal.taxes.iter().filter(|t| t.taxable != Money::ZERO) {
                    out.push(pair(t.tax_type.label(), &plain(t.taxable)));
                    out.push(pair("  tax", &plain(t.tax)));
                }
            }
            None => out.push(pair(
                &format!("incl. VAT {}%", self.shop.vat_percent.normalize()),
                &plain(self.vat()),
            )),
        }
        if self.parts.is_empty() {
            out.push(pair(by, self.payment.method.label()));
        } else {
            out.push(format!("{by} (in parts)"));
            for part in &self.parts {
                out.push(pair(
                    &format!("  {}", part.method.label()),
                    &plain(part.amount),
                ));
                if part.method != PaymentMethod::Cash {
                    out.extend(pair_wrapped("  Ref", &part.transaction_id));
                }
            }
        }
        if let (Some(cash), Some(change)) = (self.payment.cash, self.change()) {
            out.push(pair("Cash", &plain(cash)));
            out.push(pair("Change", &plain(change)));
        }
        // A cash refund has no reference to show.
        if !self.payment.transaction_id.is_empty() {
            out.extend(pair_wrapped("Ref", &self.payment.transaction_id));
        }
        if !self.payment.verified {
            out.push(centre("PAYMENT AWAITING VERIFICATION"));
        }
        if let Some(refund) = &self.refund {
            if refund.awaiting_reversal {
                out.push(centre("REFUND SENT BY THE SHOP SOON"));
            }
            if !refund.restocked {
                out.extend(wrap(&format!("Not restocked: {}", refund.reason)));
            }
        }
        out.push(rule.clone());
        if let Some(fiscal) = &self.fiscal {
            out.extend(fiscal_lines(fiscal));
            out.push(rule);
        }
        if self.sandbox {
            out.push(centre(SANDBOX_WARNING));
        }
        if self.copy {
            out.push(centre("*** COPY ***"));
        }
        out.push(centre("Asante! Karibu tena."));
        out
    }

    pub fn text(&self) -> String {
        let mut text = self.lines().join("\n");
        text.push('\n');
        text
    }
}

/// The eTIMS part: the invoice number, and KRA's signature once it is signed (or why not).
pub fn fiscal_lines(print: &FiscalPrint) -> Vec<String> {
    let f = &print.fiscal;
    let mut out = vec![centre("eTIMS")];
    if print.sandbox {
        out.push(centre("SANDBOX: NOT DECLARED TO KRA"));
    }
    let label = match f.kind {
        InvoiceKind::Sale => "CU invoice",
        InvoiceKind::CreditNote => "CU credit note",
    };
    out.extend(pair_wrapped(label, &print.cu_invoice));
    match (&f.signed, f.state) {
        (Some(s), _) => {
            out.push(pair(
                "Receipt no",
                &format!("{}/{}", s.receipt_number, s.total_receipts),
            ));
            out.extend(pair_wrapped("Internal data", &s.internal_data));
            out.extend(pair_wrapped("Signature", &s.signature));
            out.push(pair("CU time", &cu_time(&s.scu_time)));
        }
        (None, InvoiceState::Received) => {
            out.extend(wrap(
                "Declared to KRA; its signature was not received here.",
            ));
        }
        (None, _) => {
            out.push(centre("eTIMS PENDING"));
            out.extend(wrap("Reprint this receipt once KRA has signed it."));
        }
    }
    if let Some(link) = &print.verify_link {
        out.push("Verify:".to_owned());
        let chars: Vec<char> = link.chars().collect();
        out.extend(chars.chunks(WIDTH).map(|piece| piece.iter().collect()));
    }
    out
}

/// KRA's `YYYYMMDDhhmmss` as a receipt shows a time (as sent, when it is not that shape).
fn cu_time(stamp: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d%H%M%S")
        .map(|t| t.format("%d/%m/%Y %H:%M:%S").to_string())
        .unwrap_or_else(|_| stamp.to_owned())
}

/// An amount without the currency (the column says it).
fn plain(money: Money) -> String {
    money.to_string().trim_start_matches("KSh ").to_owned()
}

pub(crate) fn centre(text: &str) -> String {
    let len = text.chars().count().min(WIDTH);
    let pad = (WIDTH - len) / 2;
    let cut: String = text.chars().take(WIDTH).collect();
    format!("{}{cut}", " ".repeat(pad))
}

/// Left text and right text on one line; the left is shortened if both do not fit.
pub(crate) fn pair(left: &str, right: &str) -> String {
    let right_len = right.chars().count().min(WIDTH);
    let room = WIDTH.saturating_sub(right_len + 1);
    let left: String = left.chars().take(room).collect();
    let gap = WIDTH - left.chars().count() - right_len;
    let right: String = right.chars().take(WIDTH).collect();
    format!("{left}{}{right}", " ".repeat(gap))
}

/// Like [`pair`], but a right text too long for the line goes whole on the lines below,
/// cut into pieces of the paper's width (a reference must never lose characters).
fn pair_wrapped(left: &str, right: &str) -> Vec<String> {
    if left.chars().count() + 1 + right.chars().count() <= WIDTH {
        return vec![pair(left, right)];
    }
    let chars: Vec<char> = right.chars().collect();
    std::iter::once(left.to_owned())
        .chain(chars.chunks(WIDTH).map(|piece| {
            let piece: String = piece.iter().collect();
            format!("{piece:>WIDTH$}")
        }))
        .collect()
}

/// Breaks text at spaces into lines of at most [`WIDTH`] characters (long words are cut).
fn wrap(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word: String = word.chars().take(WIDTH).collect();
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Receipt {
        Receipt {
            shop: Shop {
                name: "ByteMtaani Electronics & General Store".into(),
                address: "Moi Avenue, Nairobi".into(),
                phone: "0712 345 678".into(),
                kra_pin: "P051234567X".into(),
                vat_percent: Decimal::from(16),
            },
            order_id: Uuid::from_u128(0xabcdef12_0000_0000_0000_000000000000),
            at: DateTime::parse_from_rfc3339("2026-11-25T09:30:00Z")
                .unwrap()
                .into(),
            cashier: "cashier".into(),
            customer: None,
            items: vec![
                OrderItem {
                    product_id: Uuid::nil(),
                    product_name: "Tecno Spark 20 Pro 256GB Smartphone Midnight Black".into(),
                    sku: "TEC-SPARK20".into(),
                    quantity: 1,
                    price: Money::from_cents(2_299_900),
                    discount: Money::ZERO,
                },
                OrderItem {
                    product_id: Uuid::nil(),
                    product_name: "Ketepa Pride tea 100 bags".into(),
                    sku: "KETEPA-100".into(),
                    quantity: 3,
                    price: Money::from_cents(25_050),
                    discount: Money::ZERO,
                },
            ],
            total: Money::from_cents(2_375_050),
            payment: Tendered {
                method: PaymentMethod::Cash,
                transaction_id: "CASH-0123456789AB".into(),
                cash: Some(Money::from_cents(2_400_000)),
                verified: true,
            },
            parts: Vec::new(),
            sandbox: false,
            refund: None,
            copy: false,
            fiscal: None,
        }
    }

    #[test]
    fn every_line_fits_the_paper() {
        let mut signed = sample();
        signed.fiscal = Some(crate::domain::etims::tests::signed_print());
        for line in sample().lines().into_iter().chain(signed.lines()) {
            assert!(line.chars().count() <= WIDTH, "too wide: {line:?}");
        }
    }

    #[test]
    fn an_etims_receipt_shows_the_invoice_its_signature_and_tax_per_type() {
        let mut receipt = sample();
        receipt.fiscal = Some(crate::domain::etims::tests::signed_print());
        let text = receipt.text();
        let row = |l: &str, r: &str| format!("{l}{r:>w$}", w = WIDTH - l.len());
        for expected in [
            row("CU invoice", "KRACU0100000001/42"),
            row("Receipt no", "40/42"),
            row("Signature", "SIGNATURE0000001"),
            row("CU time", "25/11/2026 09:30:01"),
            // 23,750.50 with VAT at 16 % included holds 3,275.93.
            row("B VAT 16%", "23,750.50"),
            row("  tax", "3,275.93"),
        ] {
            assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("incl. VAT"), "one VAT figure, the invoice's");
        assert!(
            text.replace('\n', "")
                .contains("https://etims-sbx.kra.go.ke/x?Data=P051234567X00SIGNATURE0000001")
        );
        receipt.fiscal.as_mut().unwrap().fiscal.signed = None;
        receipt.fiscal.as_mut().unwrap().fiscal.state = crate::domain::etims::InvoiceState::Pending;
        receipt.fiscal.as_mut().unwrap().verify_link = None;
        let pending = receipt.text();
        assert!(
            pending.contains("eTIMS PENDING") && !pending.contains("Verify"),
            "{pending}"
        );
        assert!(!pending.contains("SANDBOX"));
        receipt.fiscal.as_mut().unwrap().sandbox = true;
        assert!(receipt.text().contains("SANDBOX: NOT DECLARED TO KRA"));
    }

    #[test]
    fn a_cash_receipt_shows_items_totals_change_and_vat() {
        let text = sample().text();
        // Right-aligned to the paper's edge, written independently of `pair`.
        let row = |l: &str, r: &str| format!("{l}{r:>w$}", w = WIDTH - l.len());
        for expected in [
            row("Receipt", "ABCDEF12"),
            row("Date", "25/11/2026 12:30"),
            row("  3 x 250.50", "751.50"),
            row("TOTAL", "KSh 23,750.50"),
            // 23,750.50 × 16 / 116 = 3,275.931… → 3,275.93
            row("incl. VAT 16%", "3,275.93"),
            row("Cash", "24,000.00"),
            row("Change", "249.50"),
        ] {
            assert!(text.contains(&expected), "{expected:?} in\n{text}");
        }
        assert!(!text.contains("AWAITING"));
    }

    #[test]
    fn a_discounted_sale_shows_each_lines_discount_the_subtotal_and_vat_on_the_net() {
        let mut receipt = sample();
        receipt.items[1].discount = Money::from_cents(7_515);
        receipt.total = Money::from_cents(2_375_050 - 7_515);
        let text = receipt.text();
        let row = |l: &str, r: &str| format!("{l}{r:>w$}", w = WIDTH - l.len());
        for expected in [
            row("  3 x 250.50", "751.50"),
            row("  discount", "-75.15"),
            row("Subtotal", "23,750.50"),
            row("Discounts", "-75.15"),
            row("TOTAL", "KSh 23,675.35"),
            // 23,675.35 × 16 / 116 = 3,265.565… → 3,265.57
            row("incl. VAT 16%", "3,265.57"),
        ] {
            assert!(text.contains(&expected), "{expected:?} in\n{text}");
        }
        assert!(!sample().text().contains("Discounts"));
    }

    #[test]
    fn a_return_slip_names_the_sale_and_the_refund() {
        let mut receipt = sample();
        receipt.payment.cash = None;
        receipt.payment.transaction_id = String::new();
        receipt.refund = Some(Refund {
            of_sale: "0BADF00D".into(),
            restocked: false,
            reason: "screen cracked".into(),
            awaiting_reversal: false,
        });
        let text = receipt.text();
        let row = |l: &str, r: &str| format!("{l}{r:>w$}", w = WIDTH - l.len());
        for expected in [
            row("Return", "ABCDEF12"),
            row("Of receipt", "0BADF00D"),
            row("REFUND", "KSh 23,750.50"),
            row("Refund by", "Cash"),
            "Not restocked: screen cracked".to_owned(),
        ] {
            assert!(text.contains(&expected), "{expected:?} in\n{text}");
        }
        assert!(!text.contains("TOTAL") && !text.contains("Paid by"));
        assert!(
            !receipt.lines().iter().any(|l| l.starts_with("Ref ")),
            "no empty reference line:\n{text}"
        );
        assert!(receipt.lines().iter().all(|l| l.chars().count() <= WIDTH));
    }

    #[test]
    fn an_unverified_payment_says_so_and_has_no_change() {
        let mut receipt = sample();
        receipt.payment = Tendered {
            method: PaymentMethod::Mpesa,
            transaction_id: "QKH94M1Z11".into(),
            cash: None,
            verified: false,
        };
        let text = receipt.text();
        assert!(text.contains("PAYMENT AWAITING VERIFICATION"));
        assert!(text.contains(&format!("Ref{:>29}", "QKH94M1Z11")));
        assert!(!text.contains("Change"));
    }

    #[test]
    fn a_sandbox_receipt_says_no_money_moved_at_its_top_and_bottom() {
        let mut receipt = sample();
        assert!(!receipt.text().contains(SANDBOX_WARNING));
        receipt.sandbox = true;
        let lines = receipt.lines();
        assert_eq!(lines[0].trim(), "SANDBOX — NO MONEY");
        assert_eq!(lines[lines.len() - 2].trim(), "SANDBOX — NO MONEY");
    }

    #[test]
    fn a_long_reference_is_printed_whole() {
        let mut receipt = sample();
        let cash = "CASH-0123456789ABCDEF0123456789ABCDEF";
        receipt.payment.transaction_id = cash.into();
        let lines = receipt.lines();
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
        let at = lines.iter().position(|l| l == "Ref").expect("a Ref line");
        let printed: String = lines[at + 1..at + 3].iter().map(|l| l.trim()).collect();
        assert_eq!(printed, cash);
    }

    #[test]
    fn long_words_and_names_wrap_within_the_width() {
        assert_eq!(
            wrap("Tecno Spark 20 Pro 256GB Smartphone Midnight Black"),
            vec!["Tecno Spark 20 Pro 256GB", "Smartphone Midnight Black"]
        );
        assert_eq!(wrap(&"x".repeat(40)), vec!["x".repeat(32)]);
        assert_eq!(pair(&"y".repeat(40), "1.00").chars().count(), WIDTH);
    }
}
