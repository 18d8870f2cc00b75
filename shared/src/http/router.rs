//! Routing on the raw request path, so the same code works behind API Gateway (which could
//! pass path parameters) and behind function URLs (which pass none).

use http::Method;

use super::ApiError;

/// One route of an endpoint group: a path pattern with `{name}` segments and its methods.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// Name the group's handler matches on.
    pub name: &'static str,
    /// Path without the trailing slash, such as `/api/tweets/{id}/like`.
    pub pattern: &'static str,
    pub methods: &'static [Method],
}

impl Route {
    pub const fn new(name: &'static str, pattern: &'static str, methods: &'static [Method]) -> Self {
        Self { name, pattern, methods }
    }
}

/// Strips one trailing slash, since every path is served with and without it.
pub fn normalize_path(path: &str) -> &str {
    if path.len() > 1 { path.strip_suffix('/').unwrap_or(path) } else { path }
}

/// Finds the first route whose pattern matches `path` and returns it with the values of its
/// `{name}` segments, percent-decoded. List literal routes before parameter routes that would
/// also match them.
pub fn match_route<'r>(routes: &'r [Route], path: &str) -> Option<(&'r Route, Vec<String>)> {
    let segments: Vec<&str> = normalize_path(path).split('/').collect();
    'routes: for route in routes {
        let pattern: Vec<&str> = route.pattern.split('/').collect();
        if pattern.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        for (expected, actual) in pattern.iter().zip(&segments) {
            if expected.starts_with('{') {
                if actual.is_empty() {
                    continue 'routes;
                }
                params.push(percent_decode(actual));
            } else if expected != actual {
                continue 'routes;
            }
        }
        return Some((route, params));
    }
    None
}

/// Matches a request against a group's routes: 404 when no pattern matches the path, 405 with
/// `Allow` when one does but not for this method.
pub fn route<'r>(routes: &'r [Route], request: &super::Request) -> Result<(&'r Route, Vec<String>), ApiError> {
    let path = request.uri().path();
    let (route, params) = match_route(routes, path)
        .ok_or_else(|| ApiError::not_found(format!("No endpoint at {path}.")))?;
    if !route.methods.contains(request.method()) {
        return Err(ApiError::method_not_allowed(request.method(), route.methods));
    }
    Ok((route, params))
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes.get(index + 1..index + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[index], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &[Route] = &[
        Route::new("profile", "/api/accounts/profile", &[Method::GET]),
        Route::new("user", "/api/accounts/{username}", &[Method::GET]),
        Route::new("follow", "/api/accounts/{username}/follow", &[Method::POST]),
    ];

    #[test]
    fn literal_routes_win() {
        assert_eq!(match_route(ROUTES, "/api/accounts/profile/").unwrap().0.name, "profile");
        let (route, params) = match_route(ROUTES, "/api/accounts/Alice").unwrap();
        assert_eq!(route.name, "user");
        assert_eq!(params, vec!["Alice"]);
    }

    #[test]
    fn trailing_slash_optional() {
        assert_eq!(match_route(ROUTES, "/api/accounts/bob/follow/").unwrap().0.name, "follow");
        assert_eq!(match_route(ROUTES, "/api/accounts/bob/follow").unwrap().0.name, "follow");
        assert!(match_route(ROUTES, "/api/accounts//follow").is_none());
        assert!(match_route(ROUTES, "/api/nothing").is_none());
    }

    #[test]
    fn parameters_percent_decoded() {
        assert_eq!(match_route(ROUTES, "/api/accounts/a%20b").unwrap().1, vec!["a b"]);
    }
}
