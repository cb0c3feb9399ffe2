//! Page addresses in analytics events, reduced to what a segment needs: the path of a page, and a referrer
//! without its query string or fragment (query strings carry email addresses, tokens and click ids as often as
//! campaign tags, so none of it is kept).

/// The text before any `?` or `#`.
pub fn without_query(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// The path of a URL (`https://shop.example.com/cart?x=1` → `/cart`) or of a path (`/cart#top` → `/cart`).
/// `None` for an empty value or one that is neither.
pub fn path_of(url: &str) -> Option<String> {
    let url = without_query(url.trim());
    if url.starts_with('/') {
        return Some(url.to_owned());
    }
    let (_, rest) = url.split_once("://")?;
    Some(match rest.find('/') {
        Some(slash) => rest[slash..].to_owned(),
        None => "/".to_owned(),
    })
}

/// A referrer URL without query and fragment; `None` when empty.
pub fn referrer(url: &str) -> Option<String> {
    let kept = without_query(url.trim());
    (!kept.is_empty()).then(|| kept.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_referrers_lose_queries_and_fragments() {
        assert_eq!(
            path_of("https://shop.example.com/cart?email=a%40example.com"),
            Some("/cart".into())
        );
        assert_eq!(path_of("https://shop.example.com"), Some("/".into()));
        assert_eq!(
            path_of("/products/tent#reviews"),
            Some("/products/tent".into())
        );
        assert_eq!(path_of("shop.example.com/cart"), None);
        assert_eq!(path_of(""), None);
        assert_eq!(
            referrer("https://search.example.net/?q=tent"),
            Some("https://search.example.net/".into())
        );
        assert_eq!(referrer(" "), None);
    }
}
