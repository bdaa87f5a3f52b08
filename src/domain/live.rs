//! Something changed in the database that an open screen may be showing.

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A product's stock, price, name or availability.
    Product(Uuid),
    /// A payment's status (paid, failed, refunded).
    Payment(Uuid),
    /// A sale or return was numbered as an eTIMS invoice (its sender may send it now).
    InvoiceQueued,
    /// KRA answered the eTIMS invoice with this id (signed, refused or had it already).
    InvoiceAnswered(Uuid),
}
