//! A sale or a credit note as KRA's eTIMS takes it (`saveTrnsSalesOsdc`, field names from
//! KRA's OSCU/VSCU specification), and what a receipt prints of KRA's answer.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use crate::domain::Money;
use crate::domain::clock::shop_time;
use crate::domain::payment::PaymentMethod;
use crate::domain::tax::{TaxTotal, TaxType, totals};

/// Why goods were credited, as KRA codes it (its "credit note reason" list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditReason {
    /// Goods that came back not fit to sell again (a return not put back on the shelf).
    Damaged,
    /// Money back for goods that came back whole, or for a sale cancelled.
    Refund,
}

impl CreditReason {
    /// A return put back on the shelf is a refund; one that was not, damaged goods.
    pub fn of_return(restocked: Option<bool>) -> Self {
        match restocked {
            Some(false) => CreditReason::Damaged,
            _ => CreditReason::Refund,
        }
    }

    fn code(self) -> &'static str {
        match self {
            CreditReason::Damaged => "03",
            CreditReason::Refund => "06",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "etims_kind", rename_all = "snake_case")]
pub enum InvoiceKind {
    Sale,
    CreditNote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "etims_state", rename_all = "snake_case")]
pub enum InvoiceState {
    Pending,
    Signed,
    Refused,
    Received,
}

/// How the buyer paid, as KRA codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paid {
    By(PaymentMethod),
    InParts,
}

impl Paid {
    fn code(self) -> &'static str {
        match self {
            Paid::By(PaymentMethod::Cash) => "01",
            Paid::By(PaymentMethod::Card) => "05",
            Paid::By(PaymentMethod::Mpesa) => "06",
            Paid::By(PaymentMethod::Paypal) | Paid::InParts => "07",
        }
    }
}

/// One line as sold (or returned): units, shelf price, and the discount on the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub name: String,
    pub sku: String,
    /// KRA's item class (`itemClsCd`), as the admin set it on the product.
    pub item_class: String,
    /// The shop's number for the product in its KRA item code.
    pub item_number: i64,
    pub tax_type: TaxType,
    pub quantity: i32,
    pub price: Money,
    pub discount: Money,
}

impl InvoiceLine {
    /// What the line comes to, tax included.
    pub fn net(&self) -> Money {
        self.price.times(self.quantity) - self.discount
    }

    pub fn item_code(&self) -> String {
        item_code(self.item_number)
    }
}

/// KRA's item code: country, finished product, packaging "NT", unit "U" (pieces), and the
/// shop's number for the product.
fn item_code(number: i64) -> String {
    format!("KE2NTU{number:07}")
}

/// A product as KRA's item register holds it (`saveItem`): registered before the first
/// invoice naming it, and again when any of this changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub product_id: uuid::Uuid,
    pub name: String,
    pub sku: String,
    pub item_class: String,
    pub item_number: i64,
    pub tax_type: TaxType,
    pub price: Money,
}

impl Item {
    /// What KRA keeps of the product (compared with what it last accepted).
    pub fn master(&self) -> Value {
        json!({
            "itemCd": item_code(self.item_number),
            "itemClsCd": self.item_class,
            "itemTyCd": "2",
            "itemNm": self.name,
            "orgnNatCd": "KE",
            "pkgUnitCd": "NT",
            "qtyUnitCd": "U",
            "taxTyCd": self.tax_type.code(),
            "bcd": self.sku,
            "dftPrc": amount(self.price),
            "isrcAplcbYn": "N",
            "useYn": "Y",
        })
    }

    /// The `saveItem` body, less the device's own fields, sent on behalf of `by`.
    pub fn request(&self, by: &str) -> Value {
        let mut body = self.master();
        for field in ["regrId", "regrNm", "modrId", "modrNm"] {
            body[field] = by.into();
        }
        body
    }
}

/// A numbered invoice or credit note, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub number: i64,
    pub kind: InvoiceKind,
    /// A credit note's sale invoice.
    pub original_number: Option<i64>,
    pub issued_at: DateTime<Utc>,
    pub paid: Paid,
    /// Who rang it up (`regrNm`/`modrNm`).
    pub cashier: String,
    /// A credit note's reason.
    pub reason: CreditReason,
    pub lines: Vec<InvoiceLine>,
}

/// A JSON number, as KRA takes amounts. Through f64 only for the text: its shortest form
/// prints every amount in cents below 2^53 exactly as the decimal it came from.
fn number(value: Decimal) -> Value {
    json!(value.to_f64().unwrap_or_default())
}

fn amount(money: Money) -> Value {
    number(money.amount())
}

impl Invoice {
    /// The `saveTrnsSalesOsdc` body, less the device's own fields (`tin`, `bhfId`).
    pub fn request(&self) -> Value {
        let at = shop_time(self.issued_at);
        let stamp = at.format("%Y%m%d%H%M%S").to_string();
        let sum = totals(self.lines.iter().map(|l| (l.tax_type, l.net())));
        let total: Money = self.lines.iter().map(InvoiceLine::net).sum();
        let tax: Money = sum.iter().map(|t| t.tax).sum();
        let credit = self.kind == InvoiceKind::CreditNote;
        let mut body = json!({
            "trdInvcNo": self.number.to_string(),
            "invcNo": self.number,
            "orgInvcNo": self.original_number.unwrap_or(0),
            "salesTyCd": "N",
            "rcptTyCd": if credit { "R" } else { "S" },
            "pmtTyCd": self.paid.code(),
            "salesSttsCd": "02",
            "cfmDt": stamp,
            "salesDt": at.format("%Y%m%d").to_string(),
            "rfdDt": if credit { Value::from(stamp.clone()) } else { Value::Null },
            "rfdRsnCd": if credit { Value::from(self.reason.code()) } else { Value::Null },
            "totItemCnt": self.lines.len(),
            "totTaxblAmt": amount(total),
            "totTaxAmt": amount(tax),
            "totAmt": amount(total),
            "prchrAcptcYn": "N",
            "regrId": self.cashier,
            "regrNm": self.cashier,
            "modrId": self.cashier,
            "modrNm": self.cashier,
            "receipt": { "rcptPbctDt": stamp, "prchrAcptcYn": "N" },
            "itemList": self.lines.iter().enumerate().map(|(n, l)| item(n + 1, l)).collect::<Vec<_>>(),
        });
        for t in sum {
            let code = t.tax_type.code();
            body[format!("taxblAmt{code}")] = amount(t.taxable);
            body[format!("taxRt{code}")] = number(t.tax_type.rate());
            body[format!("taxAmt{code}")] = amount(t.tax);
        }
        body
    }
}

fn item(seq: usize, line: &InvoiceLine) -> Value {
    let gross = line.price.times(line.quantity);
    let rate = if gross == Money::ZERO {
        Decimal::ZERO
    } else {
        (line.discount.amount() * Decimal::ONE_HUNDRED / gross.amount()).round_dp(2)
    };
    json!({
        "itemSeq": seq,
        "itemCd": line.item_code(),
        "itemClsCd": line.item_class,
        "itemNm": line.name,
        "bcd": line.sku,
        "pkgUnitCd": "NT",
        "pkg": line.quantity,
        "qtyUnitCd": "U",
        "qty": line.quantity,
        "prc": amount(line.price),
        "splyAmt": amount(gross),
        "dcRt": number(rate),
        "dcAmt": amount(line.discount),
        "taxTyCd": line.tax_type.code(),
        "taxblAmt": amount(line.net()),
        "taxAmt": amount(line.tax_type.tax_in(line.net())),
        "totAmt": amount(line.net()),
    })
}

/// The demo's KRA item classes, one per seeded category (its slug): what the seed gives
/// its products and what the sandbox answers for `selectItemClsList`, so a demo product's
/// class passes the console's check. Classes of the UNSPSC list KRA's are built on.
pub const DEMO_ITEM_CLASSES: [(&str, &str, &str); 8] = [
    ("phones", "4321150300", "Mobile phones"),
    ("accessories", "4321160000", "Computer accessories"),
    (
        "electronics",
        "5213160000",
        "Domestic audio and visual equipment",
    ),
    ("groceries", "5022180000", "Flour and milled products"),
    ("beverages", "5020200000", "Non alcoholic beverages"),
    (
        "household",
        "4713160000",
        "Cleaning and janitorial supplies",
    ),
    ("personal-care", "5313150000", "Bath and body"),
    ("stationery", "4412170000", "Writing instruments"),
];

/// What a receipt prints of an invoice: its number, and KRA's signature once it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fiscal {
    /// The invoice's row: what KRA's answer is announced by.
    pub id: uuid::Uuid,
    pub number: i64,
    pub kind: InvoiceKind,
    pub state: InvoiceState,
    pub signed: Option<Signed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub receipt_number: i64,
    pub total_receipts: i64,
    pub internal_data: String,
    pub signature: String,
    pub scu_time: String,
}

/// What a receipt prints for eTIMS: the invoice, its taxes per type, KRA's signature and
/// the checker's link once signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiscalPrint {
    pub fiscal: Fiscal,
    /// `SCU id/number`, as the receipt prints the CU invoice number.
    pub cu_invoice: String,
    pub taxes: Vec<TaxTotal>,
    pub verify_link: Option<String>,
    /// Signed by the sandbox: declared to nobody.
    pub sandbox: bool,
}

impl FiscalPrint {
    /// Not answered by KRA yet: a receipt printed now would say "eTIMS PENDING".
    pub fn awaits_kra(&self) -> bool {
        self.fiscal.state == InvoiceState::Pending
    }
}

/// The eTIMS queue as the console shows it: the device first, then the invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceQueue {
    pub device: DeviceStatus,
    pub invoices: Vec<QueuedInvoice>,
}

/// How the shop stands with KRA, as the console's eTIMS section heads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    /// Who signs, as the console says it: KRA (OSCU or the shop's VSCU), the sandbox, or
    /// the shop's server (from a terminal, which sends nothing itself).
    pub signer: &'static str,
    pub scu_id: String,
    pub branch: String,
    /// KRA's item classes kept, and KRA's time of its last answer about them.
    pub classes: i64,
    pub classes_at: Option<String>,
    /// When KRA last signed an invoice.
    pub last_signed: Option<DateTime<Utc>>,
}

/// An invoice as the admin console lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedInvoice {
    pub id: uuid::Uuid,
    pub number: i64,
    pub kind: InvoiceKind,
    pub order_id: uuid::Uuid,
    pub issued_at: DateTime<Utc>,
    pub state: InvoiceState,
    pub attempts: i32,
    /// KRA's reason for a refusal, or why it could not be reached.
    pub last_error: Option<String>,
    pub signature: Option<String>,
}

impl InvoiceState {
    pub fn label(self) -> &'static str {
        match self {
            InvoiceState::Pending => "pending",
            InvoiceState::Signed => "signed",
            InvoiceState::Refused => "REFUSED",
            InvoiceState::Received => "KRA has it",
        }
    }
}

/// The link KRA's invoice checker reads, for the receipt's QR code: the PIN, the branch and
/// the signature, run together.
pub fn verify_link(base: &str, pin: &str, branch: &str, signature: &str) -> String {
    format!("{base}{pin}{branch}{signature}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::tax::totals;

    /// A sale's invoice as KRA signed it, for the receipts' tests.
    pub(crate) fn signed_print() -> FiscalPrint {
        FiscalPrint {
            fiscal: Fiscal {
                id: uuid::Uuid::from_u128(42),
                number: 42,
                kind: InvoiceKind::Sale,
                state: InvoiceState::Signed,
                signed: Some(Signed {
                    receipt_number: 40,
                    total_receipts: 42,
                    internal_data: "EAHSAV6ECUUXSY6PCCJYAUP6MI".into(),
                    signature: "SIGNATURE0000001".into(),
                    scu_time: "20261125093001".into(),
                }),
            },
            cu_invoice: "KRACU0100000001/42".into(),
            taxes: totals([(TaxType::B, Money::from_cents(2_375_050))]),
            verify_link: Some(verify_link(
                "https://etims-sbx.kra.go.ke/x?Data=",
                "P051234567X",
                "00",
                "SIGNATURE0000001",
            )),
            sandbox: false,
        }
    }

    fn line(
        name: &str,
        tax_type: TaxType,
        quantity: i32,
        price: i64,
        discount: i64,
    ) -> InvoiceLine {
        InvoiceLine {
            name: name.into(),
            sku: name.to_uppercase(),
            item_class: "5059690800".into(),
            item_number: 7,
            tax_type,
            quantity,
            price: Money::from_cents(price),
            discount: Money::from_cents(discount),
        }
    }

    #[test]
    fn a_sale_declares_each_types_taxable_amount_and_tax_and_its_lines() {
        let invoice = Invoice {
            number: 12,
            kind: InvoiceKind::Sale,
            original_number: None,
            // 21:30 UTC is 00:30 the next day in Nairobi: KRA gets the shop's time.
            issued_at: "2026-11-25T21:30:05Z".parse().unwrap(),
            paid: Paid::By(PaymentMethod::Mpesa),
            cashier: "wanjiru".into(),
            reason: CreditReason::Refund,
            lines: vec![
                line("Radio", TaxType::B, 2, 100_000, 10_000),
                line("Tea", TaxType::E, 1, 54_000, 0),
                line("Maize flour", TaxType::A, 3, 20_000, 0),
            ],
        };
        let body = invoice.request();
        assert_eq!(body["invcNo"], 12);
        assert_eq!(body["rcptTyCd"], "S");
        assert_eq!(body["pmtTyCd"], "06");
        assert_eq!(body["cfmDt"], "20261126003005");
        assert_eq!(body["salesDt"], "20261126");
        assert_eq!(body["rfdRsnCd"], Value::Null);
        // Radio: 2,000 less 100 = 1,900, holding 262.07 at 16 %.
        assert_eq!(body["taxblAmtB"], 1900.0);
        assert_eq!(body["taxAmtB"], 262.07);
        assert_eq!(body["taxblAmtE"], 540.0);
        assert_eq!(body["taxAmtE"], 40.0);
        assert_eq!(body["taxblAmtA"], 600.0);
        assert_eq!(body["taxAmtA"], 0.0);
        assert_eq!(body["taxRtE"], 8.0);
        assert_eq!(body["totAmt"], 3040.0);
        assert_eq!(body["totTaxAmt"], 302.07);
        let radio = &body["itemList"][0];
        assert_eq!(radio["itemCd"], "KE2NTU0000007");
        assert_eq!(radio["splyAmt"], 2000.0);
        assert_eq!(radio["dcAmt"], 100.0);
        assert_eq!(radio["dcRt"], 5.0);
        assert_eq!(radio["taxblAmt"], 1900.0);
        assert_eq!(radio["taxAmt"], 262.07);
    }

    #[test]
    fn a_credit_note_names_its_sale_and_why() {
        let note = |restocked| {
            Invoice {
                number: 13,
                kind: InvoiceKind::CreditNote,
                original_number: Some(12),
                issued_at: "2026-11-26T08:00:00Z".parse().unwrap(),
                paid: Paid::InParts,
                cashier: "wanjiru".into(),
                reason: CreditReason::of_return(restocked),
                lines: vec![line("Radio", TaxType::B, 1, 100_000, 5_000)],
            }
            .request()
        };
        let back_on_the_shelf = note(Some(true));
        assert_eq!(back_on_the_shelf["rcptTyCd"], "R");
        assert_eq!(back_on_the_shelf["orgInvcNo"], 12);
        assert_eq!(back_on_the_shelf["rfdRsnCd"], "06");
        assert_eq!(back_on_the_shelf["rfdDt"], "20261126110000");
        assert_eq!(back_on_the_shelf["pmtTyCd"], "07");
        assert_eq!(back_on_the_shelf["totAmt"], 950.0);
        assert_eq!(note(Some(false))["rfdRsnCd"], "03", "damaged");
        assert_eq!(note(None)["rfdRsnCd"], "06", "a sale cancelled");
    }

    #[test]
    fn an_item_is_registered_with_its_class_tax_type_price_and_barcode() {
        let item = Item {
            product_id: uuid::Uuid::nil(),
            name: "Radio".into(),
            sku: "6001067012345".into(),
            item_class: "5213160000".into(),
            item_number: 7,
            tax_type: TaxType::E,
            price: Money::from_cents(149_950),
        };
        let body = item.request("admin");
        assert_eq!(body["itemCd"], "KE2NTU0000007");
        assert_eq!(body["itemClsCd"], "5213160000");
        assert_eq!(body["itemTyCd"], "2");
        assert_eq!(body["taxTyCd"], "E");
        assert_eq!(body["dftPrc"], 1499.5);
        assert_eq!(body["bcd"], "6001067012345");
        assert_eq!(
            (body["useYn"].as_str(), body["modrNm"].as_str()),
            (Some("Y"), Some("admin"))
        );
        assert!(
            item.master().get("regrId").is_none(),
            "who sent it is no change"
        );
    }
}
