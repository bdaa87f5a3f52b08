//! The till's work: lookups, customers, sales, receipts.

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::catalog::Product;
use crate::domain::discount::Approval;
use crate::domain::etims::FiscalPrint;
use crate::domain::held::HeldSale;
use crate::domain::order::{OrderDetail, OrderItem, RecentSale, UnpaidOrder};
use crate::domain::receipt::Receipt;
use crate::domain::returns::{ReturnRequest, ReturnableSale};
use crate::domain::shift::{Shift, ShiftReport};
use crate::domain::user::{Actor, UserAccount};
use crate::domain::{Error, Money, Result};
use crate::service::Services;
use crate::service::pos::{Lookup, Sale, Tender};
use crate::service::receipts::Issued;
use crate::service::shifts::CashMove;
use crate::tui::effect::Secret;

#[derive(Debug, Clone, PartialEq)]
pub enum PosRequest {
    /// What the cashier scanned or typed, and how many to add; `seq` orders the answers.
    Lookup {
        seq: u64,
        text: String,
        quantity: i32,
    },
    FindCustomer(String),
    /// A customer added on the spot (F3).
    AddCustomer {
        username: String,
        phone: String,
    },
    Sell(Box<Sale>),
    /// Orders recorded and unpaid (F6).
    Unpaid,
    /// An unpaid order, to pay or void at the till.
    LoadOrder(Uuid),
    /// Payment for an order recorded earlier.
    PayOrder {
        order_id: Uuid,
        tender: Tender,
    },
    /// Save (and print) a receipt.
    Issue(Box<Receipt>),
    /// A receipt's eTIMS invoice as it stands now (KRA answered it).
    InvoiceNow(Box<FiscalPrint>),
    /// Current prices and stock of the sale's products.
    Refresh(Vec<Uuid>),
    /// The receipt of a recorded sale (once its M-Pesa push was paid).
    Receipt(Uuid),
    /// Cancels a recorded sale not paid (a push refused, an unpaid sale voided): stock goes
    /// back.
    CancelSale(Uuid),
    /// This cashier's held sales.
    LoadHeld,
    /// Holds a sale and/or takes a held one back out (F4, F5).
    SwapHeld {
        hold: Option<Box<HeldSale>>,
        recall: Option<Uuid>,
    },
    /// The cashier's shift: looked up, opened, cash moved, reported on, closed (F10).
    Shift(ShiftRequest),
    /// Save (and print) a shift's X or Z report.
    IssueReport(Box<ShiftReport>),
    /// The cashier's last sales (F11), and one's receipt again, marked COPY.
    Recent,
    Reprint(Uuid),
    /// The sale a receipt number stands for, to take goods back from (F7).
    FindSale(String),
    TakeReturn(Box<ReturnRequest>),
    /// The most a cashier takes off a line without an admin.
    DiscountLimit,
    /// An admin's password at the till, approving the discounts of the sale `sale_key`.
    ApproveDiscount {
        sale_key: Uuid,
        username: String,
        password: Secret,
    },
    /// Lines voided before payment (`whole_sale`: F9), for the audit log.
    Void {
        sale_key: Uuid,
        whole_sale: bool,
        items: Vec<OrderItem>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShiftRequest {
    Load,
    /// The float counted into the drawer, as typed.
    Open(String),
    Cash {
        way: CashMove,
        amount: String,
        reason: String,
    },
    /// The X report.
    Report,
    /// The cash counted, as typed: the Z report.
    Close(String),
}

#[derive(Debug, Clone)]
pub enum PosAnswer {
    Lookup {
        seq: u64,
        quantity: i32,
        result: Result<Lookup>,
    },
    Customers(Result<Vec<UserAccount>>),
    CustomerAdded(Result<UserAccount>),
    Sold(Result<Box<Receipt>>),
    Unpaid(Result<Vec<UnpaidOrder>>),
    Order(Result<Box<OrderDetail>>),
    Issued(Result<Issued>),
    Refreshed(Result<Vec<Product>>),
    Cancelled(Result<()>),
    Voided(Result<()>),
    Held(Result<Vec<HeldSale>>),
    Swapped(Result<()>),
    /// The cashier's open shift (None: no shift), after a look-up or an open.
    Shift(Result<Option<Shift>>),
    CashMoved(Result<(CashMove, Money)>),
    /// An X report, or the Z report of a shift just closed.
    ShiftReport(Result<Box<ShiftReport>>),
    Recent(Result<Vec<RecentSale>>),
    Reprinted(Result<Box<Receipt>>),
    InvoiceNow(Result<Box<FiscalPrint>>),
    SaleFound(Result<Box<ReturnableSale>>),
    /// The return's slip.
    Returned(Result<Box<Receipt>>),
    DiscountLimit(Result<Decimal>),
    DiscountApproved(Result<Approval>),
}

impl PosAnswer {
    pub fn error(&self) -> Option<&Error> {
        match self {
            PosAnswer::Lookup { result: Err(e), .. }
            | PosAnswer::Customers(Err(e))
            | PosAnswer::CustomerAdded(Err(e))
            | PosAnswer::Sold(Err(e))
            | PosAnswer::Unpaid(Err(e))
            | PosAnswer::Order(Err(e))
            | PosAnswer::Issued(Err(e))
            | PosAnswer::Refreshed(Err(e))
            | PosAnswer::Cancelled(Err(e))
            | PosAnswer::Voided(Err(e))
            | PosAnswer::Held(Err(e))
            | PosAnswer::Swapped(Err(e))
            | PosAnswer::Shift(Err(e))
            | PosAnswer::CashMoved(Err(e))
            | PosAnswer::ShiftReport(Err(e))
            | PosAnswer::Recent(Err(e))
            | PosAnswer::Reprinted(Err(e))
            | PosAnswer::SaleFound(Err(e))
            | PosAnswer::Returned(Err(e))
            | PosAnswer::DiscountLimit(Err(e))
            | PosAnswer::DiscountApproved(Err(e)) => Some(e),
            _ => None,
        }
    }
}

pub(super) async fn run(s: &Services, actor: &Actor, request: PosRequest) -> PosAnswer {
    match request {
        PosRequest::Lookup {
            seq,
            text,
            quantity,
        } => PosAnswer::Lookup {
            seq,
            quantity,
            result: s.pos.lookup(actor, &text).await,
        },
        PosRequest::FindCustomer(text) => {
            PosAnswer::Customers(s.pos.find_customer(actor, &text).await)
        }
        PosRequest::AddCustomer { username, phone } => {
            PosAnswer::CustomerAdded(s.pos.add_customer(actor, &username, &phone).await)
        }
        PosRequest::Sell(sale) => PosAnswer::Sold(s.pos.sell(actor, *sale).await.map(Box::new)),
        PosRequest::Unpaid => PosAnswer::Unpaid(s.pos.unpaid(actor).await),
        PosRequest::LoadOrder(order_id) => {
            PosAnswer::Order(s.orders.detail(actor, order_id).await.map(Box::new))
        }
        PosRequest::PayOrder { order_id, tender } => {
            PosAnswer::Sold(s.pos.pay_order(actor, order_id, tender).await.map(Box::new))
        }
        PosRequest::Issue(receipt) => PosAnswer::Issued(s.receipts.issue(&receipt).await),
        PosRequest::InvoiceNow(print) => {
            PosAnswer::InvoiceNow(s.pos.invoice_now(actor, &print).await.map(Box::new))
        }
        PosRequest::Receipt(order_id) => {
            PosAnswer::Sold(s.pos.receipt_for(actor, order_id).await.map(Box::new))
        }
        PosRequest::LoadHeld => PosAnswer::Held(s.pos.held(actor).await),
        PosRequest::SwapHeld { hold, recall } => {
            PosAnswer::Swapped(s.pos.swap_held(actor, hold.as_deref(), recall).await)
        }
        PosRequest::Void {
            sale_key,
            whole_sale,
            items,
        } => PosAnswer::Voided(s.pos.record_void(actor, sale_key, whole_sale, &items).await),
        PosRequest::Shift(request) => shift(s, actor, request).await,
        PosRequest::IssueReport(report) => {
            PosAnswer::Issued(s.receipts.issue_report(&report).await)
        }
        PosRequest::Recent => PosAnswer::Recent(s.pos.recent_sales(actor).await),
        PosRequest::Reprint(order_id) => {
            PosAnswer::Reprinted(s.pos.reprint(actor, order_id).await.map(Box::new))
        }
        PosRequest::FindSale(number) => {
            PosAnswer::SaleFound(s.returns.find_sale(actor, &number).await.map(Box::new))
        }
        PosRequest::TakeReturn(request) => {
            PosAnswer::Returned(s.returns.take(actor, *request).await.map(Box::new))
        }
        PosRequest::DiscountLimit => PosAnswer::DiscountLimit(s.pos.discount_limit(actor).await),
        PosRequest::ApproveDiscount {
            sale_key,
            username,
            password,
        } => PosAnswer::DiscountApproved(
            s.auth
                .approve_discount(actor, sale_key, &username, &password.0)
                .await,
        ),
        PosRequest::CancelSale(order_id) => {
            PosAnswer::Cancelled(s.orders.cancel(actor, order_id).await.map(|_| ()))
        }
        PosRequest::Refresh(ids) => {
            let mut products = Vec::with_capacity(ids.len());
            for id in ids {
                match s.catalog.product(id).await {
                    Ok(product) => products.push(product),
                    Err(err) => return PosAnswer::Refreshed(Err(err)),
                }
            }
            PosAnswer::Refreshed(Ok(products))
        }
    }
}

async fn shift(s: &Services, actor: &Actor, request: ShiftRequest) -> PosAnswer {
    match request {
        ShiftRequest::Load => PosAnswer::Shift(s.shifts.current(actor).await),
        ShiftRequest::Open(float) => PosAnswer::Shift(s.shifts.open(actor, &float).await.map(Some)),
        ShiftRequest::Cash {
            way,
            amount,
            reason,
        } => PosAnswer::CashMoved(
            s.shifts
                .move_cash(actor, way, &amount, &reason)
                .await
                .map(|moved| (way, moved)),
        ),
        ShiftRequest::Report => PosAnswer::ShiftReport(s.shifts.report(actor).await.map(Box::new)),
        ShiftRequest::Close(counted) => {
            PosAnswer::ShiftReport(s.shifts.close(actor, &counted).await.map(Box::new))
        }
    }
}
