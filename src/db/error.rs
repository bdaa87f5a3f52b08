//! Turns database errors into messages for people, once, here. Named constraints map to
//! what they protect; lost connections say the database is unreachable; anything else is
//! logged in full and shown with a short reference only.

use sqlx::error::DatabaseError;

use crate::domain::Error;

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => Error::NotFound("The record".into()),
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Error::Unavailable,
            sqlx::Error::Database(db) => {
                from_database(db.as_ref()).unwrap_or_else(|| internal(&err))
            }
            _ => internal(&err),
        }
    }
}

fn from_database(db: &dyn DatabaseError) -> Option<Error> {
    let code = db.code().unwrap_or_default();
    // Class 08 (connection), 57P01-03 (terminated by an admin, shutting down, starting up).
    // ... 3D000 (no such database: not migrated yet), 28xxx (the server refuses the login):
    // for the person at the terminal, all mean the database cannot be reached.
    if code.starts_with("08")
        || code.starts_with("28")
        || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "3D000")
    {
        return Some(Error::Unavailable);
    }
    // 22021: a NUL byte, which PostgreSQL text cannot hold; checks upstream refuse control
    // characters, so this is a last line.
    if code == "22021" {
        return Some(Error::invalid(
            "Text",
            "contains a character that cannot be stored",
        ));
    }
    // BM001, migration 25's own: a till sale or return without an open shift.
    if code == "BM001" {
        return Some(Error::NoShift);
    }
    // BM002, migration 30's: discounts over the cashier's limit with no admin's approval.
    if code == "BM002" {
        return Some(Error::DiscountNeedsApproval);
    }
    if matches!(code.as_ref(), "40001" | "40P01") {
        return Some(Error::Conflict(
            "The shop is busy; please try again.".into(),
        ));
    }
    let conflict = |text: &str| Some(Error::Conflict(text.into()));
    match db.constraint()? {
        "users_username_key" => Some(Error::invalid("Username", "is already taken")),
        "users_email_key" => Some(Error::invalid("Email", "already has an account")),
        "categories_name_key" => conflict("A category with that name already exists."),
        "categories_slug_key" => conflict("A category with that slug already exists."),
        "products_slug_key" => conflict("A product with that slug already exists."),
        "products_sku_key" => conflict("A product with that SKU already exists."),
        "payments_order_id_key" => conflict("This order already has a payment."),
        "orders_checkout_key" => Some(Error::AlreadyPlaced),
        "shifts_open_per_cashier" => conflict("Your shift is already open."),
        "payments_transaction_id_key" => {
            conflict("That transaction id has already been used for a payment.")
        }
        "products_stock_check" => Some(Error::invalid("Stock", "cannot go below zero")),
        "products_category_id_fkey" => {
            conflict("The category still has products; move or archive them first.")
        }
        "order_items_product_id_fkey" => {
            conflict("The product has been ordered, so it is kept: archive it instead.")
        }
        _ => None,
    }
}

fn internal(err: &sqlx::Error) -> Error {
    Error::internal("database", err)
}

/// True when `err` broke the named unique constraint.
pub fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation() && db.constraint() == Some(constraint))
}
