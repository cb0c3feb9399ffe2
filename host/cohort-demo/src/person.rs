//! What the generated records say about one person, so tests can compare it with what Cohort
//! stored: identifiers, attributes, orders and consent history.

use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The consent purposes the demo data records, as the example policy names them.
pub const PURPOSES: [&str; 2] = ["email_marketing", "personalisation"];

/// Attributes the demo sends that the example policy drops: `favourite_colour` is not listed
/// (data minimisation, Art. 5(1)(c)) and `health_allergies` is special-category data the policy
/// marks `allowed: false` (Art. 9).
pub const POLICY_DROPPED_ATTRIBUTES: [&str; 2] = ["favourite_colour", "health_allergies"];

/// Event types the demo sends that the example policy does not declare.
pub const POLICY_DROPPED_EVENT_TYPES: [&str; 1] = ["app_crashed"];

/// The privacy notice every demo consent refers to.
pub const NOTICE: &str = "privacy-notice-v3";

/// One synthetic person and every fact their records carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// The CRM record id (`H-1001`, ...), unique.
    pub crm_id: String,
    /// Given name as the CRM holds it (may contain non-ASCII letters).
    pub first_name: String,
    /// Family name; appears only inside the email address, never as an attribute.
    pub last_name: String,
    /// Email match key: trimmed and lowercase. Records may write it with capitals or spaces.
    pub email: String,
    /// Phone number exactly as the CRM record writes it, when the person has one.
    pub phone: Option<String>,
    /// The same number in E.164 form (`+493023125123`), the form a normaliser should reach.
    pub phone_e164: Option<String>,
    /// Site account id, when the person has logged in on the site.
    pub user_id: Option<String>,
    /// Device ids the analytics source saw, one per device (empty without analytics).
    pub anonymous_ids: Vec<String>,
    /// Every attribute any of the person's records carries, including the ones the example
    /// policy drops (see [`POLICY_DROPPED_ATTRIBUTES`]); no two records disagree on a value.
    pub attributes: Map<String, Value>,
    /// Completed orders in time order (all from the analytics record).
    pub orders: Vec<Order>,
    /// Consent events in time order (all from the CRM record).
    pub consents: Vec<ConsentEvent>,
}

impl Person {
    /// The latest consent state for `purpose`, `None` when the person was never asked.
    pub fn consent_state(&self, purpose: &str) -> Option<ConsentState> {
        self.consents
            .iter()
            .rev()
            .find(|c| c.purpose == purpose)
            .map(|c| c.state)
    }

    /// Total revenue of all orders in major units of the person's currency.
    pub fn revenue(&self) -> f64 {
        self.orders.iter().map(|o| o.revenue).sum()
    }
}

/// A completed order as its `order_completed` event states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Shop order id, also the event id (`o-100001`), unique across the dataset.
    pub id: String,
    /// When the order was completed (UTC, whole seconds).
    pub at: OffsetDateTime,
    /// Revenue in major units (`54.9`), as the event carries it.
    pub revenue: f64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Number of items bought.
    pub items: u32,
}

/// A consent state as ISO/IEC TS 27560 and the record schema spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConsentState {
    /// The person agreed.
    Granted,
    /// The person took back an earlier agreement.
    Withdrawn,
    /// The person was asked and said no.
    Refused,
}

impl ConsentState {
    /// The value of the record's `state` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Withdrawn => "withdrawn",
            Self::Refused => "refused",
        }
    }
}

/// One consent event as the CRM record carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentEvent {
    /// One of [`PURPOSES`].
    pub purpose: String,
    /// What happened.
    pub state: ConsentState,
    /// When (UTC, whole seconds).
    pub at: OffsetDateTime,
    /// Collection point: `web_form`, `double_opt_in`, `checkout` or `call_centre`.
    pub source: String,
    /// How it was expressed: `click` on the web, `verbal` on the phone.
    pub method: String,
    /// BCP 47 tag of the notice shown (`de`, `fr-CH`, `en-GB`, ...).
    pub language: String,
}
