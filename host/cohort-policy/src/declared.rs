//! Resolves names against the `attributes` declarations: exact names, `*` patterns and generalised (`store_as`)
//! products.
//!
//! One resolver serves both the semantic checks (what a purpose may reference) and ingest's per-attribute
//! decision, so the two can never disagree.

use std::collections::BTreeMap;

use crate::model::AttributeRule;
use crate::vocabulary::Category;

/// The declarations of one policy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Declarations<'a> {
    attributes: &'a BTreeMap<String, AttributeRule>,
}

/// What a name a purpose references turns out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reference<'a> {
    /// A stored attribute of this category, declared by `key` (an exact name, a pattern, or a generalised source).
    Stored {
        /// Category of the declaration it comes from.
        category: Category,
        /// The declaration's key.
        key: &'a str,
    },
    /// An identifier kind, which is never an attribute.
    Identifier,
    /// Declared `allowed: false` by `key`.
    NotAllowed {
        /// The declaration's key.
        key: &'a str,
    },
    /// The raw name of an attribute that is generalised on ingest and stored as `stored`.
    RawOfGeneralised {
        /// The name it is stored under.
        stored: &'a str,
    },
    /// Nothing declares it.
    Undeclared,
}

impl<'a> Declarations<'a> {
    pub(crate) fn new(attributes: &'a BTreeMap<String, AttributeRule>) -> Self {
        Self { attributes }
    }

    /// The declaration that governs a raw attribute name: an exact (non-pattern) key first, else the matching
    /// pattern with the longest prefix, so that `health_insurance_*` beats `health_*`.
    pub(crate) fn lookup(&self, name: &str) -> Option<(&'a str, &'a AttributeRule)> {
        if let Some((key, rule)) = self.attributes.get_key_value(name)
            && !is_pattern(key)
        {
            return Some((key.as_str(), rule));
        }
        self.attributes
            .iter()
            .filter_map(|(key, rule)| {
                let prefix = key.strip_suffix('*')?;
                name.starts_with(prefix)
                    .then_some((key.as_str(), rule, prefix.len()))
            })
            .max_by_key(|(_, _, prefix_len)| *prefix_len)
            .map(|(key, rule, _)| (key, rule))
    }

    /// Declarations that generalise on ingest, with the name each stores under.
    pub(crate) fn generalised(
        &self,
    ) -> impl Iterator<Item = (&'a str, &'a AttributeRule, &'a str)> + 'a {
        self.attributes
            .iter()
            .filter(|(_, rule)| rule.store_as.is_some())
            .map(|(key, rule)| (key.as_str(), rule, rule.stored_name_for(key)))
    }

    /// Resolves a stored attribute name as a purpose writes it.
    pub(crate) fn resolve(&self, name: &str) -> Reference<'a> {
        if let Some((key, rule, _)) = self.generalised().find(|(_, _, stored)| *stored == name) {
            return if rule.allowed {
                Reference::Stored {
                    category: rule.category,
                    key,
                }
            } else {
                Reference::NotAllowed { key }
            };
        }
        match self.lookup(name) {
            None => Reference::Undeclared,
            Some((key, rule)) if !rule.allowed => Reference::NotAllowed { key },
            Some((_, rule)) if rule.category == Category::Identifier => Reference::Identifier,
            Some((key, rule)) => match rule.store_as {
                Some(_) => Reference::RawOfGeneralised {
                    stored: rule.stored_name_for(key),
                },
                None => Reference::Stored {
                    category: rule.category,
                    key,
                },
            },
        }
    }
}

/// True for a declaration key ending in `*`.
pub(crate) fn is_pattern(key: &str) -> bool {
    key.ends_with('*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generalise::Generalisation;

    fn rule(category: Category, store_as: Option<Generalisation>, allowed: bool) -> AttributeRule {
        AttributeRule {
            category,
            store_as,
            stored_name: None,
            allowed,
        }
    }

    fn declarations() -> BTreeMap<String, AttributeRule> {
        BTreeMap::from([
            ("email".to_owned(), rule(Category::Identifier, None, true)),
            (
                "birth_date".to_owned(),
                rule(Category::Personal, Some(Generalisation::AgeBand), true),
            ),
            ("health_*".to_owned(), rule(Category::Special, None, false)),
            (
                "health_insurance_*".to_owned(),
                rule(Category::Personal, None, true),
            ),
            (
                "interest_*".to_owned(),
                rule(Category::Personal, None, true),
            ),
            ("country".to_owned(), rule(Category::Personal, None, true)),
        ])
    }

    #[test]
    fn longest_pattern_wins_and_exact_names_beat_patterns() {
        let attributes = declarations();
        let declared = Declarations::new(&attributes);
        assert_eq!(
            declared.lookup("health_status").map(|(k, _)| k),
            Some("health_*")
        );
        assert_eq!(
            declared.lookup("health_insurance_type").map(|(k, _)| k),
            Some("health_insurance_*")
        );
        assert_eq!(declared.lookup("country").map(|(k, _)| k), Some("country"));
        assert_eq!(
            declared.lookup("health_*").map(|(k, _)| k),
            Some("health_*")
        );
        assert_eq!(declared.lookup("wealth"), None);
    }

    #[test]
    fn purpose_references_resolve_through_generalisations() {
        let attributes = declarations();
        let declared = Declarations::new(&attributes);
        assert_eq!(
            declared.resolve("age_band"),
            Reference::Stored {
                category: Category::Personal,
                key: "birth_date"
            }
        );
        assert_eq!(
            declared.resolve("birth_date"),
            Reference::RawOfGeneralised { stored: "age_band" }
        );
        assert_eq!(declared.resolve("email"), Reference::Identifier);
        assert_eq!(
            declared.resolve("health_bmi"),
            Reference::NotAllowed { key: "health_*" }
        );
        assert_eq!(
            declared.resolve("interest_golf"),
            Reference::Stored {
                category: Category::Personal,
                key: "interest_*"
            }
        );
        assert_eq!(declared.resolve("salary"), Reference::Undeclared);
    }
}
