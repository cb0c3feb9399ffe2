//! What the segmenters read from a customer's orders: the spend rule ([`spend`]) and whole-day arithmetic on
//! order times ([`days`]).

pub mod days;
pub mod spend;

/// The event type that counts as an order (the canonical vocabulary of the plugin spec).
pub const ORDER_EVENT: &str = "order_completed";
