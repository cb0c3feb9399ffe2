//! Segment's HTTP Tracking API messages (`identify`, `track`, `page`, `screen`, `group`, `alias`, `batch`) to
//! canonical records (`schemas/record.schema.json`), which then take exactly the CLI's ingest path.
//!
//! The mapping follows the `segment-events` connector (plugins/connectors/segment-events/README.md) so a message
//! gives the same record whether it arrives over HTTP or in an exported file, with three differences that come
//! from receiving live traffic under a known policy:
//! - **Event types** are matched against the policy's declared types ignoring case and separators (`Order
//!   Completed`, `order_completed` and `OrderCompleted` are `order_completed`), not against a fixed list of three;
//!   `page` calls are `page_viewed` and `screen` calls `screen_viewed`. Undeclared types are not kept.
//! - **Event properties** the policy does not keep for the type are left out here (the schema caps a record at 64
//!   properties, and a live sender's free properties would otherwise make valid messages fail it); the special
//!   rules of `order_completed` (spend) and `page_viewed` (path and referrer without query strings) are the
//!   connector's.
//! - **Identify traits** other than the reserved ones are passed on when their names are canonical
//!   (`lifecycle_stage`), so the policy's minimisation decides about them (and counts what it drops). An identify
//!   without top-level `traits` takes them from `context.traits`, where RudderStack's server SDKs put them.
//!
//! Like the connector, a message gives a record only when it carries something: a declared event, an identify
//! call, a consent update, or two identifiers seen together (`userId` with `anonymousId`, an alias's `previousId`
//! with its `userId`). The rest are skipped and counted, as Segment drops what it cannot use.
//!
//! **Consent.** `context.consent.categoryPreferences` becomes consent events only on Segment's `Segment Consent
//! Preference Updated` track event, for the categories `serve.consent_categories` maps to consent-based purposes
//! (`true` → granted, `false` → refused), dated by the event: every other message repeats the current preferences,
//! and recording each copy would flood the consent ledger.
//!
//! **Global Privacy Control.** `Sec-GPC: 1` means "do not sell or share my personal information". Cohort sells
//! nothing; the nearest processing is a purpose that releases data about the person (`outputs: per_subject`) on
//! consent, so a GPC request records a *refusal* for each such purpose (or those listed in `serve.gpc_purposes`),
//! with source `gpc`. GPC never grants anything, never touches legitimate-interest purposes (an objection under
//! Art. 21 is a separate, explicit request) and is only attached to records the request produces anyway (it does
//! not create a profile on its own). The refusal is dated at the start of the receiving day (UTC), so repeated
//! requests on one day record it once (the ledger drops identical events), and an explicit grant later that day,
//! for example through the consent manager, still wins until the next day's signal.

use cohort_policy::{Outputs, Policy};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `source` of every record received over HTTP.
pub const SOURCE: &str = "segment-http";
/// Collection point of consent events from `context.consent`.
pub const CONSENT_SOURCE: &str = "segment_consent_manager";
/// Collection point of refusals recorded from `Sec-GPC: 1`.
pub const GPC_SOURCE: &str = "gpc";
/// Segment's consent-change event, compacted (see [`compact`]).
const CONSENT_EVENT: &str = "segmentconsentpreferenceupdated";
/// Longest `messageId` kept (Segment's rule; the record schema's event id limit).
pub const MAX_MESSAGE_ID_CHARS: usize = 100;

/// The calls Segment defines.
pub const CALLS: [&str; 6] = ["identify", "track", "page", "screen", "group", "alias"];

/// One problem with one field of a request; never repeats the value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// JSON path of the field (`batch[3].userId`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// What a request's messages became.
#[derive(Debug, Default)]
pub struct Mapped {
    /// Canonical records, in message order.
    pub records: Vec<Value>,
    /// For each record, the position of its message in the batch (0 for a single call).
    pub origins: Vec<usize>,
    /// Messages with nothing to keep.
    pub skipped: u64,
    /// Messages read.
    pub messages: u64,
}

/// Maps messages under one policy and the server's consent settings.
pub struct Mapper<'a> {
    policy: &'a Policy,
    categories: &'a BTreeMap<String, String>,
    gpc_purposes: Vec<String>,
    /// Declared event types by compacted name.
    event_types: BTreeMap<String, String>,
}

/// Lowercase letters and digits only: how event names are compared.
pub fn compact(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl<'a> Mapper<'a> {
    /// A mapper for `policy`; `gpc_purposes` `None` takes the default rule (consent-based, per-subject outputs).
    pub fn new(
        policy: &'a Policy,
        categories: &'a BTreeMap<String, String>,
        gpc_purposes: Option<&[String]>,
    ) -> Self {
        let gpc_purposes = match gpc_purposes {
            Some(list) => list.to_vec(),
            None => policy
                .purposes()
                .iter()
                .filter(|p| p.requires_consent() && p.outputs == Outputs::PerSubject)
                .map(|p| p.id.clone())
                .collect(),
        };
        let event_types = policy
            .events()
            .keys()
            .map(|t| (compact(t), t.clone()))
            .collect();
        Self {
            policy,
            categories,
            gpc_purposes,
            event_types,
        }
    }

    /// The purposes a GPC signal refuses.
    pub fn gpc_purposes(&self) -> &[String] {
        &self.gpc_purposes
    }

    /// Maps a request body. `call` is the route's call (`None` for `/v1/batch`); `gpc` whether `Sec-GPC: 1` came
    /// with it. All or nothing: any problem refuses the whole request.
    pub fn map_request(
        &self,
        call: Option<&str>,
        body: &Value,
        gpc: bool,
        now: OffsetDateTime,
    ) -> Result<Mapped, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut mapped = Mapped::default();
        let Some(object) = body.as_object() else {
            return Err(vec![problem("", "the body must be a JSON object")]);
        };
        match call {
            Some(call) => {
                mapped.messages = 1;
                if let Some(r) = self.message(call, body, "", gpc, now, &mut problems) {
                    mapped.records.push(r);
                    mapped.origins.push(0);
                } else if problems.is_empty() {
                    mapped.skipped += 1;
                }
            }
            None => {
                let Some(batch) = object.get("batch").and_then(Value::as_array) else {
                    return Err(vec![problem("batch", "is required and must be an array")]);
                };
                if batch.len() > crate::settings::MAX_BATCH_MESSAGES {
                    return Err(vec![problem(
                        "batch",
                        &format!(
                            "has more than {} messages",
                            crate::settings::MAX_BATCH_MESSAGES
                        ),
                    )]);
                }
                let context = object.get("context").and_then(Value::as_object);
                for (i, message) in batch.iter().enumerate() {
                    mapped.messages += 1;
                    let prefix = format!("batch[{i}].");
                    let Some(m) = message.as_object() else {
                        problems.push(problem(&format!("batch[{i}]"), "is not a JSON object"));
                        continue;
                    };
                    let call = match m.get("type").and_then(Value::as_str) {
                        Some(t) if CALLS.contains(&t.to_ascii_lowercase().as_str()) => {
                            t.to_ascii_lowercase()
                        }
                        _ => {
                            problems.push(problem(
                                &format!("{prefix}type"),
                                "is missing or not one of identify, track, page, screen, group, alias",
                            ));
                            continue;
                        }
                    };
                    let merged = match context {
                        Some(c) => with_context(message, c),
                        None => message.clone(),
                    };
                    let before = problems.len();
                    match self.message(&call, &merged, &prefix, gpc, now, &mut problems) {
                        Some(r) => {
                            mapped.records.push(r);
                            mapped.origins.push(i);
                        }
                        None if problems.len() == before => mapped.skipped += 1,
                        None => {}
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(mapped)
        } else {
            Err(problems)
        }
    }

    /// One message to at most one record; problems are pushed with `prefix` before each field.
    fn message(
        &self,
        call: &str,
        m: &Value,
        prefix: &str,
        gpc: bool,
        now: OffsetDateTime,
        problems: &mut Vec<Problem>,
    ) -> Option<Value> {
        let before = problems.len();
        let field = |f: &str| format!("{prefix}{f}");
        let mut identifiers = Map::new();
        let user_id = id_field(m, "userId", &field, problems);
        let anonymous_id = id_field(m, "anonymousId", &field, problems);
        if user_id.is_none() && anonymous_id.is_none() && problems.len() == before {
            problems.push(problem(
                &field("userId"),
                "is missing and so is anonymousId: one of them is required",
            ));
        }
        if let Some(v) = &user_id {
            identifiers.insert("user_id".into(), Value::String(v.clone()));
        }
        if let Some(v) = &anonymous_id {
            identifiers.insert("anonymous_id".into(), Value::String(v.clone()));
        }
        let mut links = user_id.is_some() && anonymous_id.is_some();
        if call == "alias" {
            match id_field(m, "previousId", &field, problems) {
                Some(prev) if user_id.is_some() => {
                    // Segment's previousId is normally the anonymous id the person had before signing in.
                    if anonymous_id.is_none() {
                        identifiers.insert("anonymous_id".into(), Value::String(prev));
                    }
                    links = true;
                }
                Some(_) => problems.push(problem(&field("userId"), "is required by alias")),
                None => problems.push(problem(&field("previousId"), "is required by alias")),
            }
        }
        if call == "group" && id_field(m, "groupId", &field, problems).is_none() {
            problems.push(problem(&field("groupId"), "is required by group"));
        }
        let context_traits = m.get("context").and_then(|c| c.get("traits"));
        // An identify's traits: Segment sends them at the top level; RudderStack's server SDKs send them only in
        // `context.traits`. The top level wins when both are there.
        let (traits, traits_path) = match m.get("traits").filter(|t| !t.is_null()) {
            _ if call != "identify" => (None, "traits"),
            Some(t) => (Some(t), "traits"),
            None => (context_traits.filter(|t| !t.is_null()), "context.traits"),
        };
        if let Some(t) = traits
            && !t.is_object()
        {
            problems.push(problem(&field(traits_path), "must be an object"));
        }
        for key in ["email", "phone"] {
            for (source, path) in [(traits, "traits"), (context_traits, "context.traits")] {
                match source.and_then(|s| s.get(key)) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if !s.trim().is_empty() => {
                        identifiers
                            .entry(key.to_string())
                            .or_insert_with(|| Value::String(s.clone()));
                    }
                    Some(Value::String(_)) => {}
                    Some(_) => problems.push(problem(
                        &field(&format!("{path}.{key}")),
                        "must be a string",
                    )),
                }
            }
        }

        let event_name = match m.get("event") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                problems.push(problem(&field("event"), "must be a string"));
                None
            }
        };
        // Missing (a wrong type was reported above).
        if call == "track" && m.get("event").is_none_or(Value::is_null) {
            problems.push(problem(
                &field("event"),
                "is missing: a track call needs an event name",
            ));
        }
        let event_type = match call {
            "track" => event_name
                .as_deref()
                .and_then(|n| self.event_types.get(&compact(n)).cloned()),
            "page" => Some("page_viewed".to_string()).filter(|t| self.policy.event_allowed(t)),
            "screen" => Some("screen_viewed".to_string()).filter(|t| self.policy.event_allowed(t)),
            _ => None,
        };
        let consent_update = call == "track"
            && event_name.as_deref().map(compact).as_deref() == Some(CONSENT_EVENT)
            && !self.categories.is_empty();

        let time = timestamp(m, now, &field, problems);
        let message_id = match m.get("messageId") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() <= MAX_MESSAGE_ID_CHARS => {
                Some(s.clone()).filter(|s| !s.is_empty())
            }
            Some(Value::String(_)) => {
                problems.push(problem(
                    &field("messageId"),
                    &format!("is longer than {MAX_MESSAGE_ID_CHARS} characters"),
                ));
                None
            }
            Some(_) => {
                problems.push(problem(&field("messageId"), "must be a string"));
                None
            }
        };
        if let Some(p) = m.get("properties")
            && !p.is_object()
            && !p.is_null()
        {
            problems.push(problem(&field("properties"), "must be an object"));
        }

        let mut attributes = Map::new();
        if let Some(t) = traits.and_then(Value::as_object) {
            trait_attributes(t, traits_path, &field, &mut attributes, problems);
        }

        let mut events = Vec::new();
        if let (Some(t), Some(at)) = (&event_type, &time) {
            let mut event = json!({"type": t, "at": at});
            if let Some(id) = &message_id {
                event["id"] = Value::String(id.clone());
            }
            let properties = self.properties(t, m, &field, problems);
            if !properties.is_empty() {
                event["properties"] = Value::Object(properties);
            }
            events.push(event);
        }

        let mut consents = Vec::new();
        if consent_update && let Some(at) = &time {
            match m
                .get("context")
                .and_then(|c| c.get("consent"))
                .and_then(|c| c.get("categoryPreferences"))
            {
                Some(Value::Object(prefs)) => {
                    for (category, purpose) in self.categories {
                        match prefs.get(category) {
                            None | Some(Value::Null) => {}
                            Some(Value::Bool(granted)) => consents.push(json!({
                                "purpose": purpose,
                                "state": if *granted { "granted" } else { "refused" },
                                "at": at,
                                "source": CONSENT_SOURCE,
                                "method": "context.consent",
                            })),
                            Some(_) => problems.push(problem(
                                &field(&format!("context.consent.categoryPreferences.{category}")),
                                "must be true or false",
                            )),
                        }
                    }
                }
                None | Some(Value::Null) => {}
                Some(_) => problems.push(problem(
                    &field("context.consent.categoryPreferences"),
                    "must be an object",
                )),
            }
        }

        if problems.len() > before {
            return None;
        }
        let keep = !events.is_empty() || !consents.is_empty() || call == "identify" || links;
        if !keep {
            return None;
        }
        if gpc {
            let day_start = now.replace_time(time::Time::MIDNIGHT);
            let at = cohort_store::rfc3339(day_start);
            for purpose in &self.gpc_purposes {
                consents.push(json!({
                    "purpose": purpose,
                    "state": "refused",
                    "at": at,
                    "source": GPC_SOURCE,
                    "method": "sec-gpc-header",
                }));
            }
        }
        let mut record = json!({"source": SOURCE, "identifiers": identifiers});
        if !attributes.is_empty() {
            record["attributes"] = Value::Object(attributes);
        }
        if !events.is_empty() {
            record["events"] = Value::Array(events);
        }
        if !consents.is_empty() {
            record["consents"] = Value::Array(consents);
        }
        Some(record)
    }

    /// The properties kept for an event of `event_type`.
    fn properties(
        &self,
        event_type: &str,
        m: &Value,
        field: &impl Fn(&str) -> String,
        problems: &mut Vec<Problem>,
    ) -> Map<String, Value> {
        let props = m.get("properties").and_then(Value::as_object);
        let mut out = Map::new();
        match event_type {
            "order_completed" => order_properties(props, field, problems, &mut out),
            "page_viewed" => page_properties(m, &mut out),
            _ => {
                for (k, v) in props.into_iter().flatten() {
                    if is_scalar(v) && property_name(k) {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        out.retain(|k, _| self.policy.event_property_allowed(event_type, k));
        out
    }
}

fn problem(field: &str, message: &str) -> Problem {
    Problem {
        field: field.to_string(),
        message: message.to_string(),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// `^[A-Za-z][A-Za-z0-9_]{0,63}$`: the record schema's property names.
fn property_name(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// `^[a-z][a-z0-9_]{0,63}$`: the record schema's attribute names.
fn attribute_name(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// An id field: a non-empty string, or a number written as text (Segment accepts both).
fn id_field(
    m: &Value,
    key: &str,
    field: &impl Fn(&str) -> String,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    match m.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            problems.push(problem(&field(key), "must be a string or a number"));
            None
        }
    }
}

/// A batch message with the batch's `context` keys it does not set itself (Segment's rule).
fn with_context(message: &Value, context: &Map<String, Value>) -> Value {
    let mut message = message.clone();
    if let Some(object) = message.as_object_mut() {
        let entry = object
            .entry("context")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(own) = entry.as_object_mut() {
            for (key, value) in context {
                own.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    message
}

/// Parses an ISO 8601 date-time as Segment's libraries write it: RFC 3339, or with unpadded month, day or hour
/// (Segment's own batch example writes `2015-2-02T00:30:08.276Z`; coerced on purpose, as the connector does), or
/// without an offset (read as UTC).
pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut parts = date.split('-');
    let (y, mo, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || mo.is_empty() || d.is_empty() {
        return None;
    }
    let (h, after) = rest.split_once(':')?;
    let pad = |p: &str| {
        if p.len() == 1 {
            format!("0{p}")
        } else {
            p.to_string()
        }
    };
    let mut fixed = format!("{y}-{}-{}T{}:{after}", pad(mo), pad(d), pad(h));
    if let Ok(t) = OffsetDateTime::parse(&fixed, &Rfc3339) {
        return Some(t);
    }
    fixed.push('Z');
    OffsetDateTime::parse(&fixed, &Rfc3339).ok()
}

/// The message's time: `timestamp`; else now − (`sentAt` − `originalTimestamp`), Segment's device-clock correction
/// with the server's receive time; else `originalTimestamp`; else the receive time.
fn timestamp(
    m: &Value,
    now: OffsetDateTime,
    field: &impl Fn(&str) -> String,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let mut read = |key: &str| -> Result<Option<OffsetDateTime>, ()> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => match parse_instant(s) {
                Some(t) => Ok(Some(t)),
                None => {
                    problems.push(problem(
                        &field(key),
                        "must be an ISO 8601 date-time such as 2026-10-01T12:00:00Z",
                    ));
                    Err(())
                }
            },
            Some(_) => {
                problems.push(problem(&field(key), "must be a date-time string"));
                Err(())
            }
        }
    };
    let timestamp = read("timestamp").ok()?;
    let original = read("originalTimestamp").ok()?;
    let sent = read("sentAt").ok()?;
    let instant = match (timestamp, original, sent) {
        (Some(t), ..) => t,
        (None, Some(o), Some(s)) => now.checked_sub(s - o).unwrap_or(now),
        (None, Some(o), None) => o,
        (None, None, _) => now,
    };
    Some(cohort_store::rfc3339(instant))
}

/// Attributes from identify traits: the reserved traits under their canonical names, then any other scalar trait
/// whose name is already canonical (the policy keeps or drops it).
fn trait_attributes(
    t: &Map<String, Value>,
    path: &str,
    field: &impl Fn(&str) -> String,
    out: &mut Map<String, Value>,
    problems: &mut Vec<Problem>,
) {
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| t.get(*k).and_then(Value::as_str).map(str::to_string))
    };
    for (keys, name) in [
        (&["firstName", "first_name"][..], "first_name"),
        (&["lastName", "last_name"][..], "last_name"),
    ] {
        if let Some(v) = text(keys) {
            out.insert(name.into(), Value::String(v));
        }
    }
    if let Some(address) = t.get("address").and_then(Value::as_object) {
        let a = |k: &str| address.get(k).and_then(Value::as_str).map(str::to_string);
        if let Some(c) = a("country") {
            let c = if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
                c.to_ascii_uppercase()
            } else {
                c
            };
            out.insert("country".into(), Value::String(c));
        }
        if let Some(c) = a("city") {
            out.insert("city".into(), Value::String(c));
        }
        if let Some(p) = a("postalCode").or_else(|| a("postal_code")) {
            out.insert("postcode".into(), Value::String(p));
        }
    }
    for (keys, name) in [
        (&["birthday"][..], "birth_date"),
        (&["createdAt", "created_at"][..], "signup_date"),
    ] {
        let Some((key, written)) = keys
            .iter()
            .find_map(|k| t.get(*k).and_then(Value::as_str).map(|v| (*k, v)))
        else {
            continue;
        };
        // A birthday is a calendar date: the date as written. A sign-up is an instant: its UTC date.
        let date = if name == "birth_date" {
            written
                .get(..10)
                .filter(|d| d.len() == 10 && d.as_bytes()[4] == b'-')
                .map(str::to_string)
        } else {
            parse_instant(written)
                .map(|i| i.to_offset(time::UtcOffset::UTC).date().to_string())
                .or_else(|| {
                    written
                        .get(..10)
                        .filter(|d| d.len() == 10 && !written.contains('T'))
                        .map(str::to_string)
                })
        };
        match date {
            Some(d) => {
                out.insert(name.into(), Value::String(d));
            }
            None => problems.push(problem(
                &field(&format!("{path}.{key}")),
                "must be a date (YYYY-MM-DD) or an ISO 8601 date-time",
            )),
        }
    }
    const RESERVED: [&str; 12] = [
        "firstName",
        "first_name",
        "lastName",
        "last_name",
        "address",
        "birthday",
        "createdAt",
        "created_at",
        "email",
        "phone",
        "user_id",
        "anonymous_id",
    ];
    for (k, v) in t {
        if !RESERVED.contains(&k.as_str()) && attribute_name(k) && is_scalar(v) {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// `order_completed` properties, the connector's rule: `order_id`; `revenue` = the spend (`total`, else `revenue`,
/// else Σ price × quantity); `currency` upper-cased; `items` = Σ quantity.
fn order_properties(
    props: Option<&Map<String, Value>>,
    field: &impl Fn(&str) -> String,
    problems: &mut Vec<Problem>,
    out: &mut Map<String, Value>,
) {
    let Some(props) = props else { return };
    let number = |v: Option<&Value>| -> Result<Option<f64>, ()> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(()),
            Some(Value::String(s)) => s.trim().parse::<f64>().map(Some).map_err(|_| ()),
            Some(_) => Err(()),
        }
        .and_then(|n| match n {
            Some(x) if !x.is_finite() => Err(()),
            other => Ok(other),
        })
    };
    if let Some(id) = ["order_id", "orderId"]
        .iter()
        .find_map(|k| match props.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    {
        out.insert("order_id".into(), Value::String(id));
    }
    let mut amount = |k: &str| match number(props.get(k)) {
        Ok(v) => v,
        Err(()) => {
            problems.push(problem(
                &field(&format!("properties.{k}")),
                "is not a number",
            ));
            None
        }
    };
    let total = amount("total");
    let revenue = amount("revenue");
    let mut units = 0.0;
    let mut sum = Some(0.0);
    let products = props.get("products").and_then(Value::as_array);
    for (i, p) in products.into_iter().flatten().enumerate() {
        let q = match number(p.get("quantity")) {
            Ok(q) => q.unwrap_or(1.0),
            Err(()) => {
                problems.push(problem(
                    &field(&format!("properties.products[{i}].quantity")),
                    "is not a number",
                ));
                1.0
            }
        };
        units += q;
        sum = match (sum, number(p.get("price"))) {
            (Some(s), Ok(Some(price))) => Some(s + price * q),
            (_, Err(())) => {
                problems.push(problem(
                    &field(&format!("properties.products[{i}].price")),
                    "is not a number",
                ));
                None
            }
            _ => None,
        };
    }
    let from_products = sum
        .filter(|_| products.is_some_and(|p| !p.is_empty()))
        .map(|s| (s * 1e6).round() / 1e6);
    if let Some(spend) = total
        .or(revenue)
        .or(from_products)
        .and_then(serde_json::Number::from_f64)
    {
        out.insert("revenue".into(), Value::Number(spend));
    }
    match props.get("currency") {
        None | Some(Value::Null) => {}
        Some(Value::String(c)) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            out.insert("currency".into(), Value::String(c.to_ascii_uppercase()));
        }
        Some(_) => problems.push(problem(
            &field("properties.currency"),
            "is not an ISO 4217 currency code",
        )),
    }
    if products.is_some_and(|p| !p.is_empty())
        && let Some(n) = serde_json::Number::from_f64(units)
    {
        out.insert("items".into(), Value::Number(n));
    }
}

/// `page_viewed` properties: `path` and `referrer` from `properties` or `context.page`, without query strings or
/// fragments (they carry emails, tokens and click ids as often as campaign tags).
fn page_properties(m: &Value, out: &mut Map<String, Value>) {
    let find = |key: &str| {
        m.get("properties")
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .or_else(|| {
                m.get("context")
                    .and_then(|c| c.get("page"))
                    .and_then(|p| p.get(key))
                    .and_then(Value::as_str)
            })
    };
    let strip = |s: &str| s.split(['?', '#']).next().unwrap_or_default().to_string();
    let path_of_url = |u: &str| {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        rest.find('/').map(|i| strip(&rest[i..]))
    };
    let path = find("path")
        .map(strip)
        .or_else(|| find("url").and_then(path_of_url))
        .filter(|p| !p.is_empty());
    if let Some(p) = path {
        out.insert("path".into(), Value::String(p));
    }
    if let Some(r) = find("referrer").map(strip).filter(|r| !r.is_empty()) {
        out.insert("referrer".into(), Value::String(r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> Policy {
        cohort_policy::parse_policy(
            "example-retail.yaml",
            include_str!("../../../policies/example-retail.yaml"),
        )
        .unwrap()
    }

    fn now() -> OffsetDateTime {
        parse_instant("2026-11-24T15:30:00Z").unwrap()
    }

    #[test]
    fn unpadded_and_offsetless_times_are_read() {
        let t = parse_instant("2015-2-02T00:30:08.276Z").unwrap();
        assert_eq!(cohort_store::rfc3339(t), "2015-02-02T00:30:08Z");
        let t = parse_instant("2024-05-02T10:15:00").unwrap();
        assert_eq!(cohort_store::rfc3339(t), "2024-05-02T10:15:00Z");
        assert!(parse_instant("yesterday").is_none());
        assert!(parse_instant("2024-05-02").is_none());
    }

    #[test]
    fn names_compare_without_case_or_separators() {
        assert_eq!(compact("Order Completed"), "ordercompleted");
        assert_eq!(compact("order_completed"), "ordercompleted");
        assert_eq!(compact("Segment Consent Preference Updated"), CONSENT_EVENT);
    }

    #[test]
    fn batch_context_merges_and_consent_is_read_only_from_the_update_event() {
        let p = policy();
        let cats = BTreeMap::from([("Ads".to_string(), "personalisation".to_string())]);
        let m = Mapper::new(&p, &cats, None);
        let body = json!({"batch": [
            {"type": "track", "userId": "u", "event": "Segment Consent Preference Updated",
             "timestamp": "2026-01-01T00:00:00Z"},
            {"type": "identify", "userId": "u"},
            {"type": "track", "userId": "u", "event": "Product Added"},
        ], "context": {"consent": {"categoryPreferences": {"Ads": false}}}});
        let out = m.map_request(None, &body, false, now()).unwrap();
        assert_eq!(
            (out.records.len(), out.skipped, out.origins),
            (2, 1, vec![0, 1])
        );
        assert_eq!(
            out.records[0]["consents"],
            json!([{"purpose": "personalisation", "state": "refused", "at": "2026-01-01T00:00:00Z",
                    "source": CONSENT_SOURCE, "method": "context.consent"}])
        );
        assert!(out.records[1].get("consents").is_none());
    }

    #[test]
    fn identify_traits_come_from_context_traits_only_when_absent_at_the_top() {
        let p = policy();
        let cats = BTreeMap::new();
        let m = Mapper::new(&p, &cats, None);
        let map = |msg: Value| {
            m.map_request(Some("identify"), &msg, false, now())
                .unwrap()
                .records
                .remove(0)
        };
        // RudderStack's shape.
        let r = map(json!({"userId": "u", "context": {"traits": {"firstName": "Rui"}}}));
        assert_eq!(r["attributes"]["first_name"], "Rui");
        // Segment's shape, with other traits in the context: the top level wins.
        let r = map(json!({"userId": "u", "traits": {"firstName": "Sam"},
                           "context": {"traits": {"firstName": "Rui"}}}));
        assert_eq!(r["attributes"]["first_name"], "Sam");
        // A wrong type is named where it was found.
        let problems = m
            .map_request(
                Some("identify"),
                &json!({"userId": "u", "context": {"traits": {"birthday": "soon"}}}),
                false,
                now(),
            )
            .unwrap_err();
        assert!(
            format!("{problems:?}").contains("context.traits.birthday"),
            "{problems:?}"
        );
    }

    #[test]
    fn gpc_refuses_the_per_subject_consent_purposes_dated_at_the_start_of_the_day() {
        let p = policy();
        let cats = BTreeMap::new();
        let m = Mapper::new(&p, &cats, None);
        assert_eq!(m.gpc_purposes(), ["email_marketing", "personalisation"]);
        let out = m
            .map_request(Some("identify"), &json!({"userId": "u"}), true, now())
            .unwrap();
        let consents = out.records[0]["consents"].as_array().unwrap();
        assert_eq!(consents.len(), 2);
        for c in consents {
            assert_eq!(
                (c["state"].as_str(), c["source"].as_str()),
                (Some("refused"), Some("gpc"))
            );
            assert_eq!(c["at"], "2026-11-24T00:00:00Z");
        }
        // GPC alone does not make a record of a message that carries nothing.
        let out = m
            .map_request(
                Some("track"),
                &json!({"userId": "u", "event": "Nothing"}),
                true,
                now(),
            )
            .unwrap();
        assert_eq!((out.records.len(), out.skipped), (0, 1));
    }

    #[test]
    fn problems_name_the_message_and_field() {
        let p = policy();
        let cats = BTreeMap::new();
        let m = Mapper::new(&p, &cats, None);
        let body = json!({"batch": [{"type": "track", "userId": "u", "event": "E"},
                                    {"type": "track", "anonymousId": ["x"], "userId": 3, "timestamp": 5},
                                    {"type": "alias", "userId": "u"}]});
        let problems = m.map_request(None, &body, false, now()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "batch[1].anonymousId",
                "batch[1].event",
                "batch[1].timestamp",
                "batch[2].previousId"
            ]
        );
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "SECRET[a-z@. ]{0,8}".prop_map(Value::String),
            prop::sample::select(vec![
                "identify",
                "track",
                "page",
                "alias",
                "Order Completed",
                "2026-01-01T00:00:00Z"
            ])
            .prop_map(|s| Value::String(s.to_string())),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "type",
                        "userId",
                        "anonymousId",
                        "event",
                        "traits",
                        "properties",
                        "context",
                        "timestamp",
                        "messageId",
                        "batch",
                        "email",
                        "previousId",
                        "consent",
                        "categoryPreferences",
                        "SECRETkey",
                    ]),
                    inner,
                    0..6,
                )
                .prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                )),
            ]
        })
    }

    proptest! {
        /// Whatever arrives, mapping does not panic, and no problem repeats a value or a key it was sent.
        #[test]
        fn mapping_never_panics_and_problems_never_repeat_values(body in json_value(), batch in any::<bool>()) {
            let p = policy();
            let cats = BTreeMap::from([("categoryPreferences".to_string(), "personalisation".to_string())]);
            let m = Mapper::new(&p, &cats, None);
            let call = (!batch).then_some("track");
            if let Err(problems) = m.map_request(call, &body, true, now()) {
                for pr in problems {
                    prop_assert!(!pr.field.contains("SECRET") && !pr.message.contains("SECRET"), "{pr:?}");
                }
            }
        }
    }
}
