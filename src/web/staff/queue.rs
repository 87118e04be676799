//! The case queue, filtered by status, kind, channel and account.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::domain::CaseFilter;
use crate::domain::{CaseKind, CaseStatus, Channel};
use crate::service::staff::ActiveStaff;
use crate::web::csrf::STAFF_PURPOSE;
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_staff;
use crate::web::notice::Notice;
use crate::web::rows::CaseRow;
use crate::web::visitor::StaffSignedIn;
use crate::web::{AppState, WebError};

/// `/staff`: the case queue and its filters.
#[derive(Template)]
#[template(path = "staff_queue.html")]
pub struct StaffQueuePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub rows: Vec<CaseRow>,
    /// (value, label, selected)
    pub statuses: Vec<(&'static str, &'static str, bool)>,
    pub kind: String,
    pub channel: String,
    pub account: String,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    account: String,
    notice: Option<String>,
}

pub async fn queue(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let shown = query.notice.as_deref().and_then(Notice::from_code).map(Notice::text);
    queue_page(&state, &active, query, StatusCode::OK, shown, Vec::new()).await
}

pub(super) async fn queue_page(
    state: &AppState,
    active: &ActiveStaff,
    query: QueueQuery,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let account = match query.account.trim() {
        "" => None,
        name => Some(state.portal.account_of_primary(name).await?.unwrap_or_else(|| "-".into())),
    };
    let filter = CaseFilter {
        status: CaseStatus::parse(&query.status),
        kind: CaseKind::parse(&query.kind),
        channel: Channel::parse(&query.channel),
        account_id: account,
        limit: 200,
    };
    let cases = state.portal.case_queue(&filter).await?;
    let page = StaffQueuePage {
        layout: Layout::staff(state, "Case queue", nav_staff(active)),
        notice,
        errors,
        csrf: active.token.derive(STAFF_PURPOSE),
        rows: cases.iter().map(CaseRow::from_record).collect(),
        statuses: CaseStatus::ALL.iter().map(|s| (s.as_str(), s.label(), s.as_str() == query.status)).collect(),
        kind: query.kind,
        channel: query.channel,
        account: query.account,
    };
    Ok(render(status, &page))
}
