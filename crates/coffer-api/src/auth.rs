//! The API token: every request carries it as `Authorization: Bearer TOKEN`. A token
//! in the query string is refused, since URLs end up in logs and browser history.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ApiError;
use crate::state::ApiState;

/// Query parameters that look like a token in the URL.
const TOKEN_PARAMS: [&str; 4] = ["token", "access_token", "api_token", "bearer"];

/// Compares without an early exit, so the time taken tells nothing of the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lets the request through only with the right bearer token.
pub async fn require_token(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(query) = request.uri().query() {
        let has_token = query.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            TOKEN_PARAMS.iter().any(|t| name.eq_ignore_ascii_case(t))
        });
        if has_token {
            return Err(ApiError::Unauthorized(
                "a token in the URL is refused; send it as `Authorization: Bearer TOKEN`".into(),
            ));
        }
    }
    // The desktop's own window calls in-process; the shell marks those requests, and
    // nothing that arrives over HTTP can carry that mark.
    if crate::state::Caller::of(request.extensions()) == crate::state::Caller::Desktop {
        return Ok(next.run(request).await);
    }
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let expected = state.token();
    match given {
        // An empty token (the desktop without a keychain) lets no HTTP client in.
        Some(token)
            if !expected.expose().is_empty()
                && same(token.as_bytes(), expected.expose().as_bytes()) =>
        {
            Ok(next.run(request).await)
        }
        Some(_) => Err(ApiError::Unauthorized(
            "wrong API token; `coffer serve --print-token` shows the right one".into(),
        )),
        None => Err(ApiError::Unauthorized(
            "missing API token: send `Authorization: Bearer TOKEN` (`coffer serve \
             --print-token` shows it)"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn compares_whole_tokens() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
    }
}
