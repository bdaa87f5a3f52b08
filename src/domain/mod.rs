//! Pure types and rules: money, validated values, roles, order and payment states.
//! Nothing here does I/O; every other layer uses it.

pub mod alert;
pub mod audit;
pub mod cart;
pub mod catalog;
pub mod clock;
pub mod discount;
pub mod error;
pub mod etims;
pub mod held;
pub mod live;
pub mod money;
pub mod order;
pub mod password;
pub mod payment;
pub mod receipt;
pub mod report;
pub mod returns;
pub mod shift;
pub mod tax;
pub mod terminal;
pub mod user;
pub mod values;

pub use error::{Error, Result};
pub use money::Money;
