//! Page requests and page responses: cursors in, `results` / `next` / `previous` and a `Link`
//! header out.

use http::StatusCode;
use serde::Serialize;

use super::{ApiError, ApiResult, Request, header, query_params};
use crate::app::App;
use crate::domain::accounts::Viewer;
use crate::pagination::{Page, PageRequest, Position, parse_page_size};

/// Identity of the list a request reads: its path and filters, and the viewer for private
/// lists such as the home feed. A cursor signed for one list is rejected on any other.
fn list_identity(request: &Request, private_to: Option<&Viewer>) -> String {
    let path = super::normalize_path(request.uri().path()).to_ascii_lowercase();
    let mut filters: Vec<(String, String)> = query_params(request)
        .into_iter()
        .filter(|(name, _)| name != "cursor" && name != "page_size")
        .collect();
    filters.sort();
    let filters = serde_urlencoded::to_string(&filters).unwrap_or_default();
    let viewer = private_to.map_or("", |viewer| viewer.user_id.as_str());
    format!("{path}?{filters}|{viewer}")
}

/// Reads `page_size` and `cursor` for the list this request reads.
pub fn page_request(app: &App, request: &Request, private_to: Option<&Viewer>) -> Result<PageRequest, ApiError> {
    let params = query_params(request);
    let size = parse_page_size(params.get("page_size").map(String::as_str))?;
    let position = match params.get("cursor") {
        Some(cursor) => Some(app.cursors.decode(&list_identity(request, private_to), cursor)?),
        None => None,
    };
    Ok(PageRequest { size, position })
}

#[derive(Serialize)]
struct PageBody<'a, T> {
    results: &'a [T],
    next: Option<String>,
    previous: Option<String>,
}

/// Renders a page with absolute `next` and `previous` URLs and the same in a `Link` header.
pub fn page_response<T: Serialize>(
    app: &App,
    request: &Request,
    private_to: Option<&Viewer>,
    page: Page<T>,
) -> ApiResult {
    let identity = list_identity(request, private_to);
    let link = |position: Option<Position>| position.map(|p| page_url(request, &app.cursors.encode(&identity, &p)));
    let next = link(page.next);
    let previous = link(page.previous);

    let mut links = Vec::new();
    if let Some(url) = &next {
        links.push(format!("<{url}>; rel=\"next\""));
    }
    if let Some(url) = &previous {
        links.push(format!("<{url}>; rel=\"prev\""));
    }
    let body = PageBody { results: &page.items, next, previous };
    let mut response = super::json(StatusCode::OK, &body)?;
    if !links.is_empty() {
        let value = http::HeaderValue::from_str(&links.join(", "))
            .map_err(|error| ApiError::server_error(format!("invalid Link header: {error}")))?;
        response.headers_mut().insert("link", value);
    }
    Ok(response)
}

/// The request's own absolute URL with `cursor` replaced.
fn page_url(request: &Request, cursor: &str) -> String {
    let uri = request.uri();
    let scheme = header(request, "x-forwarded-proto")
        .or(uri.scheme_str())
        .unwrap_or("https");
    let host = header(request, "host")
        .or(uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let mut params: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    params.retain(|(name, _)| name != "cursor");
    params.push(("cursor".into(), cursor.to_owned()));
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    format!("{scheme}://{host}{}?{query}", uri.path())
}
