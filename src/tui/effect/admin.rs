//! The admin console's work: lists to read, and changes that answer with what was done.

use uuid::Uuid;

use crate::domain::alert::Alert;
use crate::domain::audit::AuditEntry;
use crate::domain::catalog::{
    Category, PriceChange, Product, ProductForm, ProductQuery, StockReason,
};
use crate::domain::etims::InvoiceQueue;
use crate::domain::order::{OrderDetail, OrderFilter, OrderStatus, OrderSummary, short_id};
use crate::domain::payment::{PaymentMethod, PaymentRow, PaymentStatus, TillPayment};
use crate::domain::report::SalesReport;
use crate::domain::returns::PendingRefund;
use crate::domain::shift::{Shift, ShiftFilter, ShiftReport, ShiftSummary};
use crate::domain::terminal::Terminal;
use crate::domain::user::{Actor, Role, UserAccount};
use crate::domain::{Error, Money, Result};
use crate::service::Services;
use crate::service::auth::NewAccount;
use crate::tui::effect::Secret;

/// How many rows a list loads.
const LIST: i64 = 200;

#[derive(Debug, Clone, PartialEq)]
pub enum AdminRequest {
    Orders(OrderFilter),
    Order(Uuid),
    Payments {
        status: Option<PaymentStatus>,
        method: Option<PaymentMethod>,
    },
    Alerts,
    /// Products whose words match, optionally of one category.
    Products {
        text: String,
        category_id: Option<Uuid>,
    },
    /// A product with its price history.
    Product(Uuid),
    LowStock(i32),
    Categories,
    Users(String),
    Terminals,
    Audit(String),
    Shifts(ShiftFilter),
    Refunds,
    TillPayments,
    /// eTIMS invoices: unsent first.
    Etims,
    /// One shift's X (open) or Z (closed) report.
    ShiftReport(Uuid),
    /// The shifts a filter finds, summed.
    ShiftSummary(ShiftFilter),
    Report,
    /// What the console warns of (demo accounts that can log in).
    Warnings,
    Change(Change),
}

/// A new account as typed in the console (its password kept out of logs).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccountForm {
    pub username: String,
    pub email: String,
    pub phone: String,
    pub password: Secret,
}

/// Something the admin changes; answered with [`AdminAnswer::Done`].
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    SetOrderStatus {
        order_id: Uuid,
        status: OrderStatus,
    },
    CancelOrder(Uuid),
    /// The order's receipt again, marked COPY: saved and printed.
    Reprint(Uuid),
    VerifyPayment {
        payment_id: Uuid,
        transaction_id: String,
        amount: Money,
    },
    RejectPayment {
        payment_id: Uuid,
        reason: String,
    },
    /// An unpaid till sale closed as a loss (no restock).
    WriteOff {
        order_id: Uuid,
        reason: String,
    },
    /// A refund sent back with the provider, by its reference.
    CompleteReversal {
        return_id: Uuid,
        reference: String,
    },
    ResolveAlert {
        alert_id: i64,
        how: String,
    },
    CreateProduct {
        form: Box<ProductForm>,
        stock: i32,
    },
    UpdateProduct {
        id: Uuid,
        version: i32,
        form: Box<ProductForm>,
    },
    SetArchived {
        id: Uuid,
        archived: bool,
    },
    DeleteProduct(Uuid),
    AdjustStock {
        id: Uuid,
        delta: i32,
        reason: StockReason,
        note: String,
    },
    CreateCategory(String),
    RenameCategory {
        id: Uuid,
        name: String,
        slug: String,
    },
    DeleteCategory(Uuid),
    SetRole {
        user_id: Uuid,
        role: Role,
    },
    SetActive {
        user_id: Uuid,
        active: bool,
    },
    ResetPassword {
        user_id: Uuid,
        password: Secret,
    },
    CreateUser {
        account: NewAccountForm,
        role: Role,
    },
    ExportReport,
    /// An invoice KRA refused, sent again (after fixing what KRA named).
    ResendInvoice {
        id: Uuid,
        number: i64,
    },
}

#[derive(Debug, Clone)]
pub enum AdminAnswer {
    Orders(Result<Vec<OrderSummary>>),
    Order(Result<Box<OrderDetail>>),
    Payments(Result<Vec<PaymentRow>>),
    Alerts(Result<Vec<Alert>>),
    Products(Result<Vec<Product>>),
    Product(Result<(Box<Product>, Vec<PriceChange>)>),
    LowStock(Result<Vec<Product>>),
    Categories(Result<Vec<Category>>),
    Users(Result<Vec<UserAccount>>),
    Terminals(Result<Vec<Terminal>>),
    Shifts(Result<Vec<Shift>>),
    Refunds(Result<Vec<PendingRefund>>),
    TillPayments(Result<Vec<TillPayment>>),
    Etims(Result<InvoiceQueue>),
    ShiftReport(Result<Box<ShiftReport>>),
    ShiftSummary(Result<Box<ShiftSummary>>),
    Audit(Result<Vec<AuditEntry>>),
    Report(Result<Box<SalesReport>>),
    Warnings(Result<Vec<String>>),
    /// A change: what to tell the admin, or why it was refused.
    Done(Result<String>),
}

impl AdminAnswer {
    pub fn error(&self) -> Option<&Error> {
        match self {
            AdminAnswer::Orders(Err(e))
            | AdminAnswer::Order(Err(e))
            | AdminAnswer::Payments(Err(e))
            | AdminAnswer::Alerts(Err(e))
            | AdminAnswer::Products(Err(e))
            | AdminAnswer::Product(Err(e))
            | AdminAnswer::LowStock(Err(e))
            | AdminAnswer::Categories(Err(e))
            | AdminAnswer::Users(Err(e))
            | AdminAnswer::Terminals(Err(e))
            | AdminAnswer::Shifts(Err(e))
            | AdminAnswer::Refunds(Err(e))
            | AdminAnswer::TillPayments(Err(e))
            | AdminAnswer::Etims(Err(e))
            | AdminAnswer::ShiftReport(Err(e))
            | AdminAnswer::ShiftSummary(Err(e))
            | AdminAnswer::Audit(Err(e))
            | AdminAnswer::Report(Err(e))
            | AdminAnswer::Warnings(Err(e))
            | AdminAnswer::Done(Err(e)) => Some(e),
            _ => None,
        }
    }
}

pub(super) async fn run(s: &Services, a: &Actor, request: AdminRequest) -> AdminAnswer {
    use AdminAnswer as Answer;
    use AdminRequest as Ask;
    match request {
        Ask::Orders(filter) => Answer::Orders(s.orders.list(a, &filter, LIST).await),
        Ask::Order(id) => Answer::Order(s.orders.detail(a, id).await.map(Box::new)),
        Ask::Payments { status, method } => {
            Answer::Payments(s.payments.list(a, status, method, LIST).await)
        }
        Ask::Alerts => Answer::Alerts(s.payments.alerts(a).await),
        Ask::Products { text, category_id } => {
            let query = ProductQuery {
                text,
                category_id,
                limit: LIST,
                ..Default::default()
            };
            Answer::Products(s.admin.products(a, &query).await)
        }
        Ask::Product(id) => Answer::Product(product_with_history(s, a, id).await),
        Ask::LowStock(threshold) => Answer::LowStock(s.admin.low_stock(a, threshold).await),
        Ask::Categories => Answer::Categories(s.catalog.categories().await),
        Ask::Users(text) => Answer::Users(s.users.search(a, &text).await),
        Ask::Terminals => Answer::Terminals(s.terminals.list(a).await),
        Ask::Audit(text) => Answer::Audit(s.users.audit_log(a, &text, LIST).await),
        Ask::Shifts(filter) => Answer::Shifts(s.shifts.list(a, &filter).await),
        Ask::Refunds => Answer::Refunds(s.returns.awaiting_reversal(a).await),
        Ask::TillPayments => Answer::TillPayments(s.payments.unclaimed_till_payments(a).await),
        Ask::Etims => Answer::Etims(s.etims.list(a).await),
        Ask::ShiftReport(id) => Answer::ShiftReport(s.shifts.report_of(a, id).await.map(Box::new)),
        Ask::ShiftSummary(filter) => {
            Answer::ShiftSummary(s.shifts.summary(a, &filter).await.map(Box::new))
        }
        Ask::Report => Answer::Report(s.reports.sales(a).await.map(Box::new)),
        Ask::Warnings => Answer::Warnings(s.users.warnings(a).await),
        Ask::Change(change) => Answer::Done(apply(s, a, change).await),
    }
}

async fn product_with_history(
    s: &Services,
    a: &Actor,
    id: Uuid,
) -> Result<(Box<Product>, Vec<PriceChange>)> {
    let history = s.admin.price_history(a, id).await?;
    Ok((Box::new(s.catalog.product(id).await?), history))
}

/// Makes a change and says what happened, in the words the status line shows.
async fn apply(s: &Services, a: &Actor, change: Change) -> Result<String> {
    use Change as Ask;
    Ok(match change {
        Ask::SetOrderStatus { order_id, status } => {
            let order = s.orders.set_status(a, order_id, status).await?;
            format!("Order {} is now {}.", short_id(order.id), order.status)
        }
        Ask::Reprint(id) => {
            let receipt = s.pos.reprint(a, id).await?;
            let issued = s.receipts.issue(&receipt).await?;
            match issued.printed {
                Some(Err(why)) => why,
                _ => format!(
                    "Receipt {} printed again as a COPY; saved as {}.",
                    short_id(id),
                    issued.path.display()
                ),
            }
        }
        Ask::CancelOrder(id) => {
            let done = s.orders.cancel(a, id).await?;
            let refund = match done.refund_due {
                Some(amount) => format!(" Refund {amount} to the customer."),
                None => String::new(),
            };
            format!(
                "Order {} cancelled; {} unit(s) back in stock.{refund}",
                short_id(id),
                done.units_restocked
            )
        }
        Ask::VerifyPayment {
            payment_id,
            transaction_id,
            amount,
        } => {
            let paid = s
                .payments
                .confirm(a, payment_id, &transaction_id, amount)
                .await?;
            format!(
                "Payment {} verified; order {} is paid.",
                paid.transaction_id.unwrap_or_default(),
                short_id(paid.order_id)
            )
        }
        Ask::WriteOff { order_id, reason } => {
            let order = s.orders.write_off(a, order_id, &reason).await?;
            format!(
                "Sale {} written off: {} not received; its stock stays as it is.",
                short_id(order.id),
                order.total_amount
            )
        }
        Ask::RejectPayment { payment_id, reason } => {
            let failed = s.payments.reject(a, payment_id, &reason).await?;
            format!(
                "Payment for order {} rejected: the customer must pay again.",
                short_id(failed.order_id)
            )
        }
        Ask::ResendInvoice { id, number } => {
            s.etims.resend(a, id).await?;
            format!("Invoice {number} goes to KRA again, and the queue after it.")
        }
        Ask::CompleteReversal {
            return_id,
            reference,
        } => {
            let refund = s
                .returns
                .complete_reversal(a, return_id, &reference)
                .await?;
            format!(
                "Refund of {} to {} recorded as sent by {}.",
                refund.amount,
                refund.customer,
                refund.method.label()
            )
        }
        Ask::ResolveAlert { alert_id, how } => {
            s.payments.resolve_alert(a, alert_id, &how).await?;
            "Alert resolved; the audit log says how.".into()
        }
        Ask::CreateProduct { form, stock } => {
            let product = s.admin.create_product(a, &form, stock).await?;
            format!("Created {} ({}).", product.name, product.sku)
        }
        Ask::UpdateProduct { id, version, form } => {
            let product = s.admin.update_product(a, id, version, &form).await?;
            format!("Saved {}.", product.name)
        }
        Ask::SetArchived { id, archived } => {
            let product = s.admin.set_archived(a, id, archived).await?;
            let state = if archived { "archived" } else { "back on sale" };
            format!("{} is {state}.", product.name)
        }
        Ask::DeleteProduct(id) => {
            s.admin.delete_product(a, id).await?;
            "Product deleted.".into()
        }
        Ask::AdjustStock {
            id,
            delta,
            reason,
            note,
        } => {
            let stock = s.admin.adjust_stock(a, id, delta, reason, &note).await?;
            format!("Stock is now {stock}.")
        }
        Ask::CreateCategory(name) => {
            let category = s.admin.create_category(a, &name).await?;
            format!("Category {} created.", category.name)
        }
        Ask::RenameCategory { id, name, slug } => {
            let category = s.admin.rename_category(a, id, &name, &slug).await?;
            format!("Category is now {} ({}).", category.name, category.slug)
        }
        Ask::DeleteCategory(id) => {
            s.admin.delete_category(a, id).await?;
            "Category deleted.".into()
        }
        Ask::SetRole { user_id, role } => {
            let user = s.users.set_role(a, user_id, role).await?;
            format!("{} is now {}.", user.username, user.role())
        }
        Ask::SetActive { user_id, active } => {
            let user = s.users.set_active(a, user_id, active).await?;
            let state = if active {
                "active again"
            } else {
                "deactivated and logged out everywhere"
            };
            format!("{} is {state}.", user.username)
        }
        Ask::CreateUser { account, role } => {
            let account = NewAccount {
                username: account.username,
                email: account.email,
                phone: account.phone,
                password: account.password.0,
            };
            let user = s.users.create(a, account, role).await?;
            format!("Created {} ({role}).", user.username)
        }
        Ask::ResetPassword { user_id, password } => {
            s.users.reset_password(a, user_id, &password.0).await?;
            "Password reset; the user's open sessions were ended.".into()
        }
        Ask::ExportReport => {
            let path = s.reports.export(a).await?;
            format!("Report saved as {}.", path.display())
        }
    })
}
