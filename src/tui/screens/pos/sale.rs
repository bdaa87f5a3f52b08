//! The sale being rung up: its lines, prices and how it is paid.

use uuid::Uuid;

use crate::domain::catalog::{OPEN_PRICE, Product};
use crate::domain::discount::{Approval, Discount, Off, Worked, net_total, work_out};
use crate::domain::held::{HeldLine, HeldSale};
use crate::domain::order::{OrderDetail, OrderItem};
use crate::domain::payment::{PaymentMethod, TransactionId};
use crate::domain::user::WALK_IN;
use crate::domain::{Money, Result};
use crate::service::cart::MAX_QUANTITY;
use crate::service::pos::Tender;
use crate::tui::effect::{Effect, PosRequest};
use crate::tui::screens::Reply;

/// What the open-price line is called on screen and on the receipt (as the database's row).
const OPEN_PRICE_NAME: &str = "Miscellaneous (open price)";

#[derive(Debug, Clone, PartialEq)]
pub struct SaleLine {
    pub product_id: Uuid,
    pub name: String,
    pub sku: String,
    /// The price the line was rung up at (what the sale asks the services for).
    pub price: Money,
    /// The shelf price, when an admin changed it since: the cashier accepts it before paying.
    pub new_price: Option<Money>,
    pub stock: i32,
    pub quantity: i32,
}

impl SaleLine {
    pub(super) fn total(&self) -> Money {
        self.price.times(self.quantity)
    }

    /// Notes the product's shelf price now: a change is marked, never taken silently.
    pub(super) fn shelf_price(&mut self, price: Money) {
        self.new_price = (price != self.price).then_some(price);
    }
}

/// A sale being rung up (or held while another is).
#[derive(Debug, Clone, PartialEq)]
pub struct SaleDraft {
    /// Made when the sale starts: paying twice records it once.
    pub key: Uuid,
    pub customer: Option<(Uuid, String)>,
    /// The customer's phone, offered for an M-Pesa push.
    pub phone: Option<String>,
    pub lines: Vec<SaleLine>,
    /// The order this sale was recorded as, unpaid (F6): its lines are fixed; it is paid
    /// again or voided as it is.
    pub recorded: Option<Uuid>,
    /// Off a line or the whole sale (Ctrl+D); the database works out each line's share.
    pub discounts: Vec<Discount>,
    /// An admin's approval of discounts over the cashier's limit; any change drops it.
    pub approval: Option<Approval>,
}

impl Default for SaleDraft {
    fn default() -> Self {
        SaleDraft {
            key: Uuid::new_v4(),
            customer: None,
            phone: None,
            lines: Vec::new(),
            recorded: None,
            discounts: Vec::new(),
            approval: None,
        }
    }
}

impl SaleDraft {
    /// What the buyer pays, discounts off.
    pub fn total(&self) -> Money {
        net_total(&self.shelf_values(), &self.discounts).unwrap_or_else(|_| self.gross())
    }

    /// At the prices rung up, before discounts.
    pub fn gross(&self) -> Money {
        self.lines.iter().map(SaleLine::total).sum()
    }

    /// The sale's products from the catalog (not the open-price line), to refresh.
    pub(super) fn catalog_products(&self) -> Vec<Uuid> {
        self.lines
            .iter()
            .map(|l| l.product_id)
            .filter(|id| *id != OPEN_PRICE)
            .collect()
    }

    /// Sets the open-price line's unit price, adding the line (one unit) when the sale has
    /// none; returns its index.
    pub(super) fn open_price(&mut self, price: Money) -> usize {
        if let Some(i) = self.lines.iter().position(|l| l.product_id == OPEN_PRICE) {
            self.lines[i].price = price;
            return i;
        }
        self.lines.push(SaleLine {
            product_id: OPEN_PRICE,
            name: OPEN_PRICE_NAME.into(),
            sku: "OPEN-PRICE".into(),
            price,
            new_price: None,
            stock: MAX_QUANTITY,
            quantity: 1,
        });
        self.lines.len() - 1
    }

    /// Each line's product and value at the price rung up.
    pub(super) fn shelf_values(&self) -> Vec<(Uuid, Money)> {
        self.lines
            .iter()
            .map(|l| (l.product_id, l.total()))
            .collect()
    }

    pub(super) fn worked(&self) -> Result<Worked> {
        work_out(&self.shelf_values(), &self.discounts)
    }

    /// The discount on `product`'s line, or on the whole sale (None).
    pub fn discount_on(&self, product: Option<Uuid>) -> Option<&Discount> {
        self.discounts.iter().find(|d| d.product == product)
    }

    /// The discounts with the one on `product` (or the sale) replaced by `discount`, or
    /// taken away when it is None.
    pub(super) fn discounts_with(
        &self,
        product: Option<Uuid>,
        discount: Option<Discount>,
    ) -> Vec<Discount> {
        let mut discounts: Vec<Discount> = self
            .discounts
            .iter()
            .filter(|d| d.product != product)
            .cloned()
            .collect();
        discounts.extend(discount);
        discounts
    }

    /// After lines changed: discounts of lines gone go with them, and when what is left no
    /// longer works out (an amount now more than its line) all are taken off, said in the
    /// returned notice, for the cashier to give again.
    pub(super) fn check_discounts(&mut self) -> Option<String> {
        let products: Vec<Uuid> = self.lines.iter().map(|l| l.product_id).collect();
        self.discounts
            .retain(|d| d.product.is_none_or(|p| products.contains(&p)));
        if self.lines.is_empty() {
            self.discounts.clear();
        }
        if self.discounts.is_empty() || self.worked().is_ok() {
            return None;
        }
        self.discounts.clear();
        self.approval = None;
        Some(
            "The discounts no longer fit the sale and were taken off: Ctrl+D gives them again."
                .into(),
        )
    }

    pub fn units(&self) -> i32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// The audit log's record of `lines` voided from the sale `key`.
    pub(super) fn voided(key: Uuid, whole_sale: bool, lines: Vec<SaleLine>) -> Reply {
        let items = lines
            .into_iter()
            .map(|l| OrderItem {
                product_id: l.product_id,
                product_name: l.name,
                sku: l.sku,
                quantity: l.quantity,
                price: l.price,
                discount: Money::ZERO,
            })
            .collect();
        Reply::Run(Effect::Pos(PosRequest::Void {
            sale_key: key,
            whole_sale,
            items,
        }))
    }

    /// The sale as the database keeps it while held.
    pub(super) fn to_held(&self) -> HeldSale {
        let lines: Vec<HeldLine> = self
            .lines
            .iter()
            .map(|l| HeldLine {
                product_id: l.product_id,
                name: l.name.clone(),
                sku: l.sku.clone(),
                price: l.price,
                quantity: l.quantity,
            })
            .collect();
        HeldSale {
            key: self.key,
            label: HeldSale::label_for(self.customer.as_ref().map(|(_, n)| n.as_str()), &lines),
            customer: self.customer.clone(),
            lines,
            discounts: self.discounts.clone(),
            held_at: chrono::Utc::now(),
        }
    }

    /// A held sale back on screen, at the prices it was rung up at; stock is known again
    /// once its products are refreshed.
    pub(super) fn from_held(held: HeldSale) -> SaleDraft {
        SaleDraft {
            key: held.key,
            customer: held.customer,
            phone: None,
            lines: held
                .lines
                .into_iter()
                .map(|l| SaleLine {
                    product_id: l.product_id,
                    name: l.name,
                    sku: l.sku,
                    price: l.price,
                    new_price: None,
                    stock: MAX_QUANTITY,
                    quantity: l.quantity,
                })
                .collect(),
            recorded: None,
            discounts: held.discounts,
            approval: None,
        }
    }

    /// An unpaid order on the till, at the prices and discounts it was recorded at.
    pub(super) fn from_order(detail: OrderDetail) -> SaleDraft {
        let order = detail.order;
        let discounts = detail
            .items
            .iter()
            .filter(|i| i.discount > Money::ZERO)
            .map(|i| Discount {
                product: Some(i.product_id),
                off: Off::Amount(i.discount),
                reason: "as recorded".into(),
            })
            .collect();
        SaleDraft {
            key: Uuid::new_v4(),
            customer: (order.user_id != WALK_IN).then_some((order.user_id, order.username)),
            phone: order.phone,
            lines: detail
                .items
                .into_iter()
                .map(|i| SaleLine {
                    product_id: i.product_id,
                    name: i.product_name,
                    sku: i.sku,
                    price: i.price,
                    new_price: None,
                    stock: i.quantity,
                    quantity: i.quantity,
                })
                .collect(),
            recorded: Some(order.id),
            discounts,
            approval: None,
        }
    }

    /// Lines whose shelf price changed since they were rung up: "Tea 250.00 → 260.00".
    pub(super) fn price_changes(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| l.new_price.map(|p| format!("{} {} → {p}", l.name, l.price)))
            .collect()
    }

    /// The cashier accepts the shelf prices of every changed line.
    pub(super) fn accept_prices(&mut self) {
        for line in &mut self.lines {
            if let Some(price) = line.new_price.take() {
                line.price = price;
            }
        }
    }

    pub(super) fn customer_name(&self) -> &str {
        self.customer.as_ref().map_or("walk-in", |(_, name)| name)
    }

    /// Adds `quantity` of a product, onto its line if it has one. Refuses more than stock.
    pub(super) fn add(&mut self, product: &Product, quantity: i32) -> Result<usize, String> {
        let index = match self.lines.iter().position(|l| l.product_id == product.id) {
            Some(i) => i,
            None => {
                self.lines.push(SaleLine {
                    product_id: product.id,
                    name: product.name.clone(),
                    sku: product.sku.clone(),
                    price: product.price,
                    new_price: None,
                    stock: product.stock_quantity,
                    quantity: 0,
                });
                self.lines.len() - 1
            }
        };
        let line = &mut self.lines[index];
        line.shelf_price(product.price);
        line.stock = product.stock_quantity;
        let wanted = line.quantity + quantity;
        if wanted > line.stock {
            let left = line.stock;
            if line.quantity == 0 {
                self.lines.remove(index);
            }
            return Err(format!("Only {left} of {} in stock.", product.name));
        }
        line.quantity = wanted;
        Ok(index)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenderKind {
    Cash,
    MpesaCode,
    Card,
}

impl TenderKind {
    pub(super) fn label(self) -> &'static str {
        match self {
            TenderKind::Cash => "Cash handed over (KSh)",
            TenderKind::MpesaCode => "M-Pesa code from the customer's SMS",
            TenderKind::Card => "Card terminal reference (never the card number)",
        }
    }

    /// Checks the typed text as the cashier types, for the error beside the field.
    pub(super) fn parse(self, text: &str, total: Money) -> Result<Tender, String> {
        let tender = match self {
            // Nothing typed is exact cash, the usual case.
            TenderKind::Cash if text.trim().is_empty() => Tender::Cash { handed: total },
            TenderKind::Cash => {
                let handed = Money::parse("Cash", text).map_err(|e| e.to_string())?;
                if handed < total {
                    return Err(format!(
                        "Less than the {total} to pay: Tab takes it as a part, the rest paid another way."
                    ));
                }
                Tender::Cash { handed }
            }
            TenderKind::MpesaCode => {
                TransactionId::parse(PaymentMethod::Mpesa, text).map_err(|e| e.to_string())?;
                Tender::MpesaCode(text.trim().to_uppercase())
            }
            TenderKind::Card => {
                TransactionId::parse(PaymentMethod::Card, text).map_err(|e| e.to_string())?;
                Tender::Card(text.trim().to_uppercase())
            }
        };
        Ok(tender)
    }
}
