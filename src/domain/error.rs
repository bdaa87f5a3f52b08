//! The one error type of the application. Every message is written for the person at the
//! terminal (a shop assistant, an admin, a customer), never a raw database error.

use crate::domain::Money;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("Please log in first.")]
    Unauthenticated,
    #[error("Only {0} can do that.")]
    Forbidden(&'static str),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("Wrong username or password.")]
    InvalidCredentials,
    #[error("Too many failed logins. Try again in {minutes} minute(s).")]
    Locked { minutes: i64 },
    #[error("This account is deactivated. Please ask an admin.")]
    Inactive,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Only {available} of {product} left in stock.")]
    OutOfStock { product: String, available: i32 },
    #[error("Prices changed since they were added to the cart: {0}. Please review and confirm.")]
    PriceChanged(String),
    #[error("The cart is empty.")]
    EmptyCart,
    /// The same checkout (or till sale) key was written by a call that raced this one.
    #[error("This order was already placed.")]
    AlreadyPlaced,
    /// A till sale, payment or return by staff with no shift open.
    #[error(
        "No shift is open for you at the till: F10 opens one, with the float counted into the drawer."
    )]
    NoShift,
    /// A discount over the cashier's limit without an admin's approval for the sale.
    #[error(
        "A discount over the cashier's limit needs an admin's approval: Ctrl+D on the sale asks for it."
    )]
    DiscountNeedsApproval,
    #[error("An order that is {from} cannot become {to}.")]
    InvalidTransition { from: String, to: String },
    #[error("Transaction id {0} has already been used for a payment.")]
    DuplicateTransaction(String),
    /// A code typed at the till that no confirmation from Safaricom matches (yet).
    #[error(
        "No M-Pesa payment {0} has reached the shop's till number. Check the code on the customer's SMS; if it is right, Enter again records the sale to settle when Safaricom confirms it."
    )]
    CodeNotConfirmed(String),
    #[error("Amount {got} does not match the order total {expected}.")]
    AmountMismatch { expected: Money, got: Money },
    #[error("The database cannot be reached. Nothing was changed; please try again.")]
    Unavailable,
    #[error("Something went wrong (ref {0}). Nothing was changed.")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    /// An unexpected failure: the details go to the log under a short reference, and the
    /// person sees only the reference (to quote to whoever reads the log).
    pub fn internal(context: &str, err: &dyn std::fmt::Display) -> Self {
        let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        tracing::error!(%reference, error = %err, "unexpected failure: {context}");
        Error::Internal(reference)
    }
}
