//! Stylesheet, script and icon, compiled into the binary so the portal is one file.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::WebError;

const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
    ("policy.js", "text/javascript; charset=utf-8", include_str!("../../static/policy.js")),
    ("favicon.svg", "image/svg+xml", include_str!("../../static/favicon.svg")),
];

pub async fn serve(Path(file): Path<String>) -> Result<Response, WebError> {
    let (_, content_type, body) = ASSETS.iter().find(|(name, _, _)| *name == file).ok_or(WebError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, *content_type)], *body).into_response())
}
