//! Authentication (API keys from `Authorization`; signed envelopes for federation peers) and authorisation (the
//! route table's access), in one place.
//!
//! Accepted credentials, as Segment's SDKs send them: HTTP Basic with the key as the user name and an empty
//! password (`Authorization: Basic base64(key + ":")`), `Authorization: Bearer <key>`, or, on the tracking routes
//! only and without an Authorization header, `writeKey` in the JSON body (analytics-python sends it that way; the
//! server then reads the body, within its limit, before it knows who sent it).

use crate::routes::{Access, Route};
use base64::Engine as _;
use cohort_store::{ApiKeyInfo, Store};

/// Why a request was refused before its handler ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No credentials, unreadable credentials, or a key that does not exist or was revoked: 401.
    Unauthenticated(&'static str),
    /// A valid key whose role the route does not allow: 403.
    Forbidden {
        /// The key's role.
        role: cohort_store::Role,
        /// The key's id (for the request log).
        key_id: String,
    },
}

/// The key a request presents, if any.
pub fn presented_key(authorization: Option<&[u8]>) -> Result<Option<String>, Denied> {
    let Some(raw) = authorization else {
        return Ok(None);
    };
    let text = std::str::from_utf8(raw)
        .map_err(|_| Denied::Unauthenticated("the Authorization header is not text"))?;
    let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map_err(|_| Denied::Unauthenticated("the Basic credentials are not base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| Denied::Unauthenticated("the Basic credentials are not UTF-8"))?;
        let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
        // Segment's write key is the user name with an empty password; accept the key as the password too, which
        // some HTTP clients make easier to set.
        let key = if user.is_empty() { password } else { user };
        Ok(Some(key.to_string()))
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Ok(Some(rest.trim().to_string()))
    } else {
        Err(Denied::Unauthenticated(
            "use Basic (the key as user name) or Bearer authentication",
        ))
    }
}

/// Checks a presented key against `route`'s access; the key's record when one was required and valid.
pub fn authorise(
    store: &Store,
    route: &Route,
    presented: Option<String>,
) -> Result<Result<Option<ApiKeyInfo>, Denied>, cohort_store::StoreError> {
    let roles = match route.access {
        Access::Public => return Ok(Ok(None)),
        Access::Roles(roles) => roles,
        // A peer route is never opened by an API key; the server sends it to `authorise_peer`.
        Access::Peer => {
            return Ok(Err(Denied::Unauthenticated(
                "this endpoint takes a request signed by a federation peer, not an API key",
            )));
        }
    };
    let Some(key) = presented.filter(|k| !k.is_empty()) else {
        return Ok(Err(Denied::Unauthenticated(
            "this endpoint needs an API key",
        )));
    };
    let Some(info) = store.authenticate_api_key(&key)? else {
        return Ok(Err(Denied::Unauthenticated("unknown or revoked API key")));
    };
    if roles.contains(&info.role) {
        Ok(Ok(Some(info)))
    } else {
        Ok(Err(Denied::Forbidden {
            role: info.role,
            key_id: info.id,
        }))
    }
}

/// Checks a request to an [`Access::Peer`] route: `envelope` is the value of the
/// [`cohort_federation::ENVELOPE_HEADER`] header, `body` the raw body it signs. Only a query signed by a listed
/// peer, for this host, fresh and not replayed, passes; the verified query is the only way its handler can run.
/// A host without a federation identity lists no peer, so it refuses every signed request.
pub fn authorise_peer(
    federation: Option<&cohort_federation::Federation>,
    envelope: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<cohort_federation::VerifiedQuery, PeerDenied> {
    let Some(federation) = federation else {
        return Err(match envelope {
            None => PeerDenied::Refused(cohort_federation::FederationError::Unsigned),
            Some(_) => PeerDenied::NoFederation,
        });
    };
    federation
        .verify_request(envelope, body, now)
        .map_err(PeerDenied::Refused)
}

/// Why a peer request was refused before its handler ran.
#[derive(Debug)]
pub enum PeerDenied {
    /// This host has no federation identity (`serve.federation_key`), so it answers no peer: 403.
    NoFederation,
    /// The envelope or query was refused (status by kind: see `federation::refusal`).
    Refused(cohort_federation::FederationError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_bearer_are_read() {
        // base64("wk_demo:") as in Segment's documentation.
        assert_eq!(
            presented_key(Some(b"Basic d2tfZGVtbzo="))
                .unwrap()
                .as_deref(),
            Some("wk_demo")
        );
        assert_eq!(
            presented_key(Some(b"bearer abc")).unwrap().as_deref(),
            Some("abc")
        );
        assert_eq!(presented_key(None).unwrap(), None);
        assert!(presented_key(Some(b"Digest x")).is_err());
        assert!(presented_key(Some(b"Basic !!!")).is_err());
    }
}
