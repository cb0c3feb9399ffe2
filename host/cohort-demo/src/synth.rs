//! Draws one person at a time and the records each source holds about them.
//!
//! The draws happen in a fixed order from one seeded ChaCha8 stream, so a spec always yields
//! the same people, and the first `n` people of a larger dataset are the people of a dataset of
//! `n` (nothing depends on the total count).
//!
//! The rates below are the brief's (consent shares) or plausible retail figures chosen for the
//! demo (everything else); they are not measured from any real shop.

use rand::SeedableRng;
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

use crate::calendar::{at, days_after, days_before, days_between, format_date, time_of_day};
use crate::contact::{self, Registry};
use crate::draw::{DemoRng, OneOf, Weighted, between, chance, low_skewed};
use crate::person::{ConsentEvent, ConsentState, Order, Person};
use crate::render::{Event, object, record};
use crate::vocab::{
    ALLERGIES, APP_PLATFORMS, BRITISH_INWARD_LETTERS, COLOURS, CONSENT_SOURCES, COUNTRIES, City,
    Currency, DEVICES, DUTCH_LETTERS, Gender, INTERESTS, NPS_ANSWERS, PRODUCTS, Postcode,
    REFERRERS,
};

/// Youngest customers are 18 (shops sell to adults), in days including leap days.
const AGE_MIN_DAYS: u32 = 18 * 365 + 5;
/// Oldest customers are 81, so with `today` in 2026 birth dates span 1945..2008 as briefed.
const AGE_MAX_DAYS: u32 = 81 * 365 + 20;
/// Customers signed up within the last six years, more of them recently (the shop grows).
const SIGNUP_WINDOW_DAYS: u32 = 6 * 365;
/// Orders spread over the last two years (brief).
const ORDER_WINDOW_DAYS: u32 = 730;
/// Browsing page views reach back one year.
const BROWSE_WINDOW_DAYS: u32 = 365;
/// The NPS survey ran over the last six months.
const SURVEY_WINDOW_DAYS: u32 = 180;
/// Cap on one person's orders, far under the schema's 1,000 events per record.
const MAX_ORDERS: u32 = 40;
/// Cap on browsing page views per device record. Real shops see far more; the demo keeps a
/// handful so 50,000 customers stay quick to generate and small in memory.
const MAX_BROWSE_VIEWS: u32 = 6;
/// Cap on newsletter opens per person.
const MAX_EMAIL_OPENS: u32 = 6;

/// First CRM record number; HubSpot-like ids `H-1001`, `H-1002`, ...
const FIRST_CRM_NUMBER: usize = 1001;
/// First shop order number.
const FIRST_ORDER_NUMBER: u64 = 100_001;

/// Per mille of people the analytics source has seen (brief: "most customers").
const ANALYTICS_PER_MILLE: u32 = 850;
/// Per mille of analytics visitors who logged in, so their record carries a `user_id`.
const LOGGED_IN_PER_MILLE: u32 = 800;
/// Per mille of logged-in people whose CRM record also holds their `user_id`.
const CRM_KNOWS_USER_ID_PER_MILLE: u32 = 700;
/// Per mille of analytics records that also carry the email (as typed into a form).
const ANALYTICS_EMAIL_PER_MILLE: u32 = 650;
/// Per mille of logged-in people seen on a second device (a second analytics record).
const SECOND_DEVICE_PER_MILLE: u32 = 80;
/// Per mille of people who answered the NPS survey (brief: "some").
const SURVEY_PER_MILLE: u32 = 250;
/// Per mille of people in a city with a fictional phone range whose CRM record has a phone.
const PHONE_PER_MILLE: u32 = 750;
/// Per mille of CRM records with the unlisted `favourite_colour` attribute.
const FAVOURITE_COLOUR_PER_MILLE: u32 = 60;
/// Per mille of CRM records with the forbidden special-category `health_allergies` attribute.
const HEALTH_ALLERGIES_PER_MILLE: u32 = 20;
/// Per mille of mobile and tablet records with `app_crashed` events (undeclared type).
const APP_CRASH_PER_MILLE: u32 = 40;
/// Per mille of people in the loyalty programme.
const LOYALTY_MEMBER_PER_MILLE: u32 = 600;
/// Per mille of CRM records that keep the address with capitals, as a sales rep typed it.
const CRM_EMAIL_CAPITALISED_PER_MILLE: u32 = 150;
/// Per mille of analytics records that carry the email exactly as the CRM does.
const ANALYTICS_EMAIL_EXACT_PER_MILLE: u32 = 400;
/// Per mille of survey records that carry the email exactly as the CRM does.
const SURVEY_EMAIL_EXACT_PER_MILLE: u32 = 800;

/// Consent rates per purpose, per mille of people (brief: ~45% grant email marketing, ~8% of
/// them withdraw later; ~30% grant personalisation).
struct ConsentRates {
    purpose: &'static str,
    granted: u32,
    refused: u32,
    withdrawn_of_granted: u32,
}

const CONSENT_RATES: [ConsentRates; 2] = [
    ConsentRates {
        purpose: "email_marketing",
        granted: 450,
        refused: 200,
        withdrawn_of_granted: 80,
    },
    ConsentRates {
        purpose: "personalisation",
        granted: 300,
        refused: 250,
        withdrawn_of_granted: 50,
    },
];

/// Orders per person seen by analytics: most buy once or never, a long tail buys often; the
/// last entry means "5 or more", continued by [`MORE_ORDERS_PER_MILLE`].
const ORDER_COUNTS: Weighted<u32> =
    Weighted::new(&[(0, 280), (1, 340), (2, 140), (3, 80), (4, 50), (5, 110)]);
/// Chance of one more order for people in the tail, giving a geometric tail (mean 3 more).
const MORE_ORDERS_PER_MILLE: u32 = 750;

/// Items per order.
const ITEMS_PER_ORDER: Weighted<u32> = Weighted::new(&[(1, 50), (2, 25), (3, 12), (4, 8), (5, 5)]);
/// Item prices in whole euros: everyday goods, mid-range, a few expensive pieces.
const PRICE_BANDS_EUR: Weighted<(u32, u32)> =
    Weighted::new(&[((8, 45), 55), ((45, 120), 35), ((120, 450), 10)]);
/// Cents that shop prices end in.
const PRICE_ENDINGS: Weighted<u32> = Weighted::new(&[(0, 20), (90, 20), (95, 25), (99, 35)]);

/// Kinds of page a browsing visit lands on; category and product pages get a concrete path.
#[derive(Clone, Copy)]
enum PagePath {
    Home,
    Category,
    Product,
    Cart,
    Account,
}

const PAGE_PATHS: Weighted<PagePath> = Weighted::new(&[
    (PagePath::Home, 25),
    (PagePath::Category, 25),
    (PagePath::Product, 35),
    (PagePath::Cart, 10),
    (PagePath::Account, 5),
]);

/// App versions crash reports name.
const APP_VERSIONS: OneOf<&str> = OneOf::new(&["4.11.2", "4.12.0", "4.12.1"]);

/// Everything generated about one person: the facts and the records that state them.
pub(crate) struct Footprint {
    pub(crate) person: Person,
    pub(crate) crm: Value,
    pub(crate) analytics: Vec<Value>,
    pub(crate) survey: Option<Value>,
}

/// The generator: one random stream, the identifiers handed out so far and running counters.
pub(crate) struct Synth {
    rng: DemoRng,
    registry: Registry,
    today: Date,
    next_order: u64,
    next_event: u64,
}

/// What analytics knows about one person.
struct AnalyticsPlan {
    logged_in: bool,
    with_email: bool,
    second_device: bool,
}

impl Synth {
    /// A generator for `seed`, with dates relative to `today`.
    pub(crate) fn new(seed: u64, today: Date) -> Self {
        Self {
            rng: DemoRng::seed_from_u64(seed),
            registry: Registry::default(),
            today,
            next_order: FIRST_ORDER_NUMBER,
            next_event: 1,
        }
    }

    /// The next person, number `index` (0-based) of the dataset.
    pub(crate) fn person(&mut self, index: usize) -> Footprint {
        let today = self.today;
        let rng = &mut self.rng;

        let country = COUNTRIES.draw(rng);
        let city = country.cities.draw(rng);
        let (first_name, gender) = *city.names.first.draw(rng);
        let (masculine, feminine) = *city.names.last.draw(rng);
        let last_name = if gender == Gender::F {
            feminine
        } else {
            masculine
        };

        let birth_date = days_before(today, between(rng, AGE_MIN_DAYS, AGE_MAX_DAYS));
        let signup_ago = low_skewed(rng, 1, SIGNUP_WINDOW_DAYS);
        let signup = days_before(today, signup_ago);
        let postcode = postcode(rng, &city.postcode);

        let email = contact::email(
            rng,
            &mut self.registry,
            first_name,
            last_name,
            birth_date.year(),
            index,
        );
        let phone = match (country.phone_style, &city.landline) {
            (Some(style), Some(range)) if chance(rng, PHONE_PER_MILLE) => {
                contact::phone(rng, &mut self.registry, style, range)
            }
            _ => None,
        };

        let analytics = chance(rng, ANALYTICS_PER_MILLE).then(|| AnalyticsPlan {
            logged_in: chance(rng, LOGGED_IN_PER_MILLE),
            with_email: chance(rng, ANALYTICS_EMAIL_PER_MILLE),
            second_device: chance(rng, SECOND_DEVICE_PER_MILLE),
        });
        let order_count = if analytics.is_some() {
            order_count(rng)
        } else {
            0
        };
        let orders = self.orders(order_count, signup_ago, country.currency);
        let rng = &mut self.rng;

        let first_order = orders.first().map(|o| o.at.date());
        let consents = consents(rng, today, city, signup, first_order);
        let email_granted = consents
            .iter()
            .find(|c| c.purpose == "email_marketing" && c.state == ConsentState::Granted)
            .map(|c| c.at.date());
        let email_withdrawn = consents
            .iter()
            .find(|c| c.purpose == "email_marketing" && c.state == ConsentState::Withdrawn)
            .map(|c| c.at.date());
        let email_marketing_now = email_granted.is_some() && email_withdrawn.is_none();

        let survey = chance(rng, SURVEY_PER_MILLE).then(|| {
            let ago = between(rng, 1, SURVEY_WINDOW_DAYS.min(signup_ago).max(1));
            (
                at(days_before(today, ago), time_of_day(rng, 7, 22)),
                *NPS_ANSWERS.draw(rng),
            )
        });

        // CRM attributes, consistent with the orders and answers drawn above.
        let lifecycle_stage = match (orders.len(), survey) {
            (0, _) if email_marketing_now => "subscriber",
            (0, _) => "lead",
            (n, Some((_, nps))) if n >= 4 && nps >= 9 => "evangelist",
            _ => "customer",
        };
        let loyalty_tier = if !chance(rng, LOYALTY_MEMBER_PER_MILLE) {
            "none"
        } else {
            match orders.len() {
                0..=1 => "bronze",
                2..=4 => "silver",
                _ => "gold",
            }
        };
        let preferred_channel = preferred_channel(rng, email_marketing_now, phone.is_some());
        let interest = *INTERESTS.draw(rng);
        let mut crm_attributes = object([
            ("first_name", Value::from(first_name)),
            ("country", Value::from(country.code)),
            ("city", Value::from(city.name)),
            ("postcode", Value::from(postcode)),
            ("birth_date", Value::from(format_date(birth_date))),
            ("signup_date", Value::from(format_date(signup))),
            ("lifecycle_stage", Value::from(lifecycle_stage)),
            ("loyalty_tier", Value::from(loyalty_tier)),
            ("preferred_channel", Value::from(preferred_channel)),
            ("interest", Value::from(interest)),
        ]);
        if chance(rng, FAVOURITE_COLOUR_PER_MILLE) {
            crm_attributes.insert("favourite_colour".into(), Value::from(*COLOURS.draw(rng)));
        }
        if chance(rng, HEALTH_ALLERGIES_PER_MILLE) {
            crm_attributes.insert("health_allergies".into(), Value::from(*ALLERGIES.draw(rng)));
        }

        let user_id = match &analytics {
            Some(plan) if plan.logged_in => Some(contact::user_id(rng, &mut self.registry)),
            _ => None,
        };
        let crm_email = if chance(rng, CRM_EMAIL_CAPITALISED_PER_MILLE) {
            contact::written_email(rng, &email, 0).trim().to_owned()
        } else {
            email.clone()
        };
        let mut crm_identifiers = object([("email", Value::from(crm_email))]);
        if let Some(p) = &phone {
            crm_identifiers.insert("phone".into(), Value::from(p.written.clone()));
        }
        crm_identifiers.insert(
            "crm_id".into(),
            Value::from(format!("H-{}", FIRST_CRM_NUMBER + index)),
        );
        if let Some(id) = &user_id
            && chance(rng, CRM_KNOWS_USER_ID_PER_MILLE)
        {
            crm_identifiers.insert("user_id".into(), Value::from(id.clone()));
        }
        let crm = record(
            "crm",
            crm_identifiers,
            crm_attributes.clone(),
            Vec::new(),
            &consents,
        );

        let mut attributes = crm_attributes;
        let mut anonymous_ids = Vec::new();
        let mut analytics_records = Vec::new();
        if let Some(plan) = &analytics {
            let newsletter = email_granted.map(|from| {
                let until = email_withdrawn.unwrap_or_else(|| days_before(today, 1));
                (from, until)
            });
            let (main, device, anonymous_id) = self.analytics_record(
                plan,
                &email,
                user_id.as_deref(),
                interest,
                &orders,
                newsletter,
            );
            attributes.insert("device_type".into(), Value::from(device));
            anonymous_ids.push(anonymous_id);
            analytics_records.push(main);
            if let (true, Some(id)) = (plan.second_device, &user_id) {
                let (second, anonymous_id) = self.second_device_record(id, interest);
                anonymous_ids.push(anonymous_id);
                analytics_records.push(second);
            }
        }

        let survey_record = survey.map(|(answered, nps)| {
            attributes.insert("nps_score".into(), Value::from(nps));
            self.survey_record(&email, answered, nps)
        });

        let person = Person {
            crm_id: format!("H-{}", FIRST_CRM_NUMBER + index),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            email,
            phone: phone.as_ref().map(|p| p.written.clone()),
            phone_e164: phone.map(|p| p.e164),
            user_id,
            anonymous_ids,
            attributes,
            orders,
            consents,
        };
        Footprint {
            person,
            crm,
            analytics: analytics_records,
            survey: survey_record,
        }
    }

    /// `count` orders between signup (at most two years back) and yesterday: one-time buyers
    /// anywhere in the window, repeat buyers from a first order to a last one that tends to be
    /// recent, which gives RFM both recency and frequency spread.
    fn orders(&mut self, count: u32, signup_ago: u32, currency: Currency) -> Vec<Order> {
        if count == 0 {
            return Vec::new();
        }
        let rng = &mut self.rng;
        let window = signup_ago.clamp(1, ORDER_WINDOW_DAYS);
        let first_ago = between(rng, 1, window);
        let last_ago = if count == 1 {
            first_ago
        } else {
            low_skewed(rng, 1, first_ago)
        };
        let mut stamps = Vec::with_capacity(count as usize);
        for n in 0..count {
            let ago = match n {
                0 => first_ago,
                1 => last_ago,
                _ => between(rng, last_ago, first_ago),
            };
            stamps.push(at(days_before(self.today, ago), time_of_day(rng, 7, 22)));
        }
        stamps.sort();
        let mut orders = Vec::with_capacity(stamps.len());
        for stamp in stamps {
            let items = *ITEMS_PER_ORDER.draw(rng);
            let minor: u64 = (0..items).map(|_| price_minor(rng, currency)).sum();
            // One division of an exact integer keeps the float identical on every machine.
            let revenue = match currency.decimals() {
                0 => minor as f64,
                _ => minor as f64 / 100.0,
            };
            orders.push(Order {
                id: format!("o-{}", self.next_order),
                at: stamp,
                revenue,
                currency: currency.code().to_owned(),
                items,
            });
            self.next_order += 1;
        }
        orders
    }

    /// The main analytics record: device id, maybe account id and email, browsing, orders,
    /// newsletter opens and the odd app crash. Returns the record, its device type and its id.
    fn analytics_record(
        &mut self,
        plan: &AnalyticsPlan,
        email: &str,
        user_id: Option<&str>,
        interest: &'static str,
        orders: &[Order],
        newsletter: Option<(Date, Date)>,
    ) -> (Value, &'static str, String) {
        let anonymous_id = contact::anonymous_id(&mut self.rng, &mut self.registry);
        let mut identifiers = object([("anonymous_id", Value::from(anonymous_id.clone()))]);
        if let (true, Some(id)) = (plan.logged_in, user_id) {
            identifiers.insert("user_id".into(), Value::from(id));
        }
        if plan.with_email {
            let written =
                contact::written_email(&mut self.rng, email, ANALYTICS_EMAIL_EXACT_PER_MILLE);
            identifiers.insert("email".into(), Value::from(written));
        }
        let device = *DEVICES.draw(&mut self.rng);

        let mut events = self.browsing(interest);
        for order in orders {
            events.push(Event {
                kind: "order_completed",
                at: order.at,
                id: order.id.clone(),
                properties: object([
                    ("order_id", Value::from(order.id.clone())),
                    ("revenue", Value::from(order.revenue)),
                    ("currency", Value::from(order.currency.clone())),
                    ("items", Value::from(order.items)),
                ]),
            });
        }
        if let Some((from, until)) = newsletter {
            let span = days_between(from, until);
            let opens = low_skewed(&mut self.rng, 0, MAX_EMAIL_OPENS);
            for _ in 0..opens {
                let day = days_after(from, between(&mut self.rng, 0, span));
                let stamp = at(day, time_of_day(&mut self.rng, 6, 23));
                let campaign = format!("newsletter-{:04}-{:02}", day.year(), u8::from(day.month()));
                events.push(self.event(
                    "email_opened",
                    stamp,
                    object([("campaign", Value::from(campaign))]),
                ));
            }
        }
        if device != "desktop" && chance(&mut self.rng, APP_CRASH_PER_MILLE) {
            for _ in 0..between(&mut self.rng, 1, 2) {
                let ago = between(&mut self.rng, 1, BROWSE_WINDOW_DAYS);
                let stamp = at(
                    days_before(self.today, ago),
                    time_of_day(&mut self.rng, 0, 23),
                );
                let properties = object([
                    ("platform", Value::from(*APP_PLATFORMS.draw(&mut self.rng))),
                    (
                        "app_version",
                        Value::from(*APP_VERSIONS.draw(&mut self.rng)),
                    ),
                ]);
                events.push(self.event("app_crashed", stamp, properties));
            }
        }
        let attributes = object([("device_type", Value::from(device))]);
        (
            record("analytics", identifiers, attributes, events, &[]),
            device,
            anonymous_id,
        )
    }

    /// A logged-in person's second device: its own device id, the same account id, some
    /// browsing, and no attributes (so no two records disagree about the device type).
    fn second_device_record(&mut self, user_id: &str, interest: &'static str) -> (Value, String) {
        let anonymous_id = contact::anonymous_id(&mut self.rng, &mut self.registry);
        let identifiers = object([
            ("anonymous_id", Value::from(anonymous_id.clone())),
            ("user_id", Value::from(user_id)),
        ]);
        let events = self.browsing(interest);
        (
            record("analytics", identifiers, Map::new(), events, &[]),
            anonymous_id,
        )
    }

    /// The NPS survey response, keyed by the email the person typed.
    fn survey_record(&mut self, email: &str, answered: OffsetDateTime, nps: u8) -> Value {
        let written = contact::written_email(&mut self.rng, email, SURVEY_EMAIL_EXACT_PER_MILLE);
        let half = if u8::from(answered.month()) <= 6 {
            1
        } else {
            2
        };
        let survey = format!("nps-{:04}-h{half}", answered.year());
        let properties = object([("survey", Value::from(survey)), ("nps", Value::from(nps))]);
        let event = self.event("survey_answered", answered, properties);
        let identifiers = object([("email", Value::from(written))]);
        let attributes = object([("nps_score", Value::from(nps))]);
        record("survey", identifiers, attributes, vec![event], &[])
    }

    /// Browsing page views over the last year, more of them recent.
    fn browsing(&mut self, interest: &'static str) -> Vec<Event> {
        let views = low_skewed(&mut self.rng, 1, MAX_BROWSE_VIEWS);
        let mut events = Vec::with_capacity(views as usize);
        for _ in 0..views {
            let ago = low_skewed(&mut self.rng, 1, BROWSE_WINDOW_DAYS);
            let stamp = at(
                days_before(self.today, ago),
                time_of_day(&mut self.rng, 6, 23),
            );
            let path = match *PAGE_PATHS.draw(&mut self.rng) {
                PagePath::Home => "/".to_owned(),
                PagePath::Category => format!("/category/{interest}"),
                PagePath::Product => format!("/products/{}", PRODUCTS.draw(&mut self.rng)),
                PagePath::Cart => "/cart".to_owned(),
                PagePath::Account => "/account".to_owned(),
            };
            let referrer = *REFERRERS.draw(&mut self.rng);
            events.push(self.page_view(stamp, path, referrer));
        }
        events
    }

    /// A `page_viewed` event of `path`, arriving from `referrer`.
    fn page_view(&mut self, stamp: OffsetDateTime, path: String, referrer: &str) -> Event {
        self.event(
            "page_viewed",
            stamp,
            object([
                ("path", Value::from(path)),
                ("referrer", Value::from(referrer)),
            ]),
        )
    }

    /// An event with the next dataset-wide event id (`e-1`, `e-2`, ...).
    fn event(
        &mut self,
        kind: &'static str,
        stamp: OffsetDateTime,
        properties: Map<String, Value>,
    ) -> Event {
        let id = format!("e-{}", self.next_event);
        self.next_event += 1;
        Event {
            kind,
            at: stamp,
            id,
            properties,
        }
    }
}

/// How many orders a person with analytics has placed.
fn order_count(rng: &mut DemoRng) -> u32 {
    let mut count = *ORDER_COUNTS.draw(rng);
    if count == 5 {
        while count < MAX_ORDERS && chance(rng, MORE_ORDERS_PER_MILLE) {
            count += 1;
        }
    }
    count
}

/// One item's price in minor units of `currency`: a euro price band converted at a rounded
/// rate, then given a shop-like ending (`.99`, `.95`, ...; whole tens for ISK).
pub(crate) fn price_minor(rng: &mut DemoRng, currency: Currency) -> u64 {
    let (lo, hi) = *PRICE_BANDS_EUR.draw(rng);
    let euros = u64::from(between(rng, lo, hi));
    let major = (euros * u64::from(currency.per_thousand_euro()) / 1000).max(1);
    let ending = u64::from(*PRICE_ENDINGS.draw(rng));
    match currency.decimals() {
        // Krona prices are whole tens, often just under a round hundred (3,590 kr).
        0 => {
            let rounded = (major.div_ceil(10) * 10).max(10);
            if ending != 0 && rounded > 10 {
                rounded - 10
            } else {
                rounded
            }
        }
        // 24.99 rather than 25.99: the ending replaces the last whole unit.
        _ => (major - u64::from(ending != 0)) * 100 + ending,
    }
}

/// Consent history for both purposes: a grant (sometimes withdrawn later), a refusal, or
/// nothing for people never asked. Events come back in time order.
fn consents(
    rng: &mut DemoRng,
    today: Date,
    city: &City,
    signup: Date,
    first_order: Option<Date>,
) -> Vec<ConsentEvent> {
    let yesterday = days_before(today, 1);
    let mut events = Vec::new();
    for rates in &CONSENT_RATES {
        let roll = between(rng, 0, 999);
        if roll < rates.granted {
            let source = *CONSENT_SOURCES.draw(rng);
            let day = match (source, first_order) {
                ("checkout", Some(order_day)) => order_day,
                _ => days_after(signup, low_skewed(rng, 0, 30)),
            }
            .min(yesterday);
            events.push(consent_event(
                rng,
                rates.purpose,
                ConsentState::Granted,
                day,
                source,
                city,
            ));
            let room = days_between(day, yesterday);
            if chance(rng, rates.withdrawn_of_granted) && room >= 1 {
                let withdrawn = days_after(day, between(rng, 1, room));
                let source = if chance(rng, 700) {
                    "web_form"
                } else {
                    "call_centre"
                };
                events.push(consent_event(
                    rng,
                    rates.purpose,
                    ConsentState::Withdrawn,
                    withdrawn,
                    source,
                    city,
                ));
            }
        } else if roll < rates.granted + rates.refused {
            let source = if chance(rng, 700) {
                "web_form"
            } else {
                "checkout"
            };
            let day = match (source, first_order) {
                ("checkout", Some(order_day)) => order_day,
                _ => signup,
            };
            events.push(consent_event(
                rng,
                rates.purpose,
                ConsentState::Refused,
                day,
                source,
                city,
            ));
        }
    }
    events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.purpose.cmp(&b.purpose)));
    events
}

fn consent_event(
    rng: &mut DemoRng,
    purpose: &str,
    state: ConsentState,
    day: Date,
    source: &str,
    city: &City,
) -> ConsentEvent {
    ConsentEvent {
        purpose: purpose.to_owned(),
        state,
        at: at(day, time_of_day(rng, 7, 21)),
        source: source.to_owned(),
        method: if source == "call_centre" {
            "verbal"
        } else {
            "click"
        }
        .to_owned(),
        language: city.language.to_owned(),
    }
}

/// The channel a person prefers, leaning to email when they take the newsletter; `sms` only
/// for people with a phone number.
fn preferred_channel(rng: &mut DemoRng, email_marketing: bool, has_phone: bool) -> &'static str {
    const WITH_NEWSLETTER: Weighted<&str> =
        Weighted::new(&[("email", 60), ("app", 15), ("sms", 10), ("none", 15)]);
    const WITHOUT_NEWSLETTER: Weighted<&str> =
        Weighted::new(&[("none", 45), ("app", 25), ("sms", 10), ("email", 20)]);
    let table = if email_marketing {
        &WITH_NEWSLETTER
    } else {
        &WITHOUT_NEWSLETTER
    };
    match *table.draw(rng) {
        "sms" if !has_phone => "none",
        channel => channel,
    }
}

/// A postcode following the country's format.
fn postcode(rng: &mut DemoRng, rule: &Postcode) -> String {
    match rule {
        Postcode::Numeric {
            prefix,
            lo,
            hi,
            width,
        } => {
            format!("{prefix}{:0width$}", between(rng, *lo, *hi), width = *width)
        }
        Postcode::Dutch { lo, hi } => {
            let digits = between(rng, *lo, *hi);
            let (a, b) = (*DUTCH_LETTERS.draw(rng), *DUTCH_LETTERS.draw(rng));
            format!("{digits} {a}{b}")
        }
        Postcode::British { outward } => {
            let outward = *outward.draw(rng);
            let digit = between(rng, 1, 9);
            let (a, b) = (
                *BRITISH_INWARD_LETTERS.draw(rng),
                *BRITISH_INWARD_LETTERS.draw(rng),
            );
            format!("{outward} {digit}{a}{b}")
        }
        Postcode::Polish { lo, hi } => {
            let n = between(rng, *lo, *hi);
            format!("{:02}-{:03}", n / 1000, n % 1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_end_like_shop_prices_in_every_currency() {
        let mut rng = DemoRng::seed_from_u64(4);
        for currency in [
            Currency::Eur,
            Currency::Gbp,
            Currency::Usd,
            Currency::Chf,
            Currency::Pln,
            Currency::Isk,
        ] {
            for _ in 0..200 {
                let minor = price_minor(&mut rng, currency);
                assert!(minor > 0, "{currency:?}");
                match currency {
                    Currency::Isk => assert_eq!(minor % 10, 0, "whole tens of kronur, got {minor}"),
                    _ => assert!(
                        [0, 90, 95, 99].contains(&(minor % 100)),
                        "{currency:?} {minor}"
                    ),
                }
            }
        }
    }

    #[test]
    fn postcodes_follow_national_formats() {
        let mut rng = DemoRng::seed_from_u64(8);
        let dutch = postcode(&mut rng, &Postcode::Dutch { lo: 1011, hi: 1109 });
        assert!(dutch.len() == 7 && dutch.as_bytes()[4] == b' ', "{dutch}");
        let polish = postcode(&mut rng, &Postcode::Polish { lo: 1, hi: 4999 });
        assert!(
            polish.len() == 6 && polish.as_bytes()[2] == b'-',
            "{polish}"
        );
        let italian = postcode(
            &mut rng,
            &Postcode::Numeric {
                prefix: "",
                lo: 118,
                hi: 199,
                width: 5,
            },
        );
        assert!(italian.starts_with("00") && italian.len() == 5, "{italian}");
        let maltese = postcode(
            &mut rng,
            &Postcode::Numeric {
                prefix: "VLT ",
                lo: 1000,
                hi: 1999,
                width: 4,
            },
        );
        assert!(
            maltese.starts_with("VLT 1") && maltese.len() == 8,
            "{maltese}"
        );
    }

    #[test]
    fn order_counts_have_a_long_capped_tail() {
        let mut rng = DemoRng::seed_from_u64(6);
        let counts: Vec<u32> = (0..20_000).map(|_| order_count(&mut rng)).collect();
        let ones = counts.iter().filter(|&&c| c == 1).count();
        let twos = counts.iter().filter(|&&c| c == 2).count();
        let max = counts.iter().copied().max().unwrap_or(0);
        assert!(
            ones > twos * 2,
            "one-time buyers dominate: {ones} vs {twos}"
        );
        assert!((15..=MAX_ORDERS).contains(&max), "tail reaches {max}");
    }
}
