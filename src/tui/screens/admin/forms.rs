//! The admin's forms: what each asks, and what its values become when it is saved.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{AdminScreen, Popup, Section};
use crate::domain::alert::Alert;
use crate::domain::catalog::{Category, Product, ProductForm, StockReason};
use crate::domain::clock::parse_date;
use crate::domain::order::{OrderStatus, OrderSummary, short_id};
use crate::domain::payment::{PaymentMethod, PaymentRow, PaymentStatus};
use crate::domain::returns::PendingRefund;
use crate::domain::tax::TaxType;
use crate::domain::user::{Role, UserAccount};
use crate::domain::values::limits;
use crate::domain::{Error, Money};
use crate::tui::effect::{Change, NewAccountForm, Secret};
use crate::tui::form::{Field, Form};

/// What a form is for; carries the ids its change needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    OrderFilter,
    PaymentFilter,
    ProductSearch,
    UserSearch,
    AuditFilter,
    ShiftFilter,
    NewUser,
    CompleteReversal { return_id: Uuid },
    NewProduct,
    EditProduct { id: Uuid, version: i32 },
    AdjustStock { id: Uuid },
    NewCategory,
    RenameCategory { id: Uuid },
    SetRole { user_id: Uuid },
    ResetPassword { user_id: Uuid },
    VerifyPayment { payment_id: Uuid },
    RejectPayment { payment_id: Uuid },
    WriteOff { order_id: Uuid },
    ResolveAlert { alert_id: i64 },
}

const ANY: &str = "any";

fn popup(title: impl Into<String>, fields: Vec<Field>, purpose: Purpose) -> Popup {
    Popup::Form {
        form: Box::new(Form::new(title, fields)),
        purpose,
    }
}

fn words<T: ToString>(first: &str, items: impl IntoIterator<Item = T>) -> Vec<String> {
    std::iter::once(first.to_owned())
        .chain(items.into_iter().map(|i| i.to_string()))
        .collect()
}

fn method_word(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Mpesa => "mpesa",
        PaymentMethod::Card => "card",
        PaymentMethod::Paypal => "paypal",
        PaymentMethod::Cash => "cash",
    }
}

const METHODS: [PaymentMethod; 4] = [
    PaymentMethod::Mpesa,
    PaymentMethod::Card,
    PaymentMethod::Paypal,
    PaymentMethod::Cash,
];
const PAYMENT_STATES: [PaymentStatus; 4] = [
    PaymentStatus::Pending,
    PaymentStatus::Successful,
    PaymentStatus::Failed,
    PaymentStatus::Refunded,
];
const STOCK_REASONS: [(&str, StockReason); 3] = [
    ("received", StockReason::Received),
    ("damaged", StockReason::Damaged),
    ("count correction", StockReason::CountCorrection),
];
const ROLES: [Role; 3] = [Role::Customer, Role::Staff, Role::Admin];

fn date(text: &str) -> Result<(), String> {
    optional_date(text).map(|_| ()).map_err(|e| e.to_string())
}

fn optional_date(text: &str) -> Result<Option<NaiveDate>, Error> {
    match text.trim() {
        "" => Ok(None),
        text => parse_date(text).map(Some),
    }
}

fn whole(text: &str) -> Result<(), String> {
    text.trim()
        .trim_start_matches('+')
        .parse::<i32>()
        .map(|_| ())
        .map_err(|_| "a whole number, like 12 or -3".into())
}

fn money(text: &str) -> Result<(), String> {
    Money::parse("Amount", text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn required(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        Err("required".into())
    } else {
        Ok(())
    }
}

/// The filter or search form of the current section.
pub fn filter(screen: &AdminScreen) -> Option<Popup> {
    Some(match screen.section {
        Section::Orders => {
            let f = &screen.order_filter;
            let status = f.status.map_or(ANY.to_owned(), |s| s.to_string());
            let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            popup(
                "Filter orders",
                vec![
                    Field::new("Status", status).one_of(words(ANY, OrderStatus::ALL)),
                    Field::new("From", day(f.from)).rule(date),
                    Field::new("To", day(f.to)).rule(date),
                    Field::new("Customer", f.customer.clone()).max(limits::SEARCH),
                ],
                Purpose::OrderFilter,
            )
        }
        Section::Payments => popup(
            "Filter payments",
            vec![
                Field::new(
                    "Status",
                    screen
                        .payment_status
                        .map_or(ANY.to_owned(), |s| s.to_string()),
                )
                .one_of(words(ANY, PAYMENT_STATES)),
                Field::new("Method", screen.payment_method.map_or(ANY, method_word))
                    .one_of(words(ANY, METHODS.map(method_word))),
            ],
            Purpose::PaymentFilter,
        ),
        Section::Products => popup(
            "Find products",
            vec![
                Field::new("Search", screen.product_search.clone()).max(limits::SEARCH),
                Field::new(
                    "Category",
                    screen
                        .product_category
                        .as_ref()
                        .map_or(ANY.to_owned(), |c| c.name.clone()),
                )
                .one_of(words(
                    ANY,
                    screen.categories.rows.iter().map(|c| c.name.clone()),
                )),
            ],
            Purpose::ProductSearch,
        ),
        Section::Users => popup(
            "Find users",
            vec![Field::new("Search", screen.user_search.clone()).max(limits::SEARCH)],
            Purpose::UserSearch,
        ),
        Section::Shifts => {
            let f = &screen.shift_filter;
            let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            popup(
                "Shifts opened between (days, inclusive), by cashier",
                vec![
                    Field::new("From", day(f.from)).rule(date),
                    Field::new("To", day(f.to)).rule(date),
                    Field::new("Cashier", f.cashier.clone()).max(limits::SEARCH),
                ],
                Purpose::ShiftFilter,
            )
        }
        Section::Audit => popup(
            "Filter the audit log (an action like \"stock\", or a username)",
            vec![Field::new("Action or user", screen.audit_filter.clone()).max(limits::SEARCH)],
            Purpose::AuditFilter,
        ),
        Section::Alerts
        | Section::LowStock
        | Section::Categories
        | Section::Terminals
        | Section::Refunds
        | Section::TillPayments
        | Section::Etims
        | Section::Reports => {
            return None;
        }
    })
}

fn product_fields(form: &ProductForm, categories: &[Category], category: &str) -> Vec<Field> {
    vec![
        Field::new("Name", form.name.clone())
            .rule(required)
            .max(limits::PRODUCT_NAME),
        Field::new("Slug", form.slug.clone()).max(limits::SLUG),
        Field::new("SKU", form.sku.clone())
            .rule(required)
            .max(limits::SKU),
        Field::new("Price", form.price.clone()).rule(money),
        Field::new("Category", category)
            .one_of(categories.iter().map(|c| c.name.clone()).collect()),
        Field::new("Image URL", form.image_url.clone()).max(limits::IMAGE_URL),
        Field::new("Description", form.description.clone()).max(limits::DESCRIPTION),
        Field::new("Tax type", form.tax_type.clone())
            .one_of(TaxType::ALL.iter().map(|t| t.code().to_owned()).collect()),
        Field::new("Item class", form.item_class.clone()).max(10),
    ]
}

pub fn new_product(categories: &[Category]) -> Popup {
    new_product_with_sku(categories, "")
}

pub fn new_product_with_sku(categories: &[Category], sku: &str) -> Popup {
    let form = ProductForm {
        sku: sku.to_owned(),
        tax_type: TaxType::B.code().to_owned(),
        ..ProductForm::default()
    };
    let mut fields = product_fields(&form, categories, "");
    fields.insert(4, Field::new("Stock", "0").rule(whole));
    popup(
        "New product (an empty slug is made from the name)",
        fields,
        Purpose::NewProduct,
    )
}

pub fn edit_product(product: &Product, categories: &[Category]) -> Popup {
    let form = ProductForm {
        name: product.name.clone(),
        slug: product.slug.clone(),
        sku: product.sku.clone(),
        description: product.description.clone(),
        price: product.price.amount().to_string(),
        category_id: Some(product.category_id),
        image_url: product.image_url.clone().unwrap_or_default(),
        tax_type: product.tax_type.code().to_owned(),
        item_class: product.item_class.clone(),
    };
    popup(
        format!("Edit {} (stock changes go through +)", product.name),
        product_fields(&form, categories, &product.category_name),
        Purpose::EditProduct {
            id: product.id,
            version: product.version,
        },
    )
}

pub fn adjust_stock(product: &Product) -> Popup {
    popup(
        format!("Stock of {}: {} now", product.name, product.stock_quantity),
        vec![
            Field::new("Change", "").rule(whole),
            Field::new("Reason", "received")
                .one_of(STOCK_REASONS.map(|(w, _)| w.to_owned()).to_vec()),
            Field::new("Note", "").max(limits::NOTE),
        ],
        Purpose::AdjustStock { id: product.id },
    )
}

pub fn new_category() -> Popup {
    popup(
        "New category",
        vec![
            Field::new("Name", "")
                .rule(required)
                .max(limits::CATEGORY_NAME),
        ],
        Purpose::NewCategory,
    )
}

pub fn rename_category(category: &Category) -> Popup {
    popup(
        format!("Rename {} (an empty slug follows the name)", category.name),
        vec![
            Field::new("Name", category.name.clone())
                .rule(required)
                .max(limits::CATEGORY_NAME),
            Field::new("Slug", "").max(limits::SLUG),
        ],
        Purpose::RenameCategory { id: category.id },
    )
}

pub fn set_role(user: &UserAccount) -> Popup {
    popup(
        format!("Role of {}", user.username),
        vec![
            Field::new("Role", user.role().to_string())
                .one_of(ROLES.map(|r| r.to_string()).to_vec()),
        ],
        Purpose::SetRole { user_id: user.id },
    )
}

pub fn new_user() -> Popup {
    popup(
        "New account: staff, an admin, or a customer at the counter",
        vec![
            Field::new("Username", "")
                .rule(required)
                .max(limits::USERNAME),
            Field::new("Email", "").rule(required).max(limits::EMAIL),
            Field::new("Phone", "").max(limits::PHONE),
            Field::new("Role", Role::Staff.to_string())
                .one_of(ROLES.map(|r| r.to_string()).to_vec()),
            Field::new("Password", "")
                .secret()
                .rule(required)
                .max(limits::PASSWORD),
            Field::new("Again", "").secret().max(limits::PASSWORD),
        ],
        Purpose::NewUser,
    )
}

pub fn reset_password(user: &UserAccount) -> Popup {
    popup(
        format!("New password for {} (ends their sessions)", user.username),
        vec![
            Field::new("Password", "")
                .secret()
                .rule(required)
                .max(limits::PASSWORD),
            Field::new("Again", "").secret().max(limits::PASSWORD),
        ],
        Purpose::ResetPassword { user_id: user.id },
    )
}

pub fn verify(row: &PaymentRow) -> Popup {
    let p = &row.payment;
    popup(
        format!(
            "Verify the {} payment for order {} ({})",
            p.method,
            short_id(p.order_id),
            row.username
        ),
        vec![
            Field::new(
                "Transaction id",
                p.transaction_id.clone().unwrap_or_default(),
            )
            .rule(required),
            Field::new("Amount", p.amount.amount().to_string()).rule(money),
        ],
        Purpose::VerifyPayment { payment_id: p.id },
    )
}

pub fn reject(row: &PaymentRow) -> Popup {
    popup(
        format!(
            "Reject the payment for order {}",
            short_id(row.payment.order_id)
        ),
        vec![
            Field::new("Reason", "not found in the M-Pesa statement")
                .rule(required)
                .max(limits::REASON),
        ],
        Purpose::RejectPayment {
            payment_id: row.payment.id,
        },
    )
}

pub fn write_off(order: &OrderSummary) -> Popup {
    popup(
        format!(
            "Write off sale {} ({}): goods gone, stock stays",
            short_id(order.id),
            order.total_amount
        ),
        vec![
            Field::new("Reason", "M-Pesa code not in the statement")
                .rule(required)
                .max(limits::REASON),
        ],
        Purpose::WriteOff { order_id: order.id },
    )
}

pub fn complete_reversal(refund: &PendingRefund) -> Popup {
    let to = refund.phone.as_deref().unwrap_or(&refund.customer);
    popup(
        format!(
            "Sent {} back to {to} by {}? Its reference:",
            refund.amount,
            refund.method.label()
        ),
        vec![Field::new("Reference", "").rule(required).max(64)],
        Purpose::CompleteReversal {
            return_id: refund.return_id,
        },
    )
}

pub fn resolve_alert(alert: &Alert) -> Popup {
    popup(
        format!("Resolve: {}", alert.kind.label()),
        vec![
            Field::new("How it was resolved", "")
                .rule(required)
                .max(limits::REASON),
        ],
        Purpose::ResolveAlert { alert_id: alert.id },
    )
}

/// Turns a saved form into a change to send, or (for filters) applies it and returns None.
pub fn submit(screen: &mut AdminScreen, purpose: &Purpose) -> Result<Option<Change>, Error> {
    let Some(Popup::Form { form, .. }) = &screen.popup else {
        return Ok(None);
    };
    let form = form.clone();
    let value = |label| form.value(label).trim().to_owned();
    let change = match purpose {
        Purpose::OrderFilter => {
            let filter = crate::domain::order::OrderFilter {
                status: OrderStatus::ALL
                    .into_iter()
                    .find(|s| s.as_str().eq_ignore_ascii_case(&value("Status"))),
                from: optional_date(&value("From"))
                    .map_err(|_| Error::invalid("From", "like 2026-11-25"))?,
                to: optional_date(&value("To"))
                    .map_err(|_| Error::invalid("To", "like 2026-11-25"))?,
                customer: value("Customer"),
            };
            filter
                .validate()
                .map_err(|_| Error::invalid("To", "must not be before From"))?;
            screen.order_filter = filter;
            return Ok(None);
        }
        Purpose::PaymentFilter => {
            screen.payment_status = PAYMENT_STATES
                .into_iter()
                .find(|s| s.to_string().eq_ignore_ascii_case(&value("Status")));
            screen.payment_method = METHODS
                .into_iter()
                .find(|m| method_word(*m).eq_ignore_ascii_case(&value("Method")));
            return Ok(None);
        }
        Purpose::ProductSearch => {
            screen.product_search = value("Search");
            screen.product_category = screen
                .categories
                .rows
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&value("Category")))
                .cloned();
            return Ok(None);
        }
        Purpose::UserSearch => {
            screen.user_search = value("Search");
            return Ok(None);
        }
        Purpose::AuditFilter => {
            screen.audit_filter = value("Action or user");
            return Ok(None);
        }
        Purpose::ShiftFilter => {
            let filter = crate::domain::shift::ShiftFilter {
                from: optional_date(&value("From"))
                    .map_err(|_| Error::invalid("From", "like 2026-11-25"))?,
                to: optional_date(&value("To"))
                    .map_err(|_| Error::invalid("To", "like 2026-11-25"))?,
                cashier: value("Cashier"),
            };
            filter
                .validate()
                .map_err(|_| Error::invalid("To", "must not be before From"))?;
            screen.shift_filter = filter;
            return Ok(None);
        }
        Purpose::NewProduct | Purpose::EditProduct { .. } => {
            let category = value("Category");
            let product = ProductForm {
                name: value("Name"),
                slug: value("Slug"),
                sku: value("SKU"),
                description: form.value("Description").to_owned(),
                price: value("Price"),
                category_id: screen
                    .categories
                    .rows
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(&category))
                    .map(|c| c.id),
                image_url: value("Image URL"),
                tax_type: value("Tax type"),
                item_class: value("Item class"),
            };
            product.validate()?;
            match purpose {
                Purpose::EditProduct { id, version } => Change::UpdateProduct {
                    id: *id,
                    version: *version,
                    form: Box::new(product),
                },
                _ => Change::CreateProduct {
                    form: Box::new(product),
                    stock: parse_whole("Stock", &value("Stock"))?,
                },
            }
        }
        Purpose::AdjustStock { id } => Change::AdjustStock {
            id: *id,
            delta: parse_whole("Change", &value("Change"))?,
            reason: STOCK_REASONS
                .into_iter()
                .find(|(w, _)| w.eq_ignore_ascii_case(&value("Reason")))
                .map(|(_, r)| r)
                .ok_or_else(|| Error::invalid("Reason", "received, damaged or count correction"))?,
            note: value("Note"),
        },
        Purpose::NewCategory => Change::CreateCategory(value("Name")),
        Purpose::RenameCategory { id } => Change::RenameCategory {
            id: *id,
            name: value("Name"),
            slug: value("Slug"),
        },
        Purpose::SetRole { user_id } => Change::SetRole {
            user_id: *user_id,
            role: ROLES
                .into_iter()
                .find(|r| r.to_string().eq_ignore_ascii_case(&value("Role")))
                .ok_or_else(|| Error::invalid("Role", "customer, staff or admin"))?,
        },
        Purpose::NewUser => {
            let password = form.value("Password").to_owned();
            if password != form.value("Again") {
                return Err(Error::invalid("Again", "the two passwords differ"));
            }
            Change::CreateUser {
                account: NewAccountForm {
                    username: value("Username"),
                    email: value("Email"),
                    phone: value("Phone"),
                    password: Secret(password),
                },
                role: ROLES
                    .into_iter()
                    .find(|r| r.to_string().eq_ignore_ascii_case(&value("Role")))
                    .ok_or_else(|| Error::invalid("Role", "customer, staff or admin"))?,
            }
        }
        Purpose::ResetPassword { user_id } => {
            let password = form.value("Password").to_owned();
            if password != form.value("Again") {
                return Err(Error::invalid("Again", "the two passwords differ"));
            }
            Change::ResetPassword {
                user_id: *user_id,
                password: Secret(password),
            }
        }
        Purpose::VerifyPayment { payment_id } => Change::VerifyPayment {
            payment_id: *payment_id,
            transaction_id: value("Transaction id"),
            amount: Money::parse("Amount", &value("Amount"))?,
        },
        Purpose::RejectPayment { payment_id } => Change::RejectPayment {
            payment_id: *payment_id,
            reason: value("Reason"),
        },
        Purpose::WriteOff { order_id } => Change::WriteOff {
            order_id: *order_id,
            reason: value("Reason"),
        },
        Purpose::CompleteReversal { return_id } => Change::CompleteReversal {
            return_id: *return_id,
            reference: value("Reference"),
        },
        Purpose::ResolveAlert { alert_id } => Change::ResolveAlert {
            alert_id: *alert_id,
            how: value("How it was resolved"),
        },
    };
    Ok(Some(change))
}

fn parse_whole(field: &'static str, text: &str) -> Result<i32, Error> {
    text.trim_start_matches('+')
        .parse()
        .map_err(|_| Error::invalid(field, "a whole number"))
}
